"""SIGKILL the server in the middle of a mixed write load, restart it, and audit the database.

Bookings (distinct and overlapping slots), cancellations, endpoint creation and job submission
over gRPC run from several threads; the whole process group dies with requests in flight. After
the restart: whatever was acknowledged is there, and nothing is half-written (a booking without
its payment, a payment without its booking, a cancellation without its refund, overlapping
bookings, an endpoint without its processors, a job stuck running forever).
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from datetime import datetime, timedelta

import grpc
import httpx
import pytest
from sqlalchemy import select

from openqcs.billing import service as billing
from openqcs.billing.models import LedgerEntry
from openqcs.endpoints.models import Endpoint, EndpointProcessor
from openqcs.execution.models import FINISHED, SUCCEEDED, ExecutionJob
from openqcs.execution.proto import models_controller_pb2 as mc
from openqcs.execution.proto import services_controller_pb2 as sc
from openqcs.execution.proto import services_translation_pb2 as st
from openqcs.identity.accounts import Account
from openqcs.reservations.models import Reservation
from tests.conformance.servers import dedicated_server
from tests.support.bookings import fund_account, iso, slot
from tests.support.execution import Stubs
from tests.support.factories import make_processor, make_user
from tests.support.factories import make_reference_processor as add_processor
from tests.support.programs import BELL

CREDIT = 10_000_000
MIN_LOAD_SECONDS = 1.5
MAX_LOAD_SECONDS = 8.0


class Load:
    """What every request got back, and when it started (to tell in-flight failures apart)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.killed_at = float("inf")
        self.booked: dict[int, dict] = {}  # acknowledged bookings: id -> response body
        self.cancelled: set[int] = set()
        self.endpoints: dict[str, list[str]] = {}
        self.jobs: list[str] = []
        self.statuses: Counter = Counter()
        self.unexpected: list[str] = []
        self.failed_starts: list[float] = []  # transport errors: when those requests started

    def failed(self, what: str, started: float, error: Exception) -> None:
        with self.lock:
            self.failed_starts.append(started)
            if time.monotonic() < self.killed_at:  # the server was still alive: a real failure
                self.unexpected.append(f"{what}: {type(error).__name__} {error}")
        time.sleep(0.02)

    def in_flight_at_kill(self) -> int:
        return sum(1 for t in self.failed_starts if t < self.killed_at)

    def answered(self, what: str, response: httpx.Response, expected: set[int]) -> bool:
        with self.lock:
            self.statuses[(what, response.status_code)] += 1
            if response.status_code not in expected:
                self.unexpected.append(f"{what}: {response.status_code} {response.text[:300]}")
        return response.status_code in expected and response.status_code < 300


def _book(srv, token: str, processor: str, load: Load, seed: int, distinct_base, overlap_base, counter) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=srv.base_url, timeout=10, headers={"authorization": f"Bearer {token}"}) as client:
        while not load.stop.is_set():
            if rng.random() < 0.5:
                with load.lock:
                    n = next(counter)
                start, minutes = distinct_base + timedelta(minutes=15 * n), 15
            else:  # a crowded three hours: most of these clash
                start, minutes = overlap_base + timedelta(minutes=15 * rng.randrange(12)), 15 * rng.randint(1, 3)
            started = time.monotonic()
            try:
                r = client.post("/v1/reservations", json={"quantumProcessorId": processor, "startTime": iso(start),
                                                          "endTime": iso(start + timedelta(minutes=minutes))})
            except httpx.HTTPError as exc:
                load.failed("book", started, exc)
                continue
            if load.answered("book", r, {201, 409}):
                body = r.json()
                with load.lock:
                    load.booked[body["id"]] = body


def _cancel(srv, token: str, load: Load) -> None:
    rng = random.Random(7)
    with httpx.Client(base_url=srv.base_url, timeout=10, headers={"authorization": f"Bearer {token}"}) as client:
        while not load.stop.is_set():
            with load.lock:
                candidates = sorted(set(load.booked) - load.cancelled)
            if len(candidates) < 4:
                time.sleep(0.02)
                continue
            victim = rng.choice(candidates)
            started = time.monotonic()
            try:
                r = client.delete(f"/v1/reservations/{victim}")
            except httpx.HTTPError as exc:
                load.failed("cancel", started, exc)
                continue
            if load.answered("cancel", r, {200}):
                with load.lock:
                    load.cancelled.add(victim)
            time.sleep(0.03)


