"""Domain errors, raised by services and mapped once to HTTP (``http/errors.py``) and gRPC.

    OpenQCSError
     ├── InvalidArgument      bad input (carries per-field problems)   422
     ├── Unauthenticated      missing/invalid credentials              401
     ├── PermissionDenied     authenticated, not allowed               403
     ├── NotFound                                                      404
     ├── Conflict             state forbids it (e.g. slot taken)       409
     ├── PaymentRequired      balance too low                          402
     ├── TooManyRequests      rate limited (retry_after)               429
     └── Unavailable          try again later (retry_after)            503
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One entry of the spec's ``ValidationError``: where (``in``, ``path``) and what."""

    location: str  # header | query | path | body
    message: str
    path: tuple[str, ...] = ()


class OpenQCSError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidArgument(OpenQCSError):
    status = 422
    code = "validation_error"

    def __init__(self, message: str, *, problems: list[FieldProblem] | None = None, code: str | None = None):
        super().__init__(message, code=code)
        self.problems = problems or []

    @classmethod
    def field(cls, location: str, path: str | tuple[str, ...], message: str) -> InvalidArgument:
        path = (path,) if isinstance(path, str) else tuple(path)
        return cls(message, problems=[FieldProblem(location, message, path)])


class Unauthenticated(OpenQCSError):
    status = 401
    code = "unauthorized"


class PermissionDenied(OpenQCSError):
    status = 403
    code = "forbidden"


class NotFound(OpenQCSError):
    status = 404
    code = "not_found"


class Conflict(OpenQCSError):
    status = 409
    code = "conflict"


class PaymentRequired(OpenQCSError):
    status = 402
    code = "insufficient_payment"


class _RetryLater(OpenQCSError):
    def __init__(self, message: str, *, retry_after: int = 1, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, int(retry_after))


class TooManyRequests(_RetryLater):
    status = 429
    code = "too_many_requests"


class Unavailable(_RetryLater):
    status = 503
    code = "unavailable"
