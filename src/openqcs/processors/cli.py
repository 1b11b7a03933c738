"""``openqcs admin processor …``: import, synth, list, grant, revoke, set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from openqcs.commands import DatabaseUrl, DataDir
from openqcs.commands import admin_context as _context
from openqcs.context import AppContext
from openqcs.errors import InvalidArgument
from openqcs.identity.accounts import Account, account_exists
from openqcs.identity.service import user_by_email
from openqcs.processors import service
from openqcs.processors.isa import parse_document, validate_isa
from openqcs.processors.synth import Medians, synthesize

app = typer.Typer(help="Quantum processors: ISAs, visibility, noise.", no_args_is_help=True)
groups = {"processor": app}

ProcessorId = Annotated[str | None, typer.Option("--processor", "--id",
                                                    help="Processor id (default: the ISA's name).")]
# Every command that acts on one processor takes it as an argument or as --processor (the form
# `admin maintenance` and `admin price` use).
Target = Annotated[str | None, typer.Argument(help="Processor id (or --processor).", show_default=False)]
TargetOption = Annotated[str | None, typer.Option("--processor", help="Processor id.")]


def _target(argument: str | None, option: str | None) -> str:
    if argument and option and argument != option:
        raise typer.BadParameter(f"two processor ids given: {argument} and --processor {option}")
    found = argument or option
    if not found:
        raise typer.BadParameter("name the processor: PROCESSOR_ID or --processor PROCESSOR_ID")
    return found


Public = Annotated[bool | None, typer.Option("--public/--restricted", help="Visible to everyone, or to grantees.")]
Noiseless = Annotated[bool | None, typer.Option("--noiseless/--noisy", help="Simulate without noise.")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write the ISA here instead of importing it.")]


def _store(ctx: AppContext, doc: Any, processor_id: str | None, public: bool | None, noiseless: bool | None) -> None:
    with ctx.db.session(write=True) as session:
        version = service.import_isa(session, doc, now=ctx.clock.now(), processor_id=processor_id,
                                     public=public, noiseless=noiseless)
        typer.echo(f"{version.processor_id}: ISA version {version.version} (etag {version.etag}, "
                   f"{len(version.document)} bytes)")


@app.command("import")
def import_(file: Annotated[Path, typer.Argument(help="ISA JSON file", exists=True, dir_okay=False)],
            processor_id: ProcessorId = None, public: Public = None, noiseless: Noiseless = None,
            database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Validate an ISA and store it as the processor's newest version (creating the processor)."""
    with _context(database_url, data_dir) as ctx:
        _store(ctx, parse_document(file.read_bytes()), processor_id, public, noiseless)


