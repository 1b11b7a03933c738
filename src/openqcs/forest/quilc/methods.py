"""The quilc methods that do work (run in a worker process): unpack rpcq params, call the
compiler or the benchmarking helpers, shape the result as quilc does (forest-wire.md §2.5-2.7)."""

from __future__ import annotations

import time
from typing import Any

from openqcs.forest.quilc.errors import CompileError

VERSION = {"quilc": "1.27.0", "githash": "openqcs"}


def _argument(params: dict[str, Any], name: str, *keys: str) -> dict[str, Any]:
    """The request object: rpcq sends it as the one positional argument (``*args``)."""
    args = params.get("*args")
    if isinstance(args, list) and args:
        found = args[0]
    elif isinstance(params.get("request"), dict):
        found = params["request"]
    else:
        found = params
    if not isinstance(found, dict) or any(k not in found for k in keys):
        raise CompileError(f"{name} needs one argument, a map with {', '.join(keys)}")
    return found


def _typed(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise CompileError(f"{what} has the wrong type ({type(value).__name__})")
    return value


def quil_to_native_quil(params: dict[str, Any], deadline: float | None) -> dict[str, Any]:
    from openqcs.forest.quilc.compiler import compile_quil

    request = _argument(params, "quil_to_native_quil", "quil", "target_device")
    protoquil = params.get("protoquil")
    if protoquil is not None and not isinstance(protoquil, bool):
        raise CompileError("protoquil must be true, false or null")
    quil = _typed(request["quil"], str, "quil")
    compiled = compile_quil(quil, request["target_device"], protoquil=bool(protoquil), deadline=deadline)
    return {"_type": "NativeQuilResponse", "quil": compiled.quil, "metadata": compiled.metadata}


def conjugate_pauli_by_clifford(params: dict[str, Any], deadline: float | None) -> dict[str, Any]:
    from openqcs.forest.quilc.benchmarking import conjugate_pauli_by_clifford as conjugate

    request = _argument(params, "conjugate_pauli_by_clifford", "pauli", "clifford")
    pauli = _typed(request["pauli"], dict, "pauli")
    indices = _typed(pauli.get("indices"), list, "pauli.indices")
    symbols = _typed(pauli.get("symbols"), list, "pauli.symbols")
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in indices) or \
            not all(isinstance(s, str) for s in symbols):
        raise CompileError("pauli.indices must be integers and pauli.symbols strings")
    clifford = _typed(request["clifford"], str, "clifford")
    try:
        phase, string = conjugate(list(indices), list(symbols), clifford)
    except ValueError as exc:
        raise CompileError(str(exc)) from None
    return {"_type": "ConjugateByCliffordResponse", "phase": phase, "pauli": string}


def generate_rb_sequence(params: dict[str, Any], deadline: float | None) -> dict[str, Any]:
    from openqcs.forest.quilc.benchmarking import generate_rb_sequence as generate

    request = _argument(params, "generate_rb_sequence", "depth", "qubits", "gateset")
    depth = _typed(request["depth"], int, "depth")
    qubits = _typed(request["qubits"], int, "qubits")
    gateset = _typed(request["gateset"], list, "gateset")
    if not all(isinstance(g, str) for g in gateset):
        raise CompileError("gateset must be a list of Quil strings")
    seed = request.get("seed")
    if seed is not None:
        _typed(seed, int, "seed")
    interleaver = request.get("interleaver")
    if interleaver is not None:
        _typed(interleaver, str, "interleaver")
    try:
        sequence = generate(depth, qubits, list(gateset), seed, interleaver)
    except ValueError as exc:
        raise CompileError(str(exc)) from None
    return {"_type": "RandomizedBenchmarkingResponse", "sequence": sequence}


WORK = {f.__name__: f for f in (quil_to_native_quil, conjugate_pauli_by_clifford, generate_rb_sequence)}


def run(method: str, params: dict[str, Any], remaining: float | None) -> tuple[bool, Any]:
    """(True, result) or (False, message for the user); never raises."""
    deadline = None if remaining is None else time.monotonic() + remaining
    try:
        return True, WORK[method](params, deadline)
    except CompileError as exc:
        return False, exc.message
    except ImportError as exc:
        return False, f"{method} is not available on this server yet ({exc})"
    except RecursionError:
        return False, "the program is nested too deeply to compile"
    except MemoryError:
        return False, "the program is too large to compile in memory"
    except Exception as exc:
        import logging

        logging.getLogger("openqcs.quilc").exception("internal error in %s", method)
        return False, f"internal compiler error in {method}: {type(exc).__name__}: {exc}"
