"""``OpenQCS``: what a test holds to shape the emulator (the ``openqcs`` fixture's value).

Everything goes through the server's admin API over HTTP, with the standard library only, so
the tests' environment needs none of the server's dependencies.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

PROFILE = "openqcs"
DEMO_EMAIL = "demo@openqcs.local"


class AdminError(Exception):
    """The admin API refused a call: ``status`` and the server's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Endpoints:
    api_url: str
    grpc_url: str
    issuer: str
    quilc_url: str = ""  # empty: not served
    qvm_url: str = ""


@dataclass(frozen=True)
class User:
    email: str
    idp_id: str
    access_token: str
    refresh_token: str


def _user(body: dict[str, Any]) -> User:
    return User(body["email"], body["idpId"], body["accessToken"], body["refreshToken"])


class OpenQCS:
    def __init__(self, endpoints: Endpoints, admin_token: str, config_dir: Path) -> None:
        self.endpoints = endpoints
        self.admin_token = admin_token
        self.config_dir = config_dir
        self.user: User | None = None

    @property
    def api_url(self) -> str:
        return self.endpoints.api_url

    @property
    def grpc_url(self) -> str:
        return self.endpoints.grpc_url

    @property
    def issuer(self) -> str:
        return self.endpoints.issuer

    @property
    def quilc_url(self) -> str:
        return self.endpoints.quilc_url

    @property
    def qvm_url(self) -> str:
        return self.endpoints.qvm_url

    # -- the admin API -----------------------------------------------------------------

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """One admin API call (``path`` under ``/admin/v1``); raises AdminError on refusal."""
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
                message = str(exc.reason)
            raise AdminError(exc.code, message) from None

    def reset(self, *, empty: bool = False) -> None:
        """Back to the demo seed (or nothing); faults go, the clock is untouched."""
        self.admin("POST", "/reset", {"empty": empty})

    def snapshot(self) -> dict[str, Any]:
        state: dict[str, Any] = self.admin("GET", "/state")
        return state

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
        made: dict[str, Any] = self.admin("POST", "/faults", {
            "path": path, "status": status, "latencyMs": latency_ms, "fraction": fraction, "method": method,
            "message": message})
        return made

    def clear_faults(self) -> None:
        self.admin("DELETE", "/faults")

    def set_processor_status(self, processor_id: str, status: str) -> None:
        """``online``, ``offline`` (its accessors are not live) or ``degraded``."""
        self.admin("PUT", f"/processors/{quote(processor_id, safe='')}/status", {"status": status})

    # -- users, groups, credit -----------------------------------------------------------

    def tokens(self, email: str) -> User:
        """Fresh access and refresh tokens for an existing user."""
        return _user(self.admin("POST", f"/users/{quote(email, safe='')}/tokens"))

    def add_user(self, email: str | None = None, *, groups: tuple[str, ...] = (), admin: bool = False,
                 password: str | None = None, credit_cents: int = 0) -> User:
        """A new active user (in ``groups``, made if missing), with tokens and optional credit."""
        email = email or f"user-{secrets.token_hex(4)}@example.test"
        return _user(self.admin("POST", "/users", {"email": email, "groups": list(groups), "admin": admin,
                                                   "password": password, "creditCents": credit_cents}))

    def add_group(self, name: str, *, description: str = "", members: tuple[str, ...] = ()) -> None:
        self.admin("POST", "/groups", {"name": name, "description": description, "members": list(members)})

    def add_credit(self, cents: int, *, user: str | None = None, group: str | None = None) -> int:
        """Credit an account (by email or group name); returns its balance in cents to spend."""
        return int(self.admin("POST", "/credit", {"cents": cents, "user": user, "group": group})["balanceCents"])

    def balance(self, *, user: str | None = None, group: str | None = None) -> int:
        query = urlencode({k: v for k, v in (("user", user), ("group", group)) if v})
        return int(self.admin("GET", f"/balance?{query}")["balanceCents"])

    # -- processors ----------------------------------------------------------------------

    def add_processor(self, processor_id: str, *, rows: int = 2, cols: int = 2, seed: int = 0, public: bool = True,
                      noiseless: bool = False) -> str:
        """A synthesized square-lattice processor with plausible calibration figures."""
        return str(self.admin("POST", "/processors", {"id": processor_id, "rows": rows, "cols": cols, "seed": seed,
                                                      "public": public, "noiseless": noiseless})["id"])

    def publish_isa(self, isa: dict[str, Any], *, processor_id: str | None = None, public: bool = True,
                    noiseless: bool = False) -> str:
        """Import an ISA document (e.g. a published calibration) as a processor's newest version."""
        return str(self.admin("POST", "/processors", {"id": processor_id, "isa": isa, "public": public,
                                                      "noiseless": noiseless})["id"])

    # -- Rigetti's clients -----------------------------------------------------------------

    def use(self, user: User | str) -> User:
        """Point the clients' profile (settings.toml / secrets.toml) at ``user`` (an email or a User)."""
        from openqcs.identity.qcsconfig import write_profile  # standard library only

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
        if self.quilc_url:
            env["QCS_SETTINGS_APPLICATIONS_QUILC_URL"] = self.quilc_url
        if self.qvm_url:
            env["QCS_SETTINGS_APPLICATIONS_QVM_URL"] = self.qvm_url
        return env
