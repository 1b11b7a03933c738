"""What every entry point (HTTP, gRPC, CLI, worker) shares: built once, passed down."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from openqcs.config import Settings
from openqcs.db.clock import Clock, make_clock
from openqcs.db.engine import Database

if TYPE_CHECKING:  # both import this module
    from openqcs.http.tokens import Signer
    from openqcs.identity.tokens import TokenService


@dataclass
class AppContext:
    settings: Settings
    db: Database
    clock: Clock

    @classmethod
    def create(cls, settings: Settings) -> AppContext:
        database = Database(settings.db_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
        return cls(settings, database, make_clock(settings.clock_file))

    @cached_property
    def signer(self) -> Signer:
        from openqcs.core.service import server_secret
        from openqcs.http.tokens import Signer

        with self.db.session(write=True) as session:
            return Signer(server_secret(session, "page-tokens"))

    @cached_property
    def tokens(self) -> TokenService:
        from openqcs.identity.tokens import TokenService

        return TokenService(self.db, self.settings, self.clock)

    def close(self) -> None:
        self.db.dispose()
