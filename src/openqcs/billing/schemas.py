"""Wire shapes of the billing operations, with the spec's field names."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Product = Literal["reservationCreation", "qpuJobCompletion", "qpuJobTime"]


class AccountBalance(msgspec.Struct):
    balance: int


class BillingCustomer(msgspec.Struct):
    id: str
    email: str


class BillingUpcomingInvoice(msgspec.Struct):
    periodStart: datetime
    periodEnd: datetime
    startingBalance: int
    status: str
    subtotal: int
    tax: int
    total: int


class BillingInvoice(msgspec.Struct):
    id: str
    periodStart: datetime
    periodEnd: datetime
    startingBalance: int
    status: str
    subtotal: int
    tax: int
    total: int


class BillingInvoiceLine(msgspec.Struct, omit_defaults=True):
    id: str
    description: str
    amount: int
    quantity: int
    lineItemType: str
    metadata: dict[str, str]
    invoiceItem: str | None = None


class ListAccountBillingInvoicesResponse(msgspec.Struct, omit_defaults=True):
    billingInvoices: list[BillingInvoice]
    nextPageToken: str | None = None


class ListAccountBillingInvoiceLinesResponse(msgspec.Struct, omit_defaults=True):
    billingInvoiceLines: list[BillingInvoiceLine]
    nextPageToken: str | None = None


class GetAccountEventBillingPriceRequest(msgspec.Struct):
    product: Product
    quantumProcessorId: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class EventBillingPriceRate(msgspec.Struct, omit_defaults=True):
    id: int
    product: str
    quantumProcessorId: str | None = None
    unitAmountDecimal: float | None = None
    unitLabel: str | None = None