@app.command()
def synth(family: Annotated[str, typer.Option(help="Architecture family.")] = "Ankaa",
          rows: Annotated[int, typer.Option(help="Lattice rows.")] = 7,
          cols: Annotated[int, typer.Option(help="Lattice columns.")] = 12,
          seed: Annotated[int, typer.Option(help="Random seed (same seed, same figures).")] = 0,
          processor_id: ProcessorId = None,
          median_frb: Annotated[float, typer.Option(help="Median 1q RB fidelity.")] = Medians.frb,
          median_fro: Annotated[float, typer.Option(help="Median readout fidelity.")] = Medians.fro,
          median_fcz: Annotated[float, typer.Option(help="Median CZ fidelity.")] = Medians.fcz,
          median_fiswap: Annotated[float, typer.Option(help="Median ISWAP fidelity.")] = Medians.fiswap,
          median_t1: Annotated[float, typer.Option(help="Median T1, seconds.")] = Medians.t1,
          median_t2: Annotated[float, typer.Option(help="Median T2, seconds.")] = Medians.t2,
          output: Output = None,
          public: Public = None, noiseless: Noiseless = None,
          database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Generate a square-lattice processor with plausible calibration figures and import it."""
    processor_id = processor_id or f"{family}-{rows}x{cols}-s{seed}"
    medians = Medians(median_frb, median_fro, median_fcz, median_fiswap, median_t1, median_t2)
    with _context(database_url, data_dir) as ctx:
        doc = synthesize(processor_id, rows=rows, cols=cols, seed=seed, now=ctx.clock.now(), family=family,
                         medians=medians)
        if output is not None:
            validate_isa(doc)
            output.write_text(json.dumps(doc, indent=1))
            typer.echo(f"wrote {output}")
            return
        _store(ctx, doc, processor_id, public, noiseless)


@app.command("list")
def list_(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Every processor: visibility, noise, latest ISA version, grants."""
    with _context(database_url, data_dir) as ctx, ctx.db.session() as session:
        for p in service.processor_summaries(session):
            flags = ("public" if p["public"] else "restricted") + (" noiseless" if p["noiseless"] else "")
            flags += "" if p["status"] == "online" else f" {p['status']}"
            grants = f" grants: {', '.join(p['grants'])}" if p["grants"] else ""
            typer.echo(f"{p['id']}\t{p['family']}\t{flags}\tISA v{p['isaVersion'] or '-'}{grants}")


def _account(session: Session, user: str | None, group: str | None) -> tuple[str, str]:
    if bool(user) == bool(group):
        raise InvalidArgument("give exactly one of --user or --group")
    if group:
        return "group", group
    assert user is not None
    found = user_by_email(session, user)  # in any case, as `admin user` finds them
    if found is not None:
        return "user", found.idp_id
    if account_exists(session, Account(user, "user")):
        return "user", user
    raise InvalidArgument(f"no user with email or idpId '{user}'")


User_ = Annotated[str | None, typer.Option("--user", help="User email or idpId.")]
Group_ = Annotated[str | None, typer.Option("--group", help="Group name.")]


@app.command("grant")
def grant(processor_id: Target = None, user: User_ = None, group: Group_ = None, processor: TargetOption = None,
          database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Let a user or group see a restricted processor."""
    processor_id = _target(processor_id, processor)
    with _context(database_url, data_dir) as ctx, ctx.db.session(write=True) as session:
        kind, account = _account(session, user, group)
        made = service.grant(session, processor_id, account_type=kind, account_id=account)
        typer.echo(f"{processor_id}: {kind} {account} {'granted' if made else 'already granted'}")


@app.command("revoke")
def revoke(processor_id: Target = None, user: User_ = None, group: Group_ = None, processor: TargetOption = None,
           database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Take back a grant."""
    processor_id = _target(processor_id, processor)
    with _context(database_url, data_dir) as ctx, ctx.db.session(write=True) as session:
        kind, account = _account(session, user, group)
        gone = service.revoke(session, processor_id, account_type=kind, account_id=account)
        typer.echo(f"{processor_id}: {kind} {account} {'revoked' if gone else 'had no grant'}")


@app.command("set")
def set_(processor_id: Target = None, public: Public = None, noiseless: Noiseless = None,
         status: Annotated[str | None, typer.Option(
             "--status", help="online, offline (accessors not live) or degraded.")] = None,
         processor: TargetOption = None, database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Change a processor's visibility, noise or status."""
    processor_id = _target(processor_id, processor)
    if public is None and noiseless is None and status is None:
        raise typer.BadParameter("say what to change: --public/--restricted, --noiseless/--noisy, --status")
    with _context(database_url, data_dir) as ctx, ctx.db.session(write=True) as session:
        p = service.set_flags(session, processor_id, public=public, noiseless=noiseless)
        if status is not None:
            service.set_status(session, processor_id, status)
        typer.echo(f"{p.id}: {'public' if p.public else 'restricted'}, {'noiseless' if p.noiseless else 'noisy'}, "
                   f"{p.status}")


@app.command("delete")
def delete(processor_id: Target = None, processor: TargetOption = None,
           yes: Annotated[bool, typer.Option("--yes", help="Do not ask to confirm.")] = False,
           database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Delete a processor with its ISA history, grants, prices, endpoints and reservations."""
    processor_id = _target(processor_id, processor)
    with _context(database_url, data_dir) as ctx:
        if not yes:
            typer.confirm(f"delete processor {processor_id} and everything that refers to it?", abort=True)
        with ctx.db.session(write=True) as session:
            service.delete_processor(session, processor_id)
        typer.echo(f"{processor_id} deleted")
