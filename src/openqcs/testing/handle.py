"""``OpenQCS``: what a test holds to shape the emulator (the ``openqcs`` fixture's value).

State, the clock and faults go through the server's admin API (as any operator's would); users,
groups, credit and processors are made with the same service functions the CLI uses, on the
server's database.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from openqcs.config import Settings

PROFILE = "openqcs"
DEMO_EMAIL = "demo@openqcs.local"


class AdminError(Exception):
    """The admin API refused a call: ``status`` and the server's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class User:
    email: str
    idp_id: str
    access_token: str
    refresh_token: str


class OpenQCS:
    def __init__(self, settings: Settings, admin_token: str, config_dir: Path) -> None:
        self.settings = settings
        self.admin_token = admin_token
        self.config_dir = config_dir
        self.user: User | None = None

    # -- where things are --------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return self.settings.api_url

    @property
    def grpc_url(self) -> str:
        return self.settings.grpc_url

    @property
    def issuer(self) -> str:
        return self.settings.issuer

    @property
    def quilc_url(self) -> str:
        return self.settings.quilc_url

    @property
    def qvm_url(self) -> str:
        return self.settings.qvm_url

    @cached_property
    def ctx(self):
        from openqcs.context import AppContext

        return AppContext.create(self.settings)

    def close(self) -> None:
        if "ctx" in self.__dict__:
            self.ctx.close()
            del self.__dict__["ctx"]

    # -- the admin API -----------------------------------------------------------------

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = Request(self.api_url + "/admin/v1" + path, data=data, method=method,
                          headers={"authorization": f"Bearer {self.admin_token}", "content-type": "application/json"})
        try:
            with urlopen(request, timeout=60) as response:
                return json.loads(response.read() or b"null")
        except HTTPError as exc:
            try:
                message = json.loads(exc.read()).get("message", "")
            except ValueError:
                message = exc.reason
            raise AdminError(exc.code, message) from None

    def reset(self, *, empty: bool = False) -> None:
        """Back to the demo seed (or nothing); faults go, the clock is untouched."""
        self.admin("POST", "/reset", {"empty": empty})

    def snapshot(self) -> dict[str, Any]:
        return self.admin("GET", "/state")

    def restore(self, snapshot: dict[str, Any]) -> None:
        self.admin("PUT", "/state", snapshot)

    # -- time ----------------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.fromisoformat(self.admin("GET", "/clock")["now"])

    def advance(self, seconds: float) -> datetime:
        """Move the server's clock forward (reservations start, tokens expire, invoices finalize)."""
        return datetime.fromisoformat(self.admin("POST", "/clock/advance", {"seconds": seconds})["now"])

    def set_time(self, when: datetime) -> datetime:
        return datetime.fromisoformat(self.admin("PUT", "/clock", {"now": when.isoformat()})["now"])

    def real_time(self) -> None:
        self.admin("PUT", "/clock", {"offsetSeconds": 0})

    # -- faults --------------------------------------------------------------------------

    def fault(self, path: str = "/v1/", *, status: int = 0, latency_ms: int = 0, fraction: float = 1.0,
              method: str = "", message: str = "") -> dict[str, Any]:
        """REST calls under ``path`` wait ``latency_ms`` and/or answer ``status``."""
        return self.admin("POST", "/faults", {"path": path, "status": status, "latencyMs": latency_ms,
                                              "fraction": fraction, "method": method, "message": message})

    def clear_faults(self) -> None:
        self.admin("DELETE", "/faults")

    def set_processor_status(self, processor_id: str, status: str) -> None:
        """``online``, ``offline`` (its accessors are not live) or ``degraded``."""
        self.admin("PUT", f"/processors/{processor_id}/status", {"status": status})

    # -- users, groups, credit -----------------------------------------------------------

    def tokens(self, email: str) -> User:
        """Fresh access and refresh tokens for an existing user."""
        from openqcs.identity import issuer, service

        with self.ctx.db.session(write=True) as session:
            grant = issuer.grant_for_user(self.ctx, session, service.require_user_by_email(session, email))
        body = issuer.sign(self.ctx, grant)
        return User(grant.email, grant.uid, body["access_token"], body["refresh_token"])

    def add_user(self, email: str | None = None, *, groups: tuple[str, ...] = (), admin: bool = False,
                 password: str | None = None, credit_cents: int = 0) -> User:
        """A new active user (in ``groups``, made if missing), with tokens and optional credit."""
        from openqcs.identity import service

        email = email or f"user-{secrets.token_hex(4)}@example.test"
        with self.ctx.db.session(write=True) as session:
            user = service.create_user(session, self.ctx.clock, email, password=password, admin=admin)
            user.activated = True
            session.flush()
        for name in groups:
            self.add_group(name, members=(email,))
        if credit_cents:
            self.add_credit(credit_cents, user=email)
        return self.tokens(email)

    def add_group(self, name: str, *, description: str = "", members: tuple[str, ...] = ()) -> None:
        from openqcs.identity import service
        from openqcs.identity.models import Group
        from openqcs.identity.principal import Principal

        operator = Principal(user_id=0, idp_id="openqcs-testing", email="testing@openqcs.local",
                             groups=frozenset(), is_admin=True)
        with self.ctx.db.session(write=True) as session:
            if session.query(Group).filter_by(name=name).one_or_none() is None:
                service.create_group(session, self.ctx.clock, name, description)
                session.flush()
            for email in members:
                service.add_group_user(session, self.ctx.clock, operator, group_name=name, user_email=email)

    def add_credit(self, cents: int, *, user: str | None = None, group: str | None = None) -> int:
        """Credit an account (by email or group name); returns its balance in cents to spend."""
        from openqcs.billing import service
        from openqcs.billing.cli import resolve_account

        with self.ctx.db.session(write=True) as session:
            account = resolve_account(session, user, group)
            service.credit(session, account, cents, note="Credit (test)", at=self.ctx.clock.now())
            return service.balance_cents(session, account)

    def balance(self, *, user: str | None = None, group: str | None = None) -> int:
        from openqcs.billing import service
        from openqcs.billing.cli import resolve_account

        with self.ctx.db.session() as session:
            return service.balance_cents(session, resolve_account(session, user, group))

    # -- processors ----------------------------------------------------------------------

    def add_processor(self, processor_id: str, *, rows: int = 2, cols: int = 2, seed: int = 0, public: bool = True,
                      noiseless: bool = False) -> str:
        """A synthesized square-lattice processor with plausible calibration figures."""
        from openqcs.processors.synth import synthesize

        doc = synthesize(processor_id, rows=rows, cols=cols, seed=seed, now=self.ctx.clock.now())
        return self.publish_isa(doc, processor_id=processor_id, public=public, noiseless=noiseless)

    def publish_isa(self, doc: dict[str, Any], *, processor_id: str | None = None, public: bool = True,
                    noiseless: bool = False) -> str:
        """Import an ISA document (e.g. a published calibration) as a processor's newest version."""
        from openqcs.processors import service

        with self.ctx.db.session(write=True) as session:
            version = service.import_isa(session, doc, now=self.ctx.clock.now(), processor_id=processor_id,
                                         public=public, noiseless=noiseless)
            return version.processor_id

    # -- Rigetti's clients -----------------------------------------------------------------

    def use(self, user: User | str) -> User:
        """Point the clients' profile (settings.toml / secrets.toml) at ``user``."""
        from openqcs.identity.qcsconfig import write_profile

        user = self.tokens(user) if isinstance(user, str) else user
        write_profile(self.config_dir, PROFILE, api_url=self.api_url, grpc_url=self.grpc_url, issuer=self.issuer,
                      client_id="openqcs", access_token=user.access_token, refresh_token=user.refresh_token)
        self.user = user
        return user

    @property
    def client_env(self) -> dict[str, str]:
        """The variables that make qcs-api-client, qcs-sdk-python and pyquil use this server."""
        env = {"QCS_SETTINGS_FILE_PATH": str(self.config_dir / "settings.toml"),
               "QCS_SECRETS_FILE_PATH": str(self.config_dir / "secrets.toml"),
               "QCS_PROFILE_NAME": PROFILE}
        if self.settings.quilc_port:
            env["QCS_SETTINGS_APPLICATIONS_QUILC_URL"] = self.quilc_url
        if self.settings.qvm_port:
            env["QCS_SETTINGS_APPLICATIONS_QVM_URL"] = self.qvm_url
        return env
