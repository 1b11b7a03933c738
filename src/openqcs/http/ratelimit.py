"""Per-principal token buckets: 429 in the Error shape with ``Retry-After``.

The principal is the bearer credential (hashed) or, without one, the client address. With
``redis_url`` set the buckets live in Redis, so several replicas share one limit; otherwise
each process keeps its own.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time

from openqcs.http.errors import send_error

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


class MemoryBuckets:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    async def take(self, key: str) -> float:
        """Seconds to wait before a request may pass (0: it passes now)."""
        now = time.monotonic()
        with self._lock:
            tokens, at = self._state.get(key, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._state[key] = (tokens - 1 if tokens >= 1 else tokens, now)
            if len(self._state) > 100_000:  # forget idle principals
                self._state.clear()
            return wait


class RedisBuckets:
    def __init__(self, url: str, rate: float, burst: int) -> None:
        import redis.asyncio as redis

        self.rate, self.burst = rate, burst
        self._client = redis.from_url(url)
        self._script = self._client.register_script(_REDIS_BUCKET)

    async def take(self, key: str) -> float:
        wait_ms = await self._script(keys=[f"openqcs:rl:{key}"], args=[self.rate, self.burst, int(time.time() * 1000)])
        return int(wait_ms) / 1000


def principal_key(scope) -> str:
    headers = dict(scope.get("headers") or ())
    auth = headers.get(b"authorization")
    if auth:
        return "t:" + hashlib.sha256(auth).hexdigest()[:24]
    client = scope.get("client") or ("unknown", 0)
    return f"a:{client[0]}"


class RateLimitMiddleware:
    EXEMPT = ("/metrics", "/v1/healthcheck")

    def __init__(self, app, buckets) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] in self.EXEMPT:
            await self.app(scope, receive, send)
            return
        wait = await self.buckets.take(principal_key(scope))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry_after = str(max(1, math.ceil(wait)))
        await send_error(scope, send, 429, "too_many_requests", f"rate limit exceeded; retry after {retry_after} s",
                         {"Retry-After": retry_after})


def wrap(app, settings):
    """Add the limiter when ``rate_limit_per_second`` is set."""
    if settings.rate_limit_per_second <= 0:
        return app
    burst = max(1, settings.rate_limit_burst)
    if settings.redis_url:
        buckets = RedisBuckets(settings.redis_url, settings.rate_limit_per_second, burst)
    else:
        buckets = MemoryBuckets(settings.rate_limit_per_second, burst)
    return RateLimitMiddleware(app, buckets)
