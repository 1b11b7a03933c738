"""Very long Quil programs get a clear INVALID_ARGUMENT, not a stuck or exhausted server."""

from __future__ import annotations

import grpc

from tests.support.execution import code_of, translate


def test_program_over_the_size_limit_is_refused(stubs, ideal):
    huge = "DECLARE ro BIT[1]\n" + "RX(pi) 0\n" * 150_000 + "MEASURE 0 ro[0]\n"  # ~1.35 MB
    code, details = code_of(translate, stubs, ideal, huge)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "longer than" in details


def test_long_program_within_the_limit_is_translated(stubs, ideal):
    long = "DECLARE ro BIT[1]\n" + "RX(pi/2) 0\n" * 60_000 + "MEASURE 0 ro[0]\n"  # ~660 KB
    response = translate(stubs, ideal, long)  # the gRPC call's own 30 s deadline guards against hangs
    assert response.metadata.readout_mappings["ro[0]"]
    # The server still answers ordinary requests afterwards.
    small = translate(stubs, ideal, "DECLARE ro BIT[1]\nMEASURE 0 ro[0]\n")
    assert small.metadata.readout_mappings["ro[0]"]
