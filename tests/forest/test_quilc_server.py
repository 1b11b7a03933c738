"""The quilc process over a real ZeroMQ socket, spoken to as Rigetti's SDK does (forest-wire.md
§2): a DEALER sending one msgpack frame per request, a new socket per request."""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import msgspec
import numpy as np
import pytest
import quil.program
import zmq

from openqcs.config import load_settings
from openqcs.forest.quilc import server
from tests.support.server import free_port

REFERENCE = Path("/work/shared/reference")
if not REFERENCE.exists():
    REFERENCE = Path(__file__).resolve().parents[3] / "shared/reference"
TWO_Q = json.loads((REFERENCE / "forest-target-device-2q-qvm.json").read_text())
ASPEN = json.loads((REFERENCE / "forest-target-device-aspen-m3.json").read_text())
BELL = "DECLARE ro BIT[2]\nH 0\nCNOT 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n"


@pytest.fixture(scope="module")
def quilc():
    settings = load_settings({}, host="127.0.0.1", quilc_port=free_port(), log_level="WARNING")
    stop = server.start(settings)
    assert stop is not None
    yield settings.quilc_url
    stop()


def request(method: str, params: dict | None = None, timeout: float = 30.0, **extra) -> dict:
    # the SDK's key order and types (§2.2)
    return {"_type": "RPCRequest", "method": method, "params": {} if params is None else params,
            "id": str(uuid.uuid4()), "jsonrpc": "2.0", "client_timeout": float(timeout), "client_key": None, **extra}


class Client:
    def __init__(self, url: str, *frames_before: bytes) -> None:
        self.socket = zmq.Context.instance().socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(url)
        self.before = list(frames_before)

    def send(self, payload: bytes) -> None:
        self.socket.send_multipart([*self.before, payload])

    def receive(self, wait: float = 30.0) -> dict:
        assert self.socket.poll(int(wait * 1000)), "quilc did not answer"
        frames = self.socket.recv_multipart()
        return msgspec.msgpack.decode(frames[-1])

    def close(self) -> None:
        self.socket.close(0)


def call(url: str, message: dict | bytes, wait: float = 30.0) -> dict:
    client = Client(url)
    try:
        client.send(message if isinstance(message, bytes) else msgspec.msgpack.encode(message))
        return client.receive(wait)
    finally:
        client.close()


def compile_request(quil: str, device: dict = TWO_Q, protoquil=None, timeout: float = 30.0) -> dict:
    return request("quil_to_native_quil", {"protoquil": protoquil, "*args": [
        {"_type": "NativeQuilRequest", "quil": quil, "target_device": device}]}, timeout)


def big_program(qubits: int = 30, gates: int = 3000) -> str:
    rng = np.random.default_rng(0)
    lines = []
    for _ in range(gates):
        a, b = rng.choice(qubits, 2, replace=False)
        lines += [f"CNOT {a} {b}", f"RX({rng.uniform()}) {a}"]
    return "\n".join(lines) + "\n"


def test_version_is_three_integers_and_echoes_the_id(quilc):
    message = request("get_version_info")
    reply = call(quilc, message)
    assert reply["_type"] == "RPCReply" and reply["id"] == message["id"] and reply["jsonrpc"] == "2.0"
    assert reply["warnings"] == []
    major, minor, _patch = map(int, reply["result"]["quilc"].split("."))
    assert (major, minor) >= (1, 8)


def test_bell_compiles_to_native_quil_without_metadata_by_default(quilc):
    message = compile_request(BELL)
    reply = call(quilc, message)
    assert reply["_type"] == "RPCReply" and reply["id"] == message["id"]
    result = reply["result"]
    assert result["metadata"] is None
    program = quil.program.Program.parse(result["quil"])
    names = {ins._0.name for ins in program.body_instructions if type(ins).__name__ == "Gate"}
    assert names <= {"RX", "RZ", "CZ", "XY"} and ("CZ" in names or "XY" in names)
    assert "MEASURE" in result["quil"] and "DECLARE ro BIT[2]" in result["quil"]


def test_protoquil_requests_get_metadata(quilc):
    result = call(quilc, compile_request(BELL, ASPEN, protoquil=True))["result"]
    meta = result["metadata"]
    assert len(meta["final_rewiring"]) == 2 and meta["topological_swaps"] == 0
    assert meta["multiqubit_gate_depth"] >= 1 and meta["gate_volume"] >= meta["gate_depth"] >= 1
    assert 0 < meta["program_fidelity"] < 1 and meta["program_duration"] > 2000  # readout is 2 us on Aspen-M-3


