"""Test helpers for users of openqcs: the pytest plugin (``openqcs`` fixture) and its handle."""

from openqcs.testing.handle import AdminError, OpenQCS, User

__all__ = ["AdminError", "OpenQCS", "User"]
