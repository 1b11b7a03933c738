"""The ``openqcs`` command's entry point. ``serve`` with plain flags starts here, without Typer
(whose import and set-up of the commands would only delay the server, and every process spawned
from it re-imports this module); everything else goes to the Typer app in ``openqcs.commands``.
"""

from __future__ import annotations

import sys
from typing import Any

# `serve`'s options, for reading them without Typer: flag -> (settings field, type).
_SERVE_OPTIONS: dict[str, tuple[str, type]] = {
    "--host": ("host", str), "--port": ("http_port", int), "--grpc-port": ("grpc_port", int),
    "--workers": ("workers", int), "--database-url": ("database_url", str), "--data-dir": ("data_dir", str),
}


def plain_serve_args(args: list[str]) -> tuple[dict[str, Any], bool] | None:
    """``serve``'s flags (settings overrides, and whether to migrate) read without Typer, whose
    set-up of a command's parameters is about 80 ms of a start; None for anything else (``--help``,
    an unknown flag, a value that is not a number), which Typer then answers as it always does."""
    flags: dict[str, Any] = {}
    migrate = True
    words = iter(args)
    for word in words:
        name, equals, value = word.partition("=")
        if name in _SERVE_OPTIONS:
            if not equals:
                given = next(words, None)
                if given is None:
                    return None
                value = given
            field, kind = _SERVE_OPTIONS[name]
            if kind is int and not value.isdigit():
                return None
            flags[field] = kind(value)
        elif word == "--api-only":
            flags["api_only"] = True
        elif word in ("--migrate", "--no-migrate"):
            migrate = word == "--migrate"
        else:
            return None
    return flags, migrate


def main() -> None:
    serve = sys.argv[1:2] == ["serve"]
    if serve:
        # Plain flags are read without Typer (see the module's docstring).
        parsed = plain_serve_args(sys.argv[2:])
        if parsed is not None:
            from openqcs.config import load_settings

            flags, migrate = parsed
            try:
                settings = load_settings(**flags)
            except (TypeError, ValueError):
                pass  # Typer says what is wrong, as for any other command
            else:
                from openqcs.server import run

                run(settings, migrate=migrate)
                return
    from openqcs.commands import app, build

    if not serve:  # `serve` is defined there: every domain's commands would only delay the server
        build()
    app()


if __name__ == "__main__":
    main()
