"""The QVM over HTTP: the ASGI app's status codes and bodies, simulations off the event loop, and
the process ``openqcs serve`` starts (it stops with ``stop()`` and when its parent dies)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time

import httpx
import msgspec

from openqcs.config import load_settings
from openqcs.forest.qvm import server
from openqcs.forest.qvm.app import create_app
from tests.support.server import free_port

app = create_app(threads=2)

# One trajectory per shot (classical control) on 12 qubits: seconds of work, on purpose.
SLOW = ("DECLARE ro BIT[1]\n" + "".join(f"H {q}\nCNOT {q} {q + 1}\n" for q in range(11)) * 2
        + "MEASURE 0 ro[0]\nJUMP-WHEN @end ro[0]\nLABEL @end\n")


async def post(client: httpx.AsyncClient, body) -> httpx.Response:
    content = body if isinstance(body, bytes) else msgspec.json.encode(body)
    return await client.post("/", content=content, headers={"content-type": "application/json"})


def run(coro):
    async def main():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://qvm") as client:
            return await coro(client)

    return asyncio.run(main())


def test_replies_carry_the_real_qvms_content_types():
    async def go(client):
        version = await post(client, {"type": "version"})
        wavefunction = await post(client, {"type": "wavefunction", "compiled-quil": "H 0\n"})
        shots = await post(client, {"type": "multishot", "compiled-quil": "DECLARE ro BIT\nX 0\nMEASURE 0 ro\n",
                                    "addresses": {"ro": True}, "trials": 2})
        return version, wavefunction, shots

    version, wavefunction, shots = run(go)
    assert version.status_code == 200 and version.headers["content-type"].startswith("text/plain")
    assert wavefunction.headers["content-type"] == "application/octet-stream" and len(wavefunction.content) == 32
    assert shots.json() == {"ro": [[1], [1]]}


def test_errors_are_json_qvm_errors_whatever_the_path_or_mistake():
    async def go(client):
        bad_json = await post(client, b"{nope")
        parse = await client.post("/some/path", content=b'{"type":"wavefunction","compiled-quil":"H(0\\n"}')
        get = await client.get("/")
        return bad_json, parse, get

    bad_json, parse, get = run(go)
    assert bad_json.status_code == 500 and bad_json.json()["error_type"] == "qvm_error"
    assert "not valid JSON" in bad_json.json()["status"]
    assert parse.status_code == 500 and "does not parse" in parse.json()["status"]
    assert get.status_code == 405 and get.json()["error_type"] == "qvm_error"


def test_a_long_simulation_does_not_hold_up_other_requests():
    async def go(client):
        slow = asyncio.create_task(post(client, {"type": "multishot", "compiled-quil": SLOW,
                                                 "addresses": {"ro": True}, "trials": 3000}))
        await asyncio.sleep(0.2)  # let the slow one reach its thread
        quick = await post(client, {"type": "wavefunction", "compiled-quil": "X 0\n"})
        version = await post(client, {"type": "version"})
        answered_first = not slow.done()
        return answered_first, quick, version, await slow

    answered_first, quick, version, slow = run(go)
    assert answered_first, "the quick requests waited for the long simulation"
    assert quick.status_code == version.status_code == slow.status_code == 200
    assert len(slow.json()["ro"]) == 3000


def _settings(port: int):
    return load_settings({"OPENQCS_QVM_PORT": str(port), "OPENQCS_HOST": "127.0.0.1"})


def _version(url: str) -> str:
    return httpx.post(url, json={"type": "version"}, timeout=5).text


def _gone(url: str, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.post(url, json={"type": "version"}, timeout=1)
        except httpx.TransportError:
            return True
        time.sleep(0.2)
    return False


def test_start_serves_on_the_qvm_port_and_stop_ends_it():
    settings = _settings(free_port())
    stop = server.start(settings)
    try:
        assert _version(settings.qvm_url).startswith("1.17")  # listening when start returns
    finally:
        stop()
    assert _gone(settings.qvm_url, seconds=2)


def test_no_qvm_when_its_port_is_zero():
    assert server.start(_settings(0)) is None


def test_the_qvm_does_not_outlive_a_killed_parent():
    port = free_port()
    script = textwrap.dedent(f"""
        import sys, time
        from openqcs.config import load_settings
        from openqcs.forest.qvm import server
        server.start(load_settings({{"OPENQCS_QVM_PORT": "{port}"}}))
        print("up", flush=True)
        time.sleep(600)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "up"
        url = f"http://127.0.0.1:{port}"
        assert _version(url).startswith("1.17")
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        assert _gone(url), "the QVM kept serving after openqcs serve's process died"
    finally:
        if parent.poll() is None:
            parent.kill()