def test_an_empty_delimiter_frame_is_tolerated_and_returned(quilc):
    client = Client(quilc, b"")
    try:
        message = request("get_version_info")
        client.send(msgspec.msgpack.encode(message))
        assert client.socket.poll(10000)
        frames = client.socket.recv_multipart()
        assert frames[0] == b"" and msgspec.msgpack.decode(frames[1])["id"] == message["id"]
    finally:
        client.close()


@pytest.mark.parametrize("message,expected", [
    (request("no_such_method"), "unknown method 'no_such_method'"),
    (request("quil_to_native_quil"), "needs one argument"),
    (request("quil_to_native_quil", {"*args": [{"quil": 7, "target_device": TWO_Q}]}), "quil has the wrong type"),
    (request("quil_to_native_quil", {"*args": [{"quil": "H 0", "target_device": "x"}]}), "TargetDevice"),
    (request("quil_to_native_quil", {"protoquil": "yes", "*args": [{"quil": "H 0", "target_device": TWO_Q}]}),
     "protoquil must be"),
    (compile_request("H 0\nBOGUS 0\n"), "unknown gate BOGUS"),
    (compile_request("H 0\nH 1\nH 2\n"), "uses 3 qubits but the device has only 2 live qubits"),
    (compile_request("H 0\nRX(0 1\n"), "line 2"),
    (request("get_version_info", "params-not-a-map"), None),
])
def test_bad_requests_get_an_rpc_error_with_their_id(quilc, message, expected):
    reply = call(quilc, message)
    if expected is None:
        assert reply["_type"] == "RPCError" and "params must be a map" in reply["error"]
        return
    assert reply["_type"] == "RPCError", reply
    assert reply["id"] == message["id"]
    assert expected in reply["error"]


@pytest.mark.parametrize("payload", [b"\xc1\xc1 not msgpack", msgspec.msgpack.encode([1, 2, 3]), b""])
def test_malformed_payloads_still_get_an_answer(quilc, payload):
    reply = call(quilc, payload)
    assert reply["_type"] == "RPCError" and reply["error"]


def test_a_compile_past_its_client_timeout_gets_an_error_saying_so(quilc):
    started = time.monotonic()
    reply = call(quilc, compile_request(big_program(), ASPEN, timeout=0.3), wait=60)
    assert reply["_type"] == "RPCError" and "client_timeout" in reply["error"]
    # and the service is still there afterwards
    assert call(quilc, request("get_version_info"))["_type"] == "RPCReply"
    assert time.monotonic() - started < 30


def test_version_is_answered_while_a_long_compile_runs(quilc):
    slow, fast = Client(quilc), Client(quilc)
    try:
        slow.send(msgspec.msgpack.encode(compile_request(big_program(), ASPEN, timeout=120)))
        time.sleep(0.3)
        fast.send(msgspec.msgpack.encode(request("get_version_info")))
        assert fast.socket.poll(5000), "version was not answered during the compile"
        assert msgspec.msgpack.decode(fast.socket.recv_multipart()[-1])["_type"] == "RPCReply"
        assert not slow.socket.poll(0), "the compile finished before the version was asked; not a test"
        reply = slow.receive(wait=120)
        assert reply["_type"] == "RPCReply" and reply["result"]["quil"].count("\n") > 1000
    finally:
        slow.close()
        fast.close()


def test_stop_ends_the_process_and_frees_the_port():
    settings = load_settings({}, host="127.0.0.1", quilc_port=free_port(), log_level="WARNING")
    stop = server.start(settings)
    assert call(settings.quilc_url, request("get_version_info"))["_type"] == "RPCReply"
    stop()
    probe = zmq.Context.instance().socket(zmq.ROUTER)
    try:
        probe.bind(settings.quilc_url)  # would fail if the quilc process still held it
    finally:
        probe.close(0)


def test_zero_port_means_off():
    assert server.start(load_settings({}, quilc_port=0)) is None


def test_conjugate_pauli_by_clifford_is_served_in_quilcs_shape(quilc):
    message = request("conjugate_pauli_by_clifford", {"*args": [{
        "_type": "ConjugateByCliffordRequest", "pauli": {"_type": "PauliTerm", "indices": [0], "symbols": ["X"]},
        "clifford": "H 0\n"}]})
    reply = call(quilc, message)
    assert reply["_type"] == "RPCReply" and reply["id"] == message["id"]
    assert (reply["result"]["phase"], reply["result"]["pauli"]) == (0, "Z")  # pyquil's own test: H X H = Z
    bad = call(quilc, request("conjugate_pauli_by_clifford", {"*args": [{
        "pauli": {"indices": [0], "symbols": ["X"]}, "clifford": "T 0\n"}]}))
    assert bad["_type"] == "RPCError" and bad["error"]


