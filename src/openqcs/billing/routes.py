"""Balances, billing customers, invoices and their lines (user and group variants), event prices.

``AccountBalance.balance`` follows the spec: negative means credit to spend.
A caller sees their own user account and their groups' accounts only (others: 403).
"""

from __future__ import annotations

from litestar import Request, get, post

from openqcs.billing import invoices, service
from openqcs.billing.schemas import (
    AccountBalance,
    BillingCustomer,
    BillingInvoice,
    BillingInvoiceLine,
    BillingUpcomingInvoice,
    EventBillingPriceRate,
    GetAccountEventBillingPriceRequest,
    ListAccountBillingInvoiceLinesResponse,
    ListAccountBillingInvoicesResponse,
)
from openqcs.context import AppContext
from openqcs.http.lists import list_query, paginate
from openqcs.identity.accounts import Account, require_account
from openqcs.identity.principal import Principal

USER = "/v1/users/{userId:str}"
GROUP = "/v1/groups/{groupName:str}"


def _invoice_out(invoice: invoices.Invoice) -> BillingInvoice:
    return BillingInvoice(id=invoice.id, periodStart=invoice.period_start, periodEnd=invoice.period_end,
                          startingBalance=invoice.starting_balance, status=invoice.status,
                          subtotal=invoice.subtotal, tax=0, total=invoice.subtotal)


def _line_out(line: invoices.Line) -> BillingInvoiceLine:
    return BillingInvoiceLine(id=line.id, description=line.description, amount=line.amount, quantity=line.quantity,
                              lineItemType="invoiceitem", metadata=line.metadata, invoiceItem=line.invoice_item)


def _balance(ctx: AppContext, principal: Principal, account: Account) -> AccountBalance:
    with ctx.db.session() as session:
        require_account(session, principal, account)
        return AccountBalance(balance=-service.balance_cents(session, account))


def _customer(ctx: AppContext, principal: Principal, account: Account) -> BillingCustomer:
    with ctx.db.session() as session:
        require_account(session, principal, account)
        found = invoices.customer(session, account)
    return BillingCustomer(id=found.id, email=found.email)


def _invoices(ctx: AppContext, request: Request, principal: Principal, account: Account,
              operation_id: str) -> ListAccountBillingInvoicesResponse:
    query = list_query(request.query_params, operation_id=operation_id, signer=ctx.signer,
                       scope=f"{account.type}:{account.id}")
    with ctx.db.session() as session:
        require_account(session, principal, account)
        found = invoices.finalized_invoices(session, account, ctx.clock.now())
    page = paginate(found, query, ctx.signer)
    return ListAccountBillingInvoicesResponse([_invoice_out(i) for i in page.items], page.next_page_token)


def _lines(ctx: AppContext, request: Request, principal: Principal, account: Account, operation_id: str,
           billing_invoice_id: str | None) -> ListAccountBillingInvoiceLinesResponse:
    query = list_query(request.query_params, operation_id=operation_id, signer=ctx.signer,
                       scope=f"{account.type}:{account.id}:{billing_invoice_id or 'upcoming'}")
    now = ctx.clock.now()
    with ctx.db.session() as session:
        require_account(session, principal, account)
        if billing_invoice_id is None:
            invoice = invoices.upcoming_invoice(session, account, now)
        else:
            invoice = invoices.finalized_invoice(session, account, billing_invoice_id, now)
    page = paginate(invoice.lines, query, ctx.signer)
    return ListAccountBillingInvoiceLinesResponse([_line_out(line) for line in page.items], page.next_page_token)


def _upcoming(ctx: AppContext, principal: Principal, account: Account) -> BillingUpcomingInvoice:
    with ctx.db.session() as session:
        require_account(session, principal, account)
        invoice = invoices.upcoming_invoice(session, account, ctx.clock.now())
    return BillingUpcomingInvoice(periodStart=invoice.period_start, periodEnd=invoice.period_end,
                                  startingBalance=invoice.starting_balance, status=invoice.status,
                                  subtotal=invoice.subtotal, tax=0, total=invoice.subtotal)


@get(USER + "/balance", operation_id="GetUserBalance", sync_to_thread=True)
def get_user_balance(userId: str, ctx: AppContext, principal: Principal) -> AccountBalance:
    return _balance(ctx, principal, Account(userId, "user"))


@get(GROUP + "/balance", operation_id="GetGroupBalance", sync_to_thread=True)
def get_group_balance(groupName: str, ctx: AppContext, principal: Principal) -> AccountBalance:
    return _balance(ctx, principal, Account(groupName, "group"))


@get(USER + "/billingCustomer", operation_id="GetUserBillingCustomer", sync_to_thread=True)
def get_user_billing_customer(userId: str, ctx: AppContext, principal: Principal) -> BillingCustomer:
    return _customer(ctx, principal, Account(userId, "user"))