def _endpoints(srv, token: str, processor: str, load: Load) -> None:
    with httpx.Client(base_url=srv.base_url, timeout=10, headers={"authorization": f"Bearer {token}"}) as client:
        while not load.stop.is_set():
            started = time.monotonic()
            try:
                r = client.post("/v1/endpoints", json={"quantumProcessorIds": [processor]})
            except httpx.HTTPError as exc:
                load.failed("endpoint", started, exc)
                continue
            if load.answered("endpoint", r, {201}):
                body = r.json()
                with load.lock:
                    load.endpoints[body["id"]] = body["quantumProcessorIds"]


def _jobs(srv, token: str, processor: str, translated, load: Load) -> None:
    stubs = Stubs(srv, token)
    request = sc.ExecuteControllerJobRequest(execution_configurations=[mc.JobExecutionConfiguration()],
                                             encrypted=translated.job, quantum_processor_id=processor)
    try:
        while not load.stop.is_set():
            started = time.monotonic()
            try:
                reply = stubs.controller.ExecuteControllerJob(request, metadata=stubs.metadata, timeout=10)
            except grpc.RpcError as exc:
                load.failed("job", started, exc)
                continue
            with load.lock:
                load.jobs.extend(reply.job_execution_ids)
            time.sleep(0.05)  # a steady trickle: the single worker should keep up
    finally:
        stubs.channel.close()


