"""OpenQASM 2.0 input (pyquil's ``transpile_qasm_2`` sends it in the ``quil`` field): each ``creg``
becomes a BIT region of the same name, each ``qreg`` qubit a logical qubit in declaration order."""

from __future__ import annotations

from qiskit import qasm2
from qiskit.circuit import QuantumCircuit

from openqcs.forest.quilc.errors import CompileError
from openqcs.forest.quilc.expr import Parameters
from openqcs.forest.quilc.quil_in import MAX_INSTRUCTIONS, Parsed


def read_qasm(source: str) -> Parsed:
    try:
        loaded = qasm2.loads(source, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except qasm2.QASM2ParseError as exc:
        raise CompileError(f"the OpenQASM 2.0 program does not parse: {exc}") from None
    if len(loaded.data) > MAX_INSTRUCTIONS:
        raise CompileError(f"the program has {len(loaded.data)} instructions; "
                           f"this compiler takes at most {MAX_INSTRUCTIONS}")
    names = {}
    for register in loaded.cregs:
        for index, bit in enumerate(register):
            names[bit] = (register.name, index)
    circuit = QuantumCircuit(loaded.num_qubits)
    circuit.add_bits(loaded.clbits)
    for inst in loaded.data:
        op = inst.operation
        if getattr(op, "condition", None) is not None or op.name in ("if_else", "while_loop"):
            raise CompileError("classically conditioned OpenQASM instructions are not supported; write them in Quil")
        if op.name == "barrier":
            continue
        qubits = [loaded.find_bit(q).index for q in inst.qubits]
        circuit.append(op, qubits, inst.clbits)
    declarations = [f"DECLARE {r.name} BIT[{r.size}]" for r in loaded.cregs]
    return Parsed(declarations, list(range(loaded.num_qubits)), {b: names[b] for b in loaded.clbits},
                  [circuit], Parameters({r.name: r.size for r in loaded.cregs}))
