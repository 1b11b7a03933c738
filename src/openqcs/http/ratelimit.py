"""Per-caller token buckets: 429 in the Error shape with ``Retry-After``.

A caller is the principal its bearer token was verified as, or, without a valid token, the
client address: junk tokens share their sender's bucket instead of each making one, so they
cannot push anyone else's bucket out. A token seen before is named from the principal cache
(no database); a new one is authenticated here, which fills that cache for the handler.
With ``redis_url`` set the buckets live in Redis, so several replicas share one limit;
otherwise each process keeps at most ``rate_limit_buckets`` of them.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Protocol

import anyio
from cachetools import TTLCache
from sqlalchemy.exc import SQLAlchemyError

from openqcs.context import AppContext
from openqcs.core.faults import Scope, Send
from openqcs.errors import OpenQCSError
from openqcs.http.errors import send_error
from openqcs.identity.authentication import authenticate, authority, bearer_token

EXEMPT = ("/metrics", "/v1/healthcheck")

# One atomic step of a token bucket in Redis: refill by elapsed time, take one token if there is
# one, and return how long to wait otherwise (milliseconds).
_REDIS_BUCKET = """
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate / 1000)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait
"""


class Buckets(Protocol):
    async def take(self, key: str) -> float:
        """Seconds to wait before a request may pass (0: it passes now)."""


class MemoryBuckets:
    def __init__(self, rate: float, burst: int, size: int) -> None:
        self.rate, self.burst = rate, burst
        # A bucket left alone for burst / rate seconds is full again: forgetting it loses nothing.
        self._state: TTLCache[str, tuple[float, float]] = TTLCache(size, burst / rate + 1)
        self._lock = threading.Lock()  # cachetools caches are not thread-safe

    async def take(self, key: str) -> float:
        now = time.monotonic()
        with self._lock:
            tokens, at = self._state.get(key, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._state[key] = (tokens - 1 if tokens >= 1 else tokens, now)
            return wait


class RedisBuckets:
    def __init__(self, url: str, rate: float, burst: int) -> None:
        import redis.asyncio as redis

        self.rate, self.burst = rate, burst
        self._client = redis.from_url(url)
        self._script = self._client.register_script(_REDIS_BUCKET)

    async def take(self, key: str) -> float:
        now_ms = int(time.time() * 1000)
        wait_ms = await self._script(keys=[f"openqcs:rl:{key}"], args=[self.rate, self.burst, now_ms])
        return int(wait_ms) / 1000


class RateLimiter:
    def __init__(self, ctx: AppContext, buckets: Buckets) -> None:
        self.ctx = ctx
        self.buckets = buckets

    async def caller(self, scope: Scope, authorization: bytes | None) -> str:
        """``p:<idp id>`` for a valid bearer token, else ``a:<client address>``."""
        if authorization:
            header = authorization.decode("latin-1")
            try:
                token = bearer_token(header) or ""
                principal = authority(self.ctx).cache.peek(token, self.ctx.clock.now().timestamp())
                if principal is None:
                    principal = await anyio.to_thread.run_sync(authenticate, self.ctx, header)
                if principal is not None:
                    return f"p:{principal.idp_id}"
            except (OpenQCSError, SQLAlchemyError):
                pass  # not a valid credential (or no database to tell): the handler says which
        client = scope.get("client") or ("unknown", 0)
        return f"a:{client[0]}"

    async def refused(self, scope: Scope, send: Send, authorization: bytes | None) -> bool:
        """Answer 429 and return True when the caller's bucket is empty."""
        if scope["path"] in EXEMPT:
            return False
        wait = await self.buckets.take(await self.caller(scope, authorization))
        if wait <= 0:
            return False
        retry_after = str(max(1, math.ceil(wait)))
        await send_error(scope, send, 429, "too_many_requests", f"rate limit exceeded; retry after {retry_after} s",
                         {"Retry-After": retry_after})
        return True


def limiter(ctx: AppContext) -> RateLimiter | None:
    """The limiter when ``rate_limit_per_second`` is set."""
    settings = ctx.settings
    if settings.rate_limit_per_second <= 0:
        return None
    burst = max(1, settings.rate_limit_burst)
    buckets: Buckets
    if settings.redis_url:
        buckets = RedisBuckets(settings.redis_url, settings.rate_limit_per_second, burst)
    else:
        buckets = MemoryBuckets(settings.rate_limit_per_second, burst, max(1, settings.rate_limit_buckets))
    return RateLimiter(ctx, buckets)