def _enough(load: Load) -> bool:
    with load.lock:
        return len(load.booked) >= 15 and len(load.cancelled) >= 3 and len(load.endpoints) >= 3 and len(load.jobs) >= 3


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _overlaps(a: Reservation, b: Reservation) -> bool:
    return a.start_time < b.end_time and b.start_time < a.end_time


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_sigkill_under_mixed_write_load_keeps_acknowledged_writes_and_nothing_half_written(kind, tmp_path):
    with dedicated_server(kind, str(tmp_path), OPENQCS_JOB_LEASE_SECONDS="3") as srv:
        ctx = srv.ctx
        processor = make_processor(ctx)
        qpu = add_processor(ctx, noiseless=True)
        booker, runner = make_user(ctx), make_user(ctx)
        account = Account(booker.idp_id, "user")
        fund_account(ctx, account, CREDIT)
        fund_account(ctx, Account(runner.idp_id, "user"), CREDIT)  # jobs are refused without credit
        runner_stubs = Stubs(srv, runner.token)
        translated = runner_stubs.translate(st.TranslateQuilToEncryptedControllerJobRequest(
            quantum_processor_id=qpu, quil_program=BELL, num_shots_value=10))
        runner_stubs.channel.close()

        load = Load()
        counter = iter(range(100_000))
        distinct_base, overlap_base = slot(ctx, days=20), slot(ctx, days=5)
        threads = [threading.Thread(target=_book, args=(srv, booker.token, processor, load, seed, distinct_base,
                                                        overlap_base, counter)) for seed in range(3)]
        threads += [threading.Thread(target=_cancel, args=(srv, booker.token, load)),
                    threading.Thread(target=_endpoints, args=(srv, booker.token, processor, load)),
                    threading.Thread(target=_jobs, args=(srv, runner.token, qpu, translated, load))]
        started = time.monotonic()
        for t in threads:
            t.start()
        while time.monotonic() - started < MAX_LOAD_SECONDS:
            if time.monotonic() - started >= MIN_LOAD_SECONDS and _enough(load):
                break
            time.sleep(0.05)
        load.killed_at = time.monotonic()
        srv.kill()
        time.sleep(0.3)  # let the threads see the dead server
        load.stop.set()
        for t in threads:
            t.join(15)
        assert not any(t.is_alive() for t in threads)

        assert load.unexpected == [], load.unexpected[:5]
        assert _enough(load), (len(load.booked), len(load.cancelled), len(load.endpoints), len(load.jobs))
        assert load.statuses[("book", 409)] > 0, "the overlapping bookings never clashed"
        assert load.in_flight_at_kill() >= 1, "no request was in flight when the server died"

        srv.start()

        with ctx.db.session() as session:
            stored = {r.id: r for r in session.scalars(
                select(Reservation).where(Reservation.processor_id == processor))}
            ledger = list(session.scalars(select(LedgerEntry).where(LedgerEntry.account_type == "user",
                                                                    LedgerEntry.account_id == booker.idp_id)))
            balance = billing.balance_cents(session, account)
            ledger_sum = billing.ledger_sum_cents(session, account)
            endpoints = {e.id for e in session.scalars(select(Endpoint).where(Endpoint.owner_id == booker.id))}
            links = session.execute(select(EndpointProcessor.endpoint_id, EndpointProcessor.processor_id)
                                    .where(EndpointProcessor.endpoint_id.in_(endpoints))).all()

        # Acknowledged bookings and cancellations are durable, exactly as answered.
        assert set(load.booked) <= set(stored)
        for rid, body in load.booked.items():
            row = stored[rid]
            assert (row.start_time, row.end_time, row.price) == (
                _when(body["startTime"]), _when(body["endTime"]), body["price"])
            assert row.creation_invoice_item_id == body["creationBillingInvoiceItemId"]
        assert all(stored[rid].cancelled for rid in load.cancelled)

        # Every booking, acknowledged or not, was paid exactly once; every cancellation refunded once.
        by_item = {e.item_id: e for e in ledger}
        charges = [e for e in ledger if e.kind == "charge"]
        refunds = [e for e in ledger if e.kind == "refund"]
        assert [e.kind for e in ledger].count("credit") == 1
        assert len(charges) == len(stored) and len(refunds) == sum(r.cancelled for r in stored.values())
        for r in stored.values():
            assert r.creation_invoice_item_id, f"reservation {r.id} has no creationBillingInvoiceItemId"
            charge = by_item[r.creation_invoice_item_id]
            assert (charge.kind, charge.amount_cents, charge.reference) == ("charge", -r.price, f"reservation:{r.id}")
            if r.cancelled:  # days ahead: the full price comes back
                refund = by_item[r.cancellation_invoice_item_id]
                assert (refund.kind, refund.amount_cents, refund.reference) == ("refund", r.price,
                                                                                f"reservation:{r.id}")
            else:
                assert r.cancellation_invoice_item_id is None
        live = sorted((r for r in stored.values() if not r.cancelled), key=lambda r: r.start_time)
        for a, b in itertools.pairwise(live):
            assert not _overlaps(a, b), f"reservations {a.id} and {b.id} overlap"
        assert balance == ledger_sum == CREDIT - sum(r.price for r in live)

        # Acknowledged endpoints exist with their processors; none was stored without them.
        assert set(load.endpoints) <= endpoints
        assert sorted(links) == sorted((eid, processor) for eid in endpoints)
        with srv.client(booker.token) as client:
            for eid, processors in load.endpoints.items():
                got = client.get(f"/v1/endpoints/{eid}")
                assert got.status_code == 200 and got.json()["quantumProcessorIds"] == processors
            for rid in list(load.booked)[:5]:
                got = client.get(f"/v1/reservations/{rid}")
                assert got.status_code == 200 and got.json()["cancelled"] == (rid in load.cancelled)

        # Acknowledged jobs exist; jobs interrupted by the kill are picked up again and finish.
        deadline = time.monotonic() + 60
        while True:
            with ctx.db.session() as session:
                jobs = {j.id: j.status for j in session.scalars(
                    select(ExecutionJob).where(ExecutionJob.user_id == runner.id))}
            if all(status in FINISHED for status in jobs.values()) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert set(load.jobs) <= set(jobs)
        assert {jobs[j] for j in load.jobs} == {SUCCEEDED}, Counter(jobs.values())
        assert all(status in FINISHED for status in jobs.values()), Counter(jobs.values())
        stubs = Stubs(srv, runner.token)
        try:
            got = stubs.call("GetControllerJobResults",
                             sc.GetControllerJobResultsRequest(job_execution_id=load.jobs[0]))
            assert got.result.status == mc.ControllerJobExecutionResult.SUCCESS
        finally:
            stubs.channel.close()

        # The restarted server keeps booking correctly: a clash is refused, a free slot is paid once.
        with srv.client(booker.token) as client:
            clash, free = live[0], slot(ctx, days=40)
            refused = client.post("/v1/reservations", json={"quantumProcessorId": processor,
                                                            "startTime": iso(clash.start_time),
                                                            "endTime": iso(clash.end_time)})
            assert refused.status_code == 409
            booked = client.post("/v1/reservations", json={"quantumProcessorId": processor, "startTime": iso(free),
                                                           "endTime": iso(free + timedelta(minutes=15))})
            assert booked.status_code == 201
        with ctx.db.session() as session:
            assert billing.balance_cents(session, account) == balance - booked.json()["price"]
        srv.kill()  # a graceful stop takes seconds and proves nothing here