@get(GROUP + "/billingCustomer", operation_id="GetGroupBillingCustomer", sync_to_thread=True)
def get_group_billing_customer(groupName: str, ctx: AppContext, principal: Principal) -> BillingCustomer:
    return _customer(ctx, principal, Account(groupName, "group"))


@get(USER + "/billingInvoices", operation_id="ListUserBillingInvoices", sync_to_thread=True)
def list_user_billing_invoices(userId: str, request: Request, ctx: AppContext,
                               principal: Principal) -> ListAccountBillingInvoicesResponse:
    return _invoices(ctx, request, principal, Account(userId, "user"), "ListUserBillingInvoices")


@get(GROUP + "/billingInvoices", operation_id="ListGroupBillingInvoices", sync_to_thread=True)
def list_group_billing_invoices(groupName: str, request: Request, ctx: AppContext,
                                principal: Principal) -> ListAccountBillingInvoicesResponse:
    return _invoices(ctx, request, principal, Account(groupName, "group"), "ListGroupBillingInvoices")


@get(USER + "/billingInvoices/{billingInvoiceId:str}/lines", operation_id="ListUserBillingInvoiceLines",
     sync_to_thread=True)
def list_user_billing_invoice_lines(userId: str, billingInvoiceId: str, request: Request, ctx: AppContext,
                                    principal: Principal) -> ListAccountBillingInvoiceLinesResponse:
    return _lines(ctx, request, principal, Account(userId, "user"), "ListUserBillingInvoiceLines", billingInvoiceId)


@get(GROUP + "/billingInvoices/{billingInvoiceId:str}/lines", operation_id="ListGroupBillingInvoiceLines",
     sync_to_thread=True)
def list_group_billing_invoice_lines(groupName: str, billingInvoiceId: str, request: Request, ctx: AppContext,
                                     principal: Principal) -> ListAccountBillingInvoiceLinesResponse:
    return _lines(ctx, request, principal, Account(groupName, "group"), "ListGroupBillingInvoiceLines",
                  billingInvoiceId)


@get(USER + "/billingInvoices:getUpcoming", operation_id="GetUserUpcomingBillingInvoice", sync_to_thread=True)
def get_user_upcoming_billing_invoice(userId: str, ctx: AppContext, principal: Principal) -> BillingUpcomingInvoice:
    return _upcoming(ctx, principal, Account(userId, "user"))


@get(GROUP + "/billingInvoices:getUpcoming", operation_id="GetGroupUpcomingBillingInvoice", sync_to_thread=True)
def get_group_upcoming_billing_invoice(groupName: str, ctx: AppContext,
                                       principal: Principal) -> BillingUpcomingInvoice:
    return _upcoming(ctx, principal, Account(groupName, "group"))


@get(USER + "/billingInvoices:listUpcomingLines", operation_id="ListUserUpcomingBillingInvoiceLines",
     sync_to_thread=True)
def list_user_upcoming_billing_invoice_lines(userId: str, request: Request, ctx: AppContext,
                                             principal: Principal) -> ListAccountBillingInvoiceLinesResponse:
    return _lines(ctx, request, principal, Account(userId, "user"), "ListUserUpcomingBillingInvoiceLines", None)


@get(GROUP + "/billingInvoices:listUpcomingLines", operation_id="ListGroupUpcomingBillingInvoiceLines",
     sync_to_thread=True)
def list_group_upcoming_billing_invoice_lines(groupName: str, request: Request, ctx: AppContext,
                                              principal: Principal) -> ListAccountBillingInvoiceLinesResponse:
    return _lines(ctx, request, principal, Account(groupName, "group"), "ListGroupUpcomingBillingInvoiceLines", None)


@post(USER + "/eventBillingPrices:get", operation_id="GetUserEventBillingPrice", status_code=200,
      sync_to_thread=True)
def get_user_event_billing_price(userId: str, data: GetAccountEventBillingPriceRequest, ctx: AppContext,
                                 principal: Principal) -> EventBillingPriceRate:
    account = Account(userId, "user")
    with ctx.db.session() as session:
        require_account(session, principal, account)
        price = service.event_price(session, data.product, data.quantumProcessorId or "")
    rule = price.rule
    # A tiered price has no single unit amount: report the first tier's (the price of the first unit).
    unit = rule.unit_amount if rule.scheme == "per_unit" else rule.tiers[0].unit_amount
    return EventBillingPriceRate(id=price.id, product=price.product,
                                 quantumProcessorId=price.processor_id or None,
                                 unitAmountDecimal=float(unit), unitLabel=price.unit_label or None)


ROUTES = [
    get_user_balance, get_group_balance, get_user_billing_customer, get_group_billing_customer,
    list_user_billing_invoices, list_group_billing_invoices, list_user_billing_invoice_lines,
    list_group_billing_invoice_lines, get_user_upcoming_billing_invoice, get_group_upcoming_billing_invoice,
    list_user_upcoming_billing_invoice_lines, list_group_upcoming_billing_invoice_lines,
    get_user_event_billing_price,
]
