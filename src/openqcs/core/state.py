"""The server's whole state as one portable JSON document: export, import, reset.

A snapshot holds every domain table (users, groups, memberships, processors and ISAs, prices,
the ledger, reservations, endpoints, jobs, …) except what makes this server itself: its
secrets and signing keys stay, so page tokens and access tokens signed before a reset still
verify (their users may be gone, then they get 401). Rows keep their ids, so a snapshot taken
on SQLite loads into PostgreSQL and back.
"""

from __future__ import annotations

import base64
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, LargeBinary, Table, delete, func, insert, select, text
from sqlalchemy.orm import Session

from openqcs.context import AppContext
from openqcs.db.base import Base, UTCDateTime
from openqcs.domains import load_models, submodules
from openqcs.errors import InvalidArgument

FORMAT = "openqcs-state"
VERSION = 1
# Kept across reset and import: they belong to this server, not to its users.
# Generation counters stay too: bumped by the reset's own deletes, they tell every replica's
# caches that everything changed (wiping them would turn the caches off until rebuilt).
KEPT = frozenset({"server_secrets", "signing_keys", "alembic_version", "auth_generation", "processor_generation",
                  "price_generation"})

_baseline: dict[str, Any] | None = None
_baseline_lock = threading.Lock()


def state_tables() -> list[Table]:
    """Every table a snapshot holds, parents before children."""
    load_models()
    return [t for t in Base.metadata.sorted_tables if t.name not in KEPT]


def _encode(column_type: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column_type, UTCDateTime):
        return value.isoformat()
    if isinstance(column_type, LargeBinary):
        return base64.b64encode(value).decode()
    return value


def _decode(column_type: Any, value: Any, where: str) -> Any:
    if value is None:
        return None
    try:
        if isinstance(column_type, UTCDateTime):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("a time without a timezone")
            return parsed
        if isinstance(column_type, LargeBinary):
            return base64.b64decode(value, validate=True)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"snapshot {where}: {exc}") from None
    if not isinstance(column_type, JSON) and isinstance(value, (dict, list)):
        raise InvalidArgument(f"snapshot {where}: a {type(value).__name__} where a plain value belongs")
    return value


def export_state(session: Session) -> dict[str, Any]:
    """The snapshot: ``{"format", "version", "tables": {name: {"columns": [...], "rows": [[...]]}}}``."""
    tables: dict[str, Any] = {}
    for table in state_tables():
        columns = list(table.columns)
        order = [c for c in table.primary_key.columns]
        rows = session.execute(select(*columns).order_by(*order)).all()
        tables[table.name] = {"columns": [c.name for c in columns],
                              "rows": [[_encode(c.type, v) for c, v in zip(columns, row, strict=True)] for row in rows]}
    return {"format": FORMAT, "version": VERSION, "tables": tables}


def _parse(snapshot: Any) -> dict[str, list[dict[str, Any]]]:
    """The snapshot's rows as column dicts per table, or InvalidArgument naming what is wrong."""
    if not isinstance(snapshot, dict) or snapshot.get("format") != FORMAT:
        raise InvalidArgument(f"not an openqcs state snapshot (expected \"format\": \"{FORMAT}\")")
    if snapshot.get("version") != VERSION:
        raise InvalidArgument(f"snapshot version {snapshot.get('version')!r} is not supported (this server "
                              f"reads version {VERSION})")
    given = snapshot.get("tables")
    if not isinstance(given, dict):
        raise InvalidArgument("snapshot has no \"tables\" object")
    known = {t.name: t for t in state_tables()}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise InvalidArgument(f"snapshot names unknown tables: {', '.join(unknown)}")
    parsed: dict[str, list[dict[str, Any]]] = {}
    for name, body in given.items():
        table = known[name]
        if not isinstance(body, dict) or not isinstance(body.get("columns"), list) or \
                not isinstance(body.get("rows"), list):
            raise InvalidArgument(f"snapshot table {name}: expected {{\"columns\": [...], \"rows\": [...]}}")
        columns = body["columns"]
        missing = [c for c in columns if not isinstance(c, str) or c not in table.columns]
        if missing:
            raise InvalidArgument(f"snapshot table {name}: unknown columns {missing}")
        rows = []
        for i, row in enumerate(body["rows"]):
            if not isinstance(row, list) or len(row) != len(columns):
                raise InvalidArgument(f"snapshot table {name} row {i}: expected {len(columns)} values")
            pairs = zip(columns, row, strict=True)
            rows.append({c: _decode(table.columns[c].type, v, f"{name}.{c} row {i}") for c, v in pairs})
        parsed[name] = rows
    return parsed


def _wipe(session: Session) -> None:
    for table in reversed(state_tables()):
        session.execute(delete(table))


def _fix_sequences(session: Session) -> None:
    """PostgreSQL: serial ids continue after the highest imported id."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in state_tables():
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not pk[0].autoincrement or pk[0].type.python_type is not int:
            continue
        sequence = session.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name})
        if sequence:
            highest = session.scalar(select(func.max(pk[0])))
            session.execute(text("SELECT setval(:s, :v, :called)"),
                            {"s": sequence, "v": highest or 1, "called": highest is not None})


def import_state(session: Session, snapshot: Any) -> dict[str, int]:
    """Replace the whole state with ``snapshot`` (all or nothing); returns the row count per table."""
    parsed = _parse(snapshot)
    _wipe(session)
    counts = {}
    for table in state_tables():
        rows = parsed.get(table.name, [])
        if rows:
            session.execute(insert(table), rows)
        counts[table.name] = len(rows)
    _fix_sequences(session)
    return counts


def _demo_baseline(ctx: AppContext) -> dict[str, Any]:
    """The demo seed as a snapshot, made once per process (seeding takes far longer than loading)."""
    global _baseline
    with _baseline_lock:
        if _baseline is None:
            with ctx.db.session(write=True) as session:
                _wipe(session)
            for module in submodules("seed"):
                module.seed_demo(ctx)
            with ctx.db.session() as session:
                _baseline = export_state(session)
        return _baseline


def reset(ctx: AppContext, *, empty: bool = False) -> dict[str, int]:
    """Back to the demo seed (or to nothing: the state right after migrations)."""
    if empty:
        with ctx.db.session(write=True) as session:
            _wipe(session)
            _fix_sequences(session)
        return {t.name: 0 for t in state_tables()}
    baseline = _demo_baseline(ctx)
    with ctx.db.session(write=True) as session:
        return import_state(session, baseline)


def counts(session: Session) -> dict[str, int]:
    return {t.name: session.execute(select(func.count()).select_from(t)).scalar_one() for t in state_tables()}
