"""Pure slot arithmetic: Go durations, free windows, refund policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openqcs.config import Settings
from openqcs.errors import InvalidArgument
from openqcs.reservations.flows import refund_due
from openqcs.reservations.models import Reservation
from openqcs.reservations.service import align_up, format_go_duration, free_windows, parse_go_duration

T0 = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize("text, minutes", [("15m", 15), ("1h", 60), ("1h30m", 90), ("90m", 90), ("2700s", 45),
                                           ("0.5h", 30), ("1h0m0s", 60), ("+30m", 30)])
def test_go_durations_parse(text, minutes):
    assert parse_go_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["", "15", "m", "1x", "1h 30m", "-15m", "0", "0s", "10m", "1h5m", "h1", "1.m2"])
def test_bad_or_unaligned_durations_are_rejected(text):
    with pytest.raises(InvalidArgument) as caught:
        parse_go_duration(text)
    assert caught.value.problems[0].path == ("duration",)


def test_go_duration_format():
    assert [format_go_duration(timedelta(minutes=m)) for m in (15, 60, 90)] == ["15m0s", "1h0m0s", "1h30m0s"]


def test_align_up():
    assert align_up(at(0)) == at(0)
    assert align_up(at(0.001)) == at(15)
    assert align_up(at(44)) == at(45)


def test_free_windows_step_past_busy_time():
    busy = [(at(30), at(45)), (at(50), at(70))]
    windows = free_windows(busy, at(0), at(120), timedelta(minutes=30))
    assert windows == [(at(0), at(30)), (at(75), at(105)), (at(90), at(120)), (at(105), at(135))]


def test_free_windows_start_aligned_and_stop_at_horizon():
    assert free_windows([], at(1), at(31), timedelta(minutes=15)) == [(at(15), at(30)), (at(30), at(45))]


@pytest.mark.parametrize("hours_before, refunded", [(48, 1000), (24.01, 1000), (24, 500), (1, 500), (0, 0), (-1, 0)])
def test_refund_policy(hours_before, refunded):
    booking = Reservation(start_time=at(0), end_time=at(60), price=1000)
    assert refund_due(booking, at(-hours_before * 60), Settings()) == refunded


def test_refund_policy_is_configurable():
    booking = Reservation(start_time=at(0), end_time=at(60), price=999)
    settings = Settings(reservation_full_refund_hours=2, reservation_late_refund_percent=10)
    assert refund_due(booking, at(-121), settings) == 999
    assert refund_due(booking, at(-60), settings) == 99
