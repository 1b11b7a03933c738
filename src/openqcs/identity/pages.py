"""HTML pages of the embedded issuer (the sign-in form of the authorization endpoint)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

_env = Environment(loader=PackageLoader("openqcs.identity", "templates"), autoescape=select_autoescape(),
                   auto_reload=False)


def render(name: str, **values: Any) -> str:
    return _env.get_template(name).render(**values)
