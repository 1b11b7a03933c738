"""Instruction Set Architecture documents: validation and the canonical bytes we serve.

Validation follows what Rigetti's two ISA converters accept (pyquil's
``qcs_isa_to_compiler_isa`` and qcs-sdk's ``TargetDevice.from_isa``, client-compat §3.4), so
every ISA we serve converts in both. Problems are reported all at once, each with its JSON path.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import msgspec

from openqcs.errors import FieldProblem, InvalidArgument

FAMILIES = ("None", "Full", "Aspen", "Ankaa")
ONE_QUBIT_OPERATIONS = ("RX", "RZ", "MEASURE", "I", "RESET", "WILDCARD")
TWO_QUBIT_OPERATIONS = ("CZ", "ISWAP", "CPHASE", "XY", "WILDCARD")
RB_SIMULTANEOUS_1Q = "randomized_benchmark_simultaneous_1q"
MAX_PROBLEMS = 50

# RFC 3339 date-time (what qcs-sdk 0.31 parses strictly).
_RFC3339 = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?"
    r"([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)
PROCESSOR_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")

# Where in the document a problem is: keys and array indexes.
Where = tuple[str | int, ...]


class _Problems:
    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, path: Where, message: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            where = ".".join(str(p) for p in path) or "<document>"
            self.items.append(FieldProblem("body", f"{where}: {message}", tuple(str(p) for p in path)))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _require(obj: Any, key: str, kind: type | tuple[type, ...], path: Where, problems: _Problems) -> Any:
    """obj[key] if present and of ``kind``; otherwise record the problem and return None."""
    if not isinstance(obj, dict):
        problems.add(path, "must be an object")
        return None
    if key not in obj:
        problems.add(path + (key,), "missing field")
        return None
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join({list: "an array", dict: "an object", str: "a string", int: "an integer",
                             float: "a number"}.get(k, k.__name__) for k in kinds)
        problems.add(path + (key,), f"must be {names}")
        return None
    return value


def _check_characteristic(char: Any, path: Where, nodes: set[int], problems: _Problems) -> None:
    name = _require(char, "name", str, path, problems)
    value = _require(char, "value", (int, float), path, problems)
    stamp = _require(char, "timestamp", str, path, problems)
    if name is not None and not name:
        problems.add(path + ("name",), "must not be empty")
    if value is not None and value != value:
        problems.add(path + ("value",), "must be a finite number")
    if stamp is not None and not _RFC3339.match(stamp):
        problems.add(path + ("timestamp",), f"'{stamp}' is not an RFC 3339 date-time (e.g. 2024-01-01T00:00:00Z)")
    # Optional fields may be null (published ISAs do that); canonical_bytes drops them.
    if char.get("error") is not None and not _is_number(char["error"]):
        problems.add(path + ("error",), "must be a number")
    if char.get("node_ids") is not None:
        ids = char["node_ids"]
        if not isinstance(ids, list) or not ids or not all(_is_int(i) for i in ids):
            problems.add(path + ("node_ids",), "must be a non-empty array of node ids")
        else:
            for i in ids:
                if i not in nodes:
                    problems.add(path + ("node_ids",), f"node {i} is not in architecture.nodes")
    if char.get("parameter_values") is not None:
        values = char["parameter_values"]
        if not isinstance(values, list) or not all(_is_number(v) for v in values):
            problems.add(path + ("parameter_values",), "must be an array of numbers")


def _check_operation(op: Any, path: Where, nodes: set[int], edges: set[frozenset[int]], *,
                     instruction: bool, problems: _Problems) -> None:
    name = _require(op, "name", str, path, problems)
    params = _require(op, "parameters", list, path, problems)
    sites = _require(op, "sites", list, path, problems)
    chars = _require(op, "characteristics", list, path, problems)
    if name is None:
        return
    for i, param in enumerate(params or []):
        _require(param, "name", str, path + ("parameters", i), problems)
    for i, char in enumerate(chars or []):
        _check_characteristic(char, path + ("characteristics", i), nodes, problems)
    count = op.get("node_count")
    if count is None:
        problems.add(path + ("node_count",), f"missing field (operation {name} must say how many nodes it acts on)")
    elif not _is_int(count) or count < 1:
        problems.add(path + ("node_count",), "must be a positive integer")
        count = None
    if instruction and count is not None:
        allowed = {1: ONE_QUBIT_OPERATIONS, 2: TWO_QUBIT_OPERATIONS}.get(count)
        if allowed is None:
            problems.add(path + ("node_count",),
                         f"operation {name} has node_count {count}; instructions act on 1 or 2 nodes")
        elif name not in allowed:
            kind = "1-qubit" if count == 1 else "2-qubit"
            problems.add(path + ("name",), f"unknown {kind} operation '{name}' (known: {', '.join(allowed)})")
    for i, site in enumerate(sites or []):
        where = path + ("sites", i)
        ids = _require(site, "node_ids", list, where, problems)
        site_chars = _require(site, "characteristics", list, where, problems)
        for j, char in enumerate(site_chars or []):
            _check_characteristic(char, where + ("characteristics", j), nodes, problems)
        if ids is None:
            continue
        if not ids or not all(_is_int(n) for n in ids) or len(set(ids)) != len(ids):
            problems.add(where + ("node_ids",), "must be a non-empty array of distinct node ids")
            continue
        if count is not None and len(ids) != count:
            problems.add(where + ("node_ids",), f"node_count mismatch: operation {name} has node_count {count} "
                                                f"but this site has {len(ids)} node(s)")
        missing = [n for n in ids if n not in nodes]
        if missing:
            problems.add(where + ("node_ids",), f"node {missing[0]} is not in architecture.nodes")
        elif instruction and len(ids) == 2 and frozenset(ids) not in edges:
            problems.add(where + ("node_ids",), f"site {ids} of {name} is not on an architecture edge")


def _check_rb_benchmark(benchmarks: list[Any], nodes: set[int], rx_qubits: set[int], problems: _Problems) -> None:
    found = [(i, b) for i, b in enumerate(benchmarks) if isinstance(b, dict) and b.get("name") == RB_SIMULTANEOUS_1Q]
    if not found:
        problems.add(("benchmarks",), f"missing benchmark '{RB_SIMULTANEOUS_1Q}' (qcs-sdk needs it for RX fidelities)")
        return
    index, bench = found[0]
    sites = bench.get("sites")
    if not isinstance(sites, list) or len(sites) != 1:
        count = len(sites) if isinstance(sites, list) else 0
        problems.add(("benchmarks", index, "sites"), f"benchmark '{RB_SIMULTANEOUS_1Q}' must have exactly one site, "
                                                     f"not {count}")
        return
    covered = set()
    for j, char in enumerate(sites[0].get("characteristics") or [] if isinstance(sites[0], dict) else []):
        ids = char.get("node_ids") if isinstance(char, dict) else None
        if not isinstance(ids, list) or len(ids) != 1:
            problems.add(("benchmarks", index, "sites", 0, "characteristics", j, "node_ids"),
                         "each characteristic must name exactly one qubit in node_ids")
        else:
            covered.add(ids[0])
    uncovered = sorted(rx_qubits - covered)
    if uncovered:
        problems.add(("benchmarks", index, "sites", 0, "characteristics"),
                     f"no fRB characteristic for qubit(s) {uncovered[:10]} that have RX")


def validate_isa(doc: Any) -> None:
    """Raise InvalidArgument listing every problem that would make a client refuse ``doc``."""
    problems = _Problems()
    if not isinstance(doc, dict):
        raise InvalidArgument("an instruction set architecture must be a JSON object",
                              problems=[FieldProblem("body", "must be a JSON object")])
    name = _require(doc, "name", str, (), problems)
    if name is not None and not name:
        problems.add(("name",), "must not be empty")
    arch = _require(doc, "architecture", dict, (), problems)
    instructions = _require(doc, "instructions", list, (), problems)
    benchmarks = _require(doc, "benchmarks", list, (), problems)
    nodes: set[int] = set()
    edges: set[frozenset[int]] = set()
    if arch is not None:
        family = _require(arch, "family", str, ("architecture",), problems)
        if family is not None and family not in FAMILIES:
            problems.add(("architecture", "family"), f"unknown family '{family}' (known: {', '.join(FAMILIES)})")
        for i, node in enumerate(_require(arch, "nodes", list, ("architecture",), problems) or []):
            node_id = _require(node, "node_id", int, ("architecture", "nodes", i), problems)
            if node_id is not None:
                if node_id < 0 or node_id in nodes:
                    problems.add(("architecture", "nodes", i, "node_id"), f"node {node_id} is negative or repeated")
                nodes.add(node_id)
        for i, edge in enumerate(_require(arch, "edges", list, ("architecture",), problems) or []):
            ids = _require(edge, "node_ids", list, ("architecture", "edges", i), problems)
            if ids is None:
                continue
            if len(ids) != 2 or len(set(ids)) != 2 or not all(_is_int(n) for n in ids):
                problems.add(("architecture", "edges", i, "node_ids"), "an edge joins exactly two distinct nodes")
            elif any(n not in nodes for n in ids):
                problems.add(("architecture", "edges", i, "node_ids"),
                             f"edge {ids} names a node not in architecture.nodes")
            elif frozenset(ids) in edges:
                problems.add(("architecture", "edges", i, "node_ids"), f"edge {ids} is repeated")
            else:
                edges.add(frozenset(ids))
    rx_qubits: set[int] = set()
    for i, op in enumerate(instructions or []):
        _check_operation(op, ("instructions", i), nodes, edges, instruction=True, problems=problems)
        if isinstance(op, dict) and op.get("name") == "RX" and isinstance(op.get("sites"), list):
            rx_qubits |= {s["node_ids"][0] for s in op["sites"]
                          if isinstance(s, dict) and isinstance(s.get("node_ids"), list) and len(s["node_ids"]) == 1}
    for i, op in enumerate(benchmarks or []):
        _check_operation(op, ("benchmarks", i), nodes, edges, instruction=False, problems=problems)
    if benchmarks is not None:
        _check_rb_benchmark(benchmarks, nodes, rx_qubits, problems)
    if problems.items:
        first = problems.items[0].message
        more = f" (and {len(problems.items) - 1} more)" if len(problems.items) > 1 else ""
        raise InvalidArgument(f"invalid instruction set architecture: {first}{more}", problems=problems.items)


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def canonical_bytes(doc: dict[str, Any]) -> bytes:
    """The served form: compact JSON, sorted keys, no null optional fields (the spec types them
    as numbers/arrays), so equal documents give equal bytes."""
    return msgspec.json.encode(_without_nulls(doc), order="sorted")


def etag_of(document: bytes) -> str:
    return hashlib.sha256(document).hexdigest()[:32]


def parse_document(raw: bytes | str) -> Any:
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        problem = FieldProblem("body", f"not valid JSON: {exc}")
        raise InvalidArgument(f"not valid JSON: {exc}", problems=[problem]) from None
