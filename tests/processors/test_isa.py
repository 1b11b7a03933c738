"""ISA validation says exactly what is wrong; synthesized and published ISAs pass it."""

from __future__ import annotations

import copy
import json
import secrets
import subprocess
from datetime import UTC, datetime

import pytest
import typer
from click.testing import Result
from typer.testing import CliRunner

from openqcs.errors import InvalidArgument
from openqcs.processors import cli as processor_cli
from openqcs.processors.isa import canonical_bytes, validate_isa
from openqcs.processors.seed import PUBLISHED, published_isa
from openqcs.processors.synth import Medians, synthesize
from tests.support.factories import make_synth_processor, make_user
from tests.support.server import OPENQCS

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def small() -> dict:
    return synthesize("Tiny", rows=2, cols=2, seed=5, now=NOW)


def problems_of(doc) -> list[str]:
    with pytest.raises(InvalidArgument) as info:
        validate_isa(doc)
    return [p.message for p in info.value.problems]


def op(doc: dict, name: str) -> dict:
    return next(o for o in doc["instructions"] + doc.get("benchmarks", []) if o["name"] == name)


@pytest.mark.parametrize("name", PUBLISHED)
def test_published_isas_are_valid(name):
    validate_isa(published_isa(name))


def test_unknown_operation_is_named():
    doc = small()
    op(doc, "RX")["name"] = "FOO"
    assert any("unknown 1-qubit operation 'FOO'" in m and m.startswith("instructions.2.name") for m in problems_of(doc))
    doc = small()
    op(doc, "CZ")["name"] = "CNOT"
    assert any("unknown 2-qubit operation 'CNOT'" in m for m in problems_of(doc))


def test_site_not_on_an_edge():
    doc = small()  # 2x2 lattice: 0-1, 0-2, 1-3, 2-3; 0-3 is a diagonal
    op(doc, "CZ")["sites"][0]["node_ids"] = [0, 3]
    assert any("site [0, 3] of CZ is not on an architecture edge" in m for m in problems_of(doc))


def test_missing_fields_are_named_with_their_path():
    doc = small()
    del op(doc, "MEASURE")["sites"][1]["characteristics"][0]["value"]
    del doc["benchmarks"]
    messages = problems_of(doc)
    assert "benchmarks: missing field" in messages
    assert "instructions.4.sites.1.characteristics.0.value: missing field" in messages


def test_node_count_missing_or_mismatched():
    doc = small()
    del op(doc, "RZ")["node_count"]
    op(doc, "MEASURE")["node_count"] = 2
    messages = problems_of(doc)
    assert any(m.startswith("instructions.3.node_count: missing field") for m in messages)
    assert any("node_count mismatch: operation MEASURE has node_count 2 but this site has 1 node(s)" in m
               for m in messages)


def test_timestamps_must_be_rfc3339():
    doc = small()
    op(doc, "MEASURE")["sites"][0]["characteristics"][0]["timestamp"] = "yesterday"
    assert any("'yesterday' is not an RFC 3339 date-time" in m for m in problems_of(doc))


def test_node_outside_the_architecture():
    doc = small()
    op(doc, "RX")["sites"][0]["node_ids"] = [42]
    assert any("node 42 is not in architecture.nodes" in m for m in problems_of(doc))


def test_rb_benchmark_needs_exactly_one_site_covering_rx_qubits():
    doc = small()
    rb = op(doc, "randomized_benchmark_simultaneous_1q")
    rb["sites"].append(copy.deepcopy(rb["sites"][0]))
    assert any("must have exactly one site, not 2" in m for m in problems_of(doc))
    doc = small()
    op(doc, "randomized_benchmark_simultaneous_1q")["sites"][0]["characteristics"].pop()
    assert any("no fRB characteristic for qubit(s) [3]" in m for m in problems_of(doc))
    doc = small()
    doc["benchmarks"] = [b for b in doc["benchmarks"] if b["name"] != "randomized_benchmark_simultaneous_1q"]
    assert any("missing benchmark 'randomized_benchmark_simultaneous_1q'" in m for m in problems_of(doc))


def test_summary_message_counts_the_problems():
    doc = small()
    op(doc, "RX")["name"] = "rx"
    op(doc, "CZ")["name"] = "CNOT"
    with pytest.raises(InvalidArgument) as info:
        validate_isa(doc)
    assert info.value.message.endswith("(and 1 more)")
    assert info.value.status == 422


