"""Settings: one frozen struct, read once at start-up and passed down.

Every field can be set by a CLI flag or an ``OPENQCS_<FIELD>`` environment variable
(flags win). Nothing else in the package reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    http_port: int = 8000
    grpc_port: int = 8001
    # 0 means: the controller shares the translation port.
    controller_port: int = 0
    # The issuer over TLS with a local CA: qcs-sdk-python 0.31 refuses to refresh at an http:// one.
    https_port: int = 8443
    workers: int = 1
    data_dir: str = "."
    database_url: str = ""
    # Connections per process on PostgreSQL: kept open, and extra ones opened under load.
    # Every replica, worker and HTTP worker process has its own pool; keep the sum under
    # the server's max_connections.
    db_pool_size: int = 5
    db_max_overflow: int = 15
    # Public URLs advertised to clients; derived from host/ports when empty.
    public_url: str = ""
    public_grpc_url: str = ""
    public_controller_url: str = ""
    issuer_url: str = ""
    # External OIDC issuer (Okta, Keycloak…): when set, the embedded issuer is off.
    oidc_issuer: str = ""
    oidc_audience: str = "api://qcs"
    oidc_jwks_url: str = ""
    oidc_user_claim: str = "uid"
    oidc_groups_claim: str = "groups"
    # QCS access tokens are valid for 24 hours (the spec's token description).
    access_token_ttl: int = 24 * 3600
    refresh_token_ttl: int = 30 * 24 * 3600
    smtp_host: str = ""
    smtp_port: int = 25
    mail_from: str = "openqcs@localhost"
    # A file holding a clock offset in seconds; lets tests move time in a live server.
    clock_file: str = ""
    # A bearer secret for the admin API (/admin/v1/…) that needs no user (empty: admins' tokens only).
    admin_token: str = ""
    log_level: str = "INFO"
    api_only: bool = False
    max_body_bytes: int = 1_048_576
    # Reservations: longest booking, how far FindAvailableReservations looks ahead, and the
    # cancellation refund policy (full refund up to N hours before start, then a percentage
    # until the start, nothing after it).
    reservation_max_minutes: int = 24 * 60
    reservation_search_days: int = 7
    reservation_full_refund_hours: int = 24
    reservation_late_refund_percent: int = 50
    # Token bucket per principal (0: off); shared through Redis when redis_url is set.
    rate_limit_per_second: float = 0.0
    rate_limit_burst: int = 50
    rate_limit_buckets: int = 100_000  # callers one process keeps buckets for (without Redis)
    redis_url: str = ""
    # Execution: job worker threads in `openqcs serve` (0: only `openqcs worker` processes run
    # jobs), and how long a worker's hold on a job lasts without a heartbeat before it is retried.
    execution_workers: int = 1
    job_lease_seconds: int = 30
    # Longest simulation of one job (admission refuses jobs that certainly take longer; a running
    # job past it is stopped), and a seed that makes runs reproducible (empty: random).
    job_time_limit_seconds: float = 300.0
    simulation_seed: str = ""
    # The local Forest tools (0: off): a quilc-compatible compiler (rpcq) and a QVM-compatible
    # simulator (HTTP), on pyquil's default ports so its defaults reach them.
    quilc_port: int = 5555
    qvm_port: int = 5000
    # Simulations the QVM runs at once (its thread pool; qiskit-aer and numpy release the GIL).
    qvm_threads: int = 2

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir).resolve() / 'openqcs.db'}"

    @property
    def api_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.http_port}"

    @property
    def grpc_url(self) -> str:
        return self.public_grpc_url or f"http://{self.host}:{self.grpc_port}"

    @property
    def controller_url(self) -> str:
        if self.public_controller_url:
            return self.public_controller_url
        if self.controller_port:
            return f"http://{self.host}:{self.controller_port}"
        return self.grpc_url

    @property
    def quilc_url(self) -> str:
        return f"tcp://{self.host}:{self.quilc_port}"

    @property
    def qvm_url(self) -> str:
        return f"http://{self.host}:{self.qvm_port}"

    @property
    def issuer(self) -> str:
        if self.oidc_issuer:
            return self.oidc_issuer
        if self.issuer_url:
            return self.issuer_url
        if self.https_port:
            return f"https://{self.host}:{self.https_port}/oauth2/default"
        return f"{self.api_url}/oauth2/default"


ENV_PREFIX = "OPENQCS_"


# msgspec reads "true"/"false"/"1"/"0"; these words are common in environment files too
_BOOL_WORDS = {"yes": "true", "on": "true", "no": "false", "off": "false"}


def _from_env(field_type: Any, raw: str) -> Any:
    if field_type not in (bool, int, float):
        return msgspec.convert(raw, field_type, strict=False)
    text = raw.strip()
    if field_type is bool:
        text = _BOOL_WORDS.get(text.lower(), text)
    return msgspec.convert(text, field_type, strict=False)


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from ``environ`` (default: the process environment) and overrides.

    Overrides that are ``None`` are ignored, so CLI flags can be passed through as they are.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for field in msgspec.structs.fields(Settings):
        raw = env.get(ENV_PREFIX + field.name.upper())
        if raw is not None and raw != "":
            try:
                values[field.name] = _from_env(field.type, raw)
            except msgspec.ValidationError as exc:
                raise ValueError(f"{ENV_PREFIX}{field.name.upper()}: {exc}") from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
