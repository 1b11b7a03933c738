"""Errors a compile request can end in; each becomes an rpcq ``RPCError`` with its message.

    CompileError        the request or program cannot be compiled (the user's to fix)
     └── CompileTimeout the request's client_timeout ran out
"""

from __future__ import annotations


class CompileError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CompileTimeout(CompileError):
    pass