def test_synth_lattice_shape_and_figures():
    doc = synthesize("Ankaa-big", rows=7, cols=12, seed=11, now=NOW)
    validate_isa(doc)
    assert doc["architecture"]["family"] == "Ankaa"
    assert len(doc["architecture"]["nodes"]) == 84
    assert len(doc["architecture"]["edges"]) == 7 * 11 + 6 * 12
    rb = op(doc, "randomized_benchmark_simultaneous_1q")
    assert len(rb["sites"]) == 1 and len(rb["sites"][0]["characteristics"]) == 84
    fcz = sorted(s["characteristics"][0]["value"] for s in op(doc, "CZ")["sites"])
    assert 0.95 < fcz[len(fcz) // 2] < 0.99 and all(0.5 <= f < 1 for f in fcz)
    t1 = {s["node_ids"][0]: s["characteristics"][0]["value"] for s in op(doc, "FreeInversionRecovery")["sites"]}
    t2 = {s["node_ids"][0]: s["characteristics"][0]["value"] for s in op(doc, "FreeInductionDecay")["sites"]}
    assert all(t2[q] <= 2 * t1[q] for q in t1)
    assert 10e-6 < sorted(t1.values())[42] < 90e-6
    stamps = {c["timestamp"] for o in doc["instructions"] for s in o["sites"] for c in s["characteristics"]}
    assert stamps == {"2026-01-02T03:04:05Z"}


def test_synth_is_reproducible_and_follows_medians():
    one = synthesize("A", rows=3, cols=3, seed=1, now=NOW)
    assert canonical_bytes(one) == canonical_bytes(synthesize("A", rows=3, cols=3, seed=1, now=NOW))
    assert canonical_bytes(one) != canonical_bytes(synthesize("A", rows=3, cols=3, seed=2, now=NOW))
    worse = synthesize("A", rows=3, cols=3, seed=1, now=NOW, medians=Medians(fro=0.8))
    fro = sorted(s["characteristics"][0]["value"] for s in op(worse, "MEASURE")["sites"])
    assert 0.7 < fro[4] < 0.88
    with pytest.raises(InvalidArgument):
        synthesize("A", rows=0, cols=3, seed=1, now=NOW)


def test_canonical_bytes_drop_nulls():
    doc = small()
    op(doc, "MEASURE")["sites"][0]["characteristics"][0]["error"] = None
    validate_isa(doc)
    assert b"null" not in canonical_bytes(doc)


def cli(server, *args: str) -> Result:
    """``openqcs admin processor …`` in-process (the subprocess test below proves the wiring)."""
    root = typer.Typer()
    root.add_typer(processor_cli.app, name="processor")
    env = {k: v for k, v in server.env.items() if k.startswith("OPENQCS_")}
    return CliRunner().invoke(root, ["processor", *args], env=env)


def test_cli_import_reports_problems_and_stores_versions(server, tmp_path):
    bad = small()
    op(bad, "CZ")["sites"][0]["node_ids"] = [0, 3]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    result = cli(server, "import", str(path), "--id", "Cli-Bad")
    assert result.exit_code == 1
    assert "site [0, 3] of CZ is not on an architecture edge" in result.stderr
    path.write_text(json.dumps(small()))
    pid = f"Cli-{tmp_path.name[-6:]}"
    first = cli(server, "import", str(path), "--id", pid, "--restricted")
    second = cli(server, "import", str(path), "--id", pid)
    assert first.exit_code == 0 and "ISA version 1" in first.stdout
    assert second.exit_code == 0 and "ISA version 2" in second.stdout
    listing = cli(server, "list").stdout
    assert f"{pid}\tAnkaa\trestricted\tISA v2" in listing
    assert "Cli-Bad" not in listing


def test_cli_synth_grant_and_set(server):
    pid = "Cli-Synth-" + secrets.token_hex(3)
    made = cli(server, "synth", "--rows", "2", "--cols", "3", "--seed", "4", "--id", pid, "--restricted")
    assert made.exit_code == 0, made.stderr
    assert cli(server, "grant", pid, "--group", "lab").exit_code == 0
    no_user = cli(server, "grant", pid, "--user", "nobody@example.test")
    assert no_user.exit_code == 1 and "no user with email or idpId 'nobody@example.test'" in no_user.stderr
    assert cli(server, "set", pid, "--public", "--noiseless").exit_code == 0
    listing = cli(server, "list").stdout
    assert f"{pid}\tAnkaa\tpublic noiseless\tISA v1 grants: group:lab" in listing
    missing = cli(server, "set", "No-Such", "--public")
    assert missing.exit_code == 1 and "not found" in missing.stderr


def test_cli_grant_finds_the_user_whatever_the_case_of_the_email(server):
    """Emails are stored lowercased; `admin processor grant --user Alice@X` names the same user as
    `admin user` does, and `--user` still takes an idpId."""
    user = make_user(server.ctx)
    pid = make_synth_processor(server.ctx, prefix="Cli-Case", public=False)
    path = f"/v1/quantumProcessors/{pid}"
    assert server.client(user.token).get(path).status_code == 404
    granted = cli(server, "grant", pid, "--user", f" {user.email.upper()} ")
    assert granted.exit_code == 0, granted.stderr
    assert f"{pid}: user {user.idp_id} granted" in granted.stdout
    assert server.client(user.token).get(path).status_code == 200
    again = cli(server, "grant", pid, "--user", user.idp_id)
    assert again.exit_code == 0 and "already granted" in again.stdout
    revoked = cli(server, "revoke", pid, "--user", user.email.capitalize())
    assert revoked.exit_code == 0 and f"{pid}: user {user.idp_id} revoked" in revoked.stdout
    assert server.client(user.token).get(path).status_code == 404


# The CLI runs the same service code the storage tests cover on both databases: SQLite suffices.
@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_openqcs_admin_processor_is_wired(server, demo):
    result = subprocess.run([OPENQCS, "admin", "processor", "list"], env=server.env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Aspen-M-3\tAspen\tpublic\tISA v1" in result.stdout
