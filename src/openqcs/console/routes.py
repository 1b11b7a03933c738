"""The console's routes: every page under ``/console`` (signed-in pages depend on ``me``, which
also checks the CSRF token of every POST) and its static files."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.static_files import create_static_files_router

from openqcs.console import (
                             admin_ops_pages,
                             admin_pages,
                             auth_pages,
                             billing_pages,
                             home_pages,
                             job_pages,
                             processor_pages,
                             reservation_pages,
                             token_pages,
)
from openqcs.console.web import DEPENDENCIES, EXCEPTION_HANDLERS

PAGES = [*auth_pages.ROUTES, *home_pages.ROUTES, *processor_pages.ROUTES, *reservation_pages.ROUTES,
         *billing_pages.ROUTES, *token_pages.ROUTES, *job_pages.ROUTES,
         *admin_pages.ROUTES, *admin_ops_pages.ROUTES]

console = Router(path="/console", route_handlers=PAGES, dependencies=DEPENDENCIES,
                 exception_handlers=EXCEPTION_HANDLERS, include_in_schema=False)
static = create_static_files_router(path="/console/static", directories=[Path(__file__).parent / "static"],
                                    include_in_schema=False, send_as_attachment=False)

ROUTES = [console, static]
