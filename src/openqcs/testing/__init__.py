"""Test helpers for users of openqcs: the pytest plugin (``openqcs`` fixture) and its handle."""

from openqcs.testing.handle import AdminError, Endpoints, OpenQCS, User

__all__ = ["AdminError", "Endpoints", "OpenQCS", "User"]
