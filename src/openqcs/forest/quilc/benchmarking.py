"""quilc's benchmarking methods: ``conjugate_pauli_by_clifford`` and ``generate_rb_sequence``.

Both take what pyquil's ``BenchmarkConnection`` sends (forest-wire.md §2.6, §2.7) and return what
it reads back. Bad input raises ValueError with a message meant for the user.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import stim
from cachetools import LRUCache, cached

from openqcs.forest.quilc.cliffords import key, parse_clifford

MAX_RB_QUBITS = 2
MAX_DEPTH = 100_000  # quilc has no limit; this keeps one request to about a second of work
MAX_GATESET = 128
GROUP_ORDER = {1: 24, 2: 11520}  # Clifford group sizes modulo global phase
_PHASE = {1: 0, 1j: 1, -1: 2, -1j: 3}  # stim's sign -> k with sign == 1j**k
_PAULIS = frozenset("IXYZ")


def conjugate_pauli_by_clifford(indices: list[int], symbols: list[str], clifford: str) -> tuple[int, str]:
    """C P C† for the Pauli term (indices, symbols) and the Clifford given as Quil text.

    Returns (phase, pauli): C P C† == 1j**phase * pauli, where pauli[i] acts on the i-th qubit of
    the sorted union of the Pauli's and the Clifford's qubits (pyquil reads it back that way).
    """
    paulis = _pauli_term(indices, symbols)
    program = parse_clifford(clifford)
    qubits = sorted(set(paulis) | set(program.qubits))
    pauli = stim.PauliString("".join(paulis.get(q, "I") for q in qubits))
    out = program.tableau_on(qubits)(pauli)
    text = str(out)[1:].replace("_", "I")  # str() is "+X_Z": sign, then one letter per qubit
    return _PHASE[out.sign], text


def _pauli_term(indices: list[int], symbols: list[str]) -> dict[int, str]:
    if not isinstance(indices, list) or not isinstance(symbols, list):
        raise ValueError("the Pauli term needs a list of qubit indices and a list of symbols")
    if len(indices) != len(symbols):
        raise ValueError(f"the Pauli term has {len(indices)} indices but {len(symbols)} symbols")
    term: dict[int, str] = {}
    for q, s in zip(indices, symbols, strict=True):
        if not _is_int(q) or q < 0:
            raise ValueError(f"Pauli qubit indices must be non-negative integers, got {q!r}")
        if s not in _PAULIS:
            raise ValueError(f"Pauli symbols must be one of I, X, Y, Z, got {s!r}")
        if q in term:
            raise ValueError(f"qubit {q} appears twice in the Pauli term")
        term[q] = s
    return term


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def generate_rb_sequence(depth: int, qubits: int, gateset: list[str], seed: int | None,
                         interleaver: str | None) -> list[list[int]]:
    """A randomized-benchmarking sequence of Cliffords, each a list of indices into ``gateset``.

    The reply is in quilc's order, which pyquil reverses twice (forest-wire.md §2.7): entry j's
    Clifford is the matrix product gateset[w[0]] · gateset[w[1]] · ..., and the program pyquil
    builds runs the entries last to first. That program is R_1, [G,] R_2, [G,] ... R_{depth-1},
    [G,] C_inv in time order (G the interleaver), and composes to the identity up to phase.
    """
    _check_rb_numbers(depth, qubits, seed)
    table, inter = _table_for(qubits, gateset, interleaver)
    picks = np.random.default_rng(seed).integers(0, len(table.elements), size=depth - 1)
    timeline: list[int] = []
    for pick in picks.tolist():
        timeline.append(pick)
        if inter is not None:
            timeline.append(inter)
    so_far = stim.Tableau(qubits)
    for element in timeline:
        so_far = so_far.then(table.elements[element])
    timeline.append(table.index[key(so_far.inverse())])
    return [table.word(element) for element in reversed(timeline)]


def _check_rb_numbers(depth: int, qubits: int, seed: int | None) -> None:
    if not _is_int(qubits) or not 1 <= qubits <= MAX_RB_QUBITS:
        raise ValueError(f"randomized benchmarking supports 1 or 2 qubits, got {qubits!r}")
    if not _is_int(depth) or depth < 2:
        raise ValueError(f"the RB depth must be an integer of at least 2 (random Cliffords and their inverse), "
                         f"got {depth!r}")
    if depth > MAX_DEPTH:
        raise ValueError(f"the RB depth must be at most {MAX_DEPTH}, got {depth}")
    # quilc seeds SBCL's generator with any unsigned integer: 0 is accepted, negatives are not.
    if seed is not None and (not _is_int(seed) or seed < 0):
        raise ValueError(f"the seed must be a non-negative integer (or null for a random sequence), got {seed!r}")


def _table_for(qubits: int, gateset: list[str], interleaver: str | None) -> tuple[CliffordTable, int | None]:
    if not isinstance(gateset, list) or not gateset:
        raise ValueError("the gateset must be a non-empty list of Quil gates, one per entry")
    if len(gateset) > MAX_GATESET:
        raise ValueError(f"the gateset may hold at most {MAX_GATESET} gates, got {len(gateset)}")
    programs = [parse_clifford(text, f"gateset entry {i}") for i, text in enumerate(gateset)]
    for i, program in enumerate(programs):
        if not program.gates:
            raise ValueError(f"gateset entry {i} is empty; give one Quil gate per entry")
    inter = parse_clifford(interleaver, "the interleaver") if interleaver is not None else None
    # Like quilc, gates act on whatever qubits they name; those are relabelled densely, in order.
    used = sorted({q for p in programs for q in p.qubits} | set(inter.qubits if inter else ()))
    if len(used) > qubits:
        raise ValueError(f"the gateset and interleaver act on qubits {used}, more than the {qubits} "
                         "qubit(s) of this RB request")
    used += [max(used, default=-1) + 1 + i for i in range(qubits - len(used))]
    generators = [p.tableau_on(used) for p in programs]
    table = group_table(generators)
    if len(table.elements) != GROUP_ORDER[qubits]:
        raise ValueError(f"the gateset generates {len(table.elements)} of the {GROUP_ORDER[qubits]} "
                         f"Cliffords on {qubits} qubit(s); it must generate them all (for example "
                         "RX(pi/2) and RZ(pi/2) on each qubit, and CZ between two qubits)")
    return table, (table.index[key(inter.tableau_on(used))] if inter else None)


@dataclass
class CliffordTable:
    """Every Clifford a gateset reaches, each with a shortest word over the gateset."""

    elements: list[stim.Tableau]  # in breadth-first order: elements[0] is the identity
    index: dict[str, int]
    words: list[list[int]]
    identity_word: list[int]  # shortest non-empty word for the identity, as quilc gives one

    def word(self, element: int) -> list[int]:
        # An empty word would leave a step of the sequence without gates.
        return list(self.identity_word if element == 0 else self.words[element])


@cached(LRUCache(maxsize=8), key=lambda generators: tuple(key(g) for g in generators), lock=threading.Lock())
def group_table(generators: list[stim.Tableau]) -> CliffordTable:
    """The memoised table for these generators (in this order: words index into the list)."""
    return _breadth_first(generators)


def _breadth_first(generators: list[stim.Tableau]) -> CliffordTable:
    n = len(generators[0])
    first: dict[str, int] = {}  # a gate listed twice (RX(pi) and RX(-pi)) answers with its first index
    for i, g in enumerate(generators):
        first.setdefault(key(g), i)
    distinct = [(i, generators[i]) for i in sorted(first.values())]
    identity = stim.Tableau(n)
    elements = [identity]
    words: list[list[int]] = [[]]
    index = {key(identity): 0}
    frontier = 0
    while frontier < len(elements):
        current, word = elements[frontier], words[frontier]
        for i, g in distinct:
            product = current * g  # the matrix product current · g
            name = key(product)
            if name not in index:
                index[name] = len(elements)
                elements.append(product)
                words.append(word + [i])
        frontier += 1
    # g followed by a word for g's inverse multiplies to the identity; take the shortest such pair.
    candidates = [[i] + words[index[key(g.inverse())]] for i, g in distinct]
    return CliffordTable(elements, index, words, min(candidates, key=len))