def test_generate_rb_sequence_is_served_and_seeded(quilc):
    args = {"_type": "RandomizedBenchmarkingRequest", "depth": 3, "qubits": 1,
            "gateset": ["PHASE(1.5707963267948966) 0", "H 0"], "seed": 52, "interleaver": None}
    first = call(quilc, request("generate_rb_sequence", {"*args": [args]}))
    again = call(quilc, request("generate_rb_sequence", {"*args": [args]}))
    assert first["_type"] == "RPCReply"
    sequence = first["result"]["sequence"]
    assert len(sequence) == 3 and all(all(i in (0, 1) for i in clifford) for clifford in sequence)
    assert again["result"]["sequence"] == sequence
    bad = call(quilc, request("generate_rb_sequence", {"*args": [{**args, "depth": "three"}]}))
    assert bad["_type"] == "RPCError" and "depth" in bad["error"]


def test_a_killed_compile_worker_still_answers_and_is_replaced():
    from openqcs.forest.quilc.workers import Job, Pool

    pool = Pool(1, "WARNING")
    answers = []
    done = threading.Event()

    def record(ok, value):
        answers.append((ok, value))
        done.set()

    try:
        params = {"*args": [{"quil": big_program(), "target_device": ASPEN}]}
        pool.submit(Job("quil_to_native_quil", params, time.monotonic() + 120, record))
        deadline = time.monotonic() + 60
        while not (pool.workers[0].process and pool.workers[0].process.is_alive()):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.0)  # inside the compile
        pool.workers[0].process.kill()
        assert done.wait(30)
        assert answers[0][0] is False and "stopped unexpectedly" in answers[0][1]
        done.clear()
        small = {"*args": [{"quil": BELL, "target_device": TWO_Q}]}
        pool.submit(Job("quil_to_native_quil", small, time.monotonic() + 60, record))
        assert done.wait(60)
        assert answers[1][0] is True and "DECLARE ro BIT[2]" in answers[1][1]["quil"]
    finally:
        pool.close()


ORPHAN = """
import sys, time
from openqcs.config import load_settings
from openqcs.forest.quilc import server
server.start(load_settings({{}}, host="127.0.0.1", quilc_port={port}, log_level="WARNING"))
print("up", flush=True)
time.sleep(600)
"""


def test_quilc_exits_when_its_parent_dies():
    port = free_port()
    parent = subprocess.Popen([sys.executable, "-c", ORPHAN.format(port=port)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "up"
        assert call(f"tcp://127.0.0.1:{port}", request("get_version_info"))["_type"] == "RPCReply"
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 20
        while True:
            probe = zmq.Context.instance().socket(zmq.ROUTER)
            try:
                probe.bind(f"tcp://127.0.0.1:{port}")
                break
            except zmq.ZMQError:
                assert time.monotonic() < deadline, "the orphaned quilc process kept its port"
                time.sleep(0.2)
            finally:
                probe.close(0)
    finally:
        if parent.poll() is None:
            parent.kill()


def test_random_requests_all_get_an_answer_and_the_loop_survives(quilc):
    rng = np.random.default_rng(11)
    values = [None, True, 0, -1, 2 ** 40, 1.5, float("nan"), "", "x" * 300, [], [1, "a"], {}, {"a": 1}, b"\x00\xff"]
    methods = ["get_version_info", "quil_to_native_quil", "conjugate_pauli_by_clifford", "generate_rb_sequence", 7, None]
    def pick():
        return copy.deepcopy(values[rng.integers(len(values))])

    for _ in range(60):
        message = request(methods[rng.integers(len(methods))])
        for key in ("params", "id", "client_timeout", "_type"):
            if rng.random() < 0.5:
                message[key] = pick()
        if isinstance(message["params"], dict) and rng.random() < 0.7:
            keys = ("quil", "target_device", "pauli", "clifford", "depth", "qubits", "gateset")
            message["params"]["*args"] = [{k: pick() for k in keys}]
        reply = call(quilc, message, wait=60)
        assert reply["_type"] in ("RPCReply", "RPCError")
        if reply["_type"] == "RPCError":
            assert isinstance(reply["error"], str) and reply["error"]
            assert "Traceback" not in reply["error"] and "internal" not in reply["error"], reply["error"]
    assert call(quilc, request("get_version_info"))["_type"] == "RPCReply"


def test_stop_is_prompt_even_during_a_long_compile():
    settings = load_settings({}, host="127.0.0.1", quilc_port=free_port(), log_level="WARNING")
    stop = server.start(settings)
    client = Client(settings.quilc_url)
    try:
        client.send(msgspec.msgpack.encode(compile_request(big_program(40, 10000), ASPEN, timeout=300)))
        time.sleep(1.0)
        started = time.monotonic()
        stop()
        assert time.monotonic() - started < 10
    finally:
        client.close()
