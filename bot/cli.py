"""The ``modelwire`` command: a thin layer over the knowledge and bot APIs.

Adapter commands (``ask``, ``chat`` and, later, the chat platforms) are loaded lazily by module path,
so the core never imports an adapter and a command pays only for the libraries it uses.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

import click

from knowledge import __version__

ADAPTER_COMMANDS = {
    "ask": "adapters.console.app:ask",
    "chat": "adapters.console.app:chat",
    "slack": "adapters.slack.app:slack",
    "discord": "adapters.discord.app:discord_command",
    "scheduler": "adapters.scheduler:scheduler",
    "subscribe": "adapters.console.digests:subscribe",
    "unsubscribe": "adapters.console.digests:unsubscribe",
    "subscriptions": "adapters.console.digests:subscriptions",
    "digest": "adapters.console.digests:digest",
}


EXTRAS = {
    "charts": ("matplotlib",),
    "postgres": ("psycopg",),
    "slack": ("slack_bolt", "slack_sdk", "aiohttp", "matplotlib"),
    "discord": ("discord", "aiohttp", "matplotlib"),
}
"""The package's optional extras (pyproject.toml) and the top-level modules each one installs."""


def extra_for(command: str, module: str) -> str | None:
    """The extra that installs ``module`` for ``command``: the command's own extra when it has the module,
    else the first extra that has it; None when no extra does."""
    top = module.split(".")[0]
    having = [extra for extra, modules in EXTRAS.items() if top in modules]
    if command in having:
        return command
    return having[0] if having else None


def needs_extra(command: str, extra: str) -> str:
    """What to tell someone whose ``modelwire COMMAND`` lacks an extra's libraries."""
    return f"modelwire {command} needs the {extra} extra: pip install 'modelwire[{extra}]'"


def _missing_extra_command(name: str, extra: str) -> click.Command:
    """A stand-in for a command whose libraries are not installed: it says which extra to install."""

    def refuse(**_: object) -> None:
        raise click.ClickException(needs_extra(name, extra))

    return click.Command(name, callback=refuse, short_help=f"(needs the {extra} extra)", add_help_option=False,
                         context_settings={"ignore_unknown_options": True, "allow_extra_args": True})


class LazyGroup(click.Group):
    """A click group whose adapter sub-commands are imported only when used; a command whose optional
    libraries are missing says which extra installs them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *ADAPTER_COMMANDS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in ADAPTER_COMMANDS:
            module, attr = ADAPTER_COMMANDS[name].split(":")
            try:
                loaded = importlib.import_module(module)
            except ModuleNotFoundError as exc:
                extra = extra_for(name, exc.name or "")
                if extra is None:
                    raise
                return _missing_extra_command(name, extra)
            return with_db_option(getattr(loaded, attr), name)
        command = super().get_command(ctx, name)
        return None if command is None else with_db_option(command, name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # before the options are parsed, so that ``--db``'s MODELWIRE_DATABASE_URL may come from .env too
        try:
            load_env_file()
        except click.ClickException:
            if not ctx.resilient_parsing:  # shell completion goes on without it
                raise
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ModuleNotFoundError as exc:
            command = ctx.invoked_subcommand or ""
            extra = extra_for(command, exc.name or "")
            if extra is None:
                raise
            raise click.ClickException(needs_extra(command, extra)) from None


ENV_FILE_VARIABLE = "MODELWIRE_ENV_FILE"


def load_env_file() -> None:
    """Put the settings of a ``.env`` file into the environment, never over a variable already set: the
    file MODELWIRE_ENV_FILE names (it must exist), else ``.env`` in the current directory if there is one.
    A file that cannot be read exits with one line."""
    from dotenv import load_dotenv

    named = os.environ.get(ENV_FILE_VARIABLE)
    path = Path(named or ".env")
    if not path.exists() or path.is_dir():
        if named:
            raise click.ClickException(f"{ENV_FILE_VARIABLE} names {named}, which is not a file")
        return
    try:
        load_dotenv(path, override=False)
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read the settings file {path}: {getattr(exc, 'strerror', None) or exc}") \
            from None


NO_DATABASE = ("kb schema",)
"""Sub-commands (by path) that never open the knowledge base, so take no ``--db``."""
DB_HELP = "Database URL (default: an SQLite file in your data directory; env MODELWIRE_DATABASE_URL)."


def _set_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """``--db`` given after the sub-command: it wins over the one before it and the environment."""
    if value is not None:
        ctx.ensure_object(dict)["db"] = value


def with_db_option(command: click.Command, path: str) -> click.Command:
    """``command`` (each sub-command of it, for a group) taking ``--db URL`` after its name too, as in
    ``modelwire kb stats --db URL``; adding it again changes nothing."""
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            with_db_option(sub, f"{path} {name}")
    elif path not in NO_DATABASE and not any(param.name == "db_url" for param in command.params):
        command.params.append(click.Option(["--db", "db_url"], metavar="URL", expose_value=False,
                                           callback=_set_db, help=DB_HELP))
    return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="modelwire", message="%(prog)s %(version)s")
@click.option("--db", "db_url", metavar="URL", envvar="MODELWIRE_DATABASE_URL", help=DB_HELP)
@click.pass_context
def cli(ctx: click.Context, db_url: str | None) -> None:
    """modelwire: answers about AI models, benchmarks and releases, with sources."""
    ctx.obj = {"db": db_url}
    if ctx.invoked_subcommand in LONG_RUNNING:
        stop_on_signals(ctx)


LONG_RUNNING = ("slack", "discord", "scheduler")
"""Commands that run until stopped: SIGTERM stops them the way Ctrl-C (SIGINT) does."""
STOP_SECONDS = 9.0
"""How long a stop may take before the process exits anyway (``docker compose stop`` waits 10 s)."""


def stop_on_signals(ctx: click.Context) -> None:
    """Make SIGTERM stop this command as SIGINT does, and bound how long stopping may take.

    The commands run ``asyncio.run``, which turns the first SIGINT into a cancellation of its main
    task: it stops taking work, and the ``finally`` blocks and exit stacks close the socket, gateway,
    health server, scheduler and pools; the command then exits 0. SIGTERM calls the SIGINT handler so
    it takes the same path. If stopping takes longer than STOP_SECONDS, the process exits with code 1
    (claims left ``sending`` are taken again when their lease runs out). The previous handler is put
    back when the command ends (e.g. under a test runner).
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum, frame) -> None:
        _exit_after(STOP_SECONDS, signal.Signals(signum).name)
        on_sigint = signal.getsignal(signal.SIGINT)  # asyncio.run's while it runs, else Python's default
        if not callable(on_sigint):  # SIGINT ignored (a background job of a shell): stop all the same
            raise KeyboardInterrupt
        on_sigint(signal.SIGINT, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
    ctx.call_on_close(lambda: signal.signal(signal.SIGTERM, previous))


_EXIT_ARMED: list[bool] = []
"""Holds True once ``_exit_after`` has started its timer."""


def _exit_after(seconds: float, why: str) -> None:
    """Once: exit the process ``seconds`` from now if it has not ended by then."""
    import threading

    if _EXIT_ARMED:
        return
    _EXIT_ARMED.append(True)

    def give_up() -> None:
        sys.stderr.write(f"modelwire: still stopping {seconds:g} s after {why}; exiting now\n")
        sys.stderr.flush()
        os._exit(1)

    timer = threading.Timer(seconds, give_up)
    timer.daemon = True
    timer.start()


def open_kb(ctx: click.Context, load_bundled: bool = True):
    """The knowledge base chosen by ``--db``, ready to use; a problem opening it exits with one line.

    Any database error (unreachable server, bad URL, missing schema or permission), a filesystem
    error (an SQLite folder that cannot be created) or a missing database driver is reported as one
    ``Error:`` line instead of a traceback.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from knowledge.store import KnowledgeBase

    try:
        return KnowledgeBase.open(ctx.obj["db"], load_bundled=load_bundled)
    except (SQLAlchemyError, OSError, ImportError) as exc:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if isinstance(exc, ImportError):
            extra = extra_for("", exc.name or "")
            detail += (f" (the {extra} extra installs it: pip install 'modelwire[{extra}]')" if extra
                       else " (is the driver for this database installed?)")
        raise click.ClickException(f"cannot open the knowledge base: {detail}") from None


def echo_json(document: object) -> None:
    """Print one JSON document on one line (the ``--json`` output of a command)."""
    click.echo(json.dumps(document, ensure_ascii=False))


def start_logging() -> None:
    """Structured logs for the long-running commands (MODELWIRE_LOG_FORMAT, MODELWIRE_LOG_LEVEL);
    a bad value exits with one line."""
    from bot.logs import configure

    try:
        configure()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@cli.group()
def kb() -> None:
    """Manage the knowledge base: import, validate, export, stats."""


@kb.command("import")
@click.option("--format", "fmt", type=click.Choice(["pack", "models.dev"]), default="pack", show_default=True,
              help="pack: knowledge packs; models.dev: a models.dev models.json catalogue.")
@click.option("--allow-shrink", is_flag=True, help="Apply a file even when it would remove more than "
              "MODELWIRE_SYNC_MAX_SHRINK percent (default 20) of its pack's records.")
@click.option("-v", "--verbose", is_flag=True, help="List every record merged, renamed or left out, and why, "
              "one per line.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
def kb_import(ctx: click.Context, fmt: str, allow_shrink: bool, verbose: bool, files: tuple[Path, ...]) -> None:
    """Import knowledge packs (YAML or JSON) or models.dev catalogues, each whole or not at all."""
    from knowledge.packformat import PackError
    from knowledge.progress import terminal_progress
    from knowledge.sync import ShrinkError, import_pack_file

    base = open_kb(ctx)
    failed = 0
    for path in files:
        if fmt == "models.dev":
            failed += not _import_catalogue(base.engine, path, allow_shrink, verbose)
            continue
        try:
            with terminal_progress() as progress:
                result = import_pack_file(base.engine, path, allow_shrink=allow_shrink, progress=progress)
        except PackError as exc:
            failed += 1
            click.echo(_pack_problem(path, exc, "use --format models.dev"), err=True)
            continue
        except ShrinkError as exc:
            failed += 1
            click.echo(str(exc), err=True)
            continue
        summary = ", ".join(f"{k}: {n}" for k, n in result.counts.items())
        click.echo(f"{path}: imported pack '{result.pack}' ({summary}).")
        if verbose:
            _echo_notes(result.notes)
    if failed:
        sys.exit(1)


def _pack_problem(path: Path, exc, hint: str) -> str:
    """A pack's problems in one paragraph; one line with ``hint`` when the file is a models.dev catalogue,
    told by its shape, whatever its name."""
    from knowledge.curation import looks_like_catalogue
    from knowledge.packformat import PackError, read_document

    try:
        document = read_document(path)
    except PackError:
        return exc.paragraph()
    if looks_like_catalogue(document):
        return f"{path}: this looks like a models.dev catalogue: {hint}"
    return exc.paragraph()


def _echo_notes(notes: list) -> None:
    """The -v listing: one indented line per note, or one line saying there is none."""
    for note in notes:
        click.echo(f"  {note}")
    if not notes:
        click.echo("  nothing was merged, renamed or left out")


def _import_catalogue(engine, path: Path, allow_shrink: bool = False, verbose: bool = False) -> bool:
    """Import one models.dev file; report it in one line (or the problem, on stderr), and with
    ``verbose`` every record merged, renamed or left out."""
    from knowledge.curation import catalogue_notes
    from knowledge.importers.modelsdev import ModelsDevError
    from knowledge.packformat import PackError
    from knowledge.progress import terminal_progress
    from knowledge.sync import ShrinkError, apply_catalogue

    source_url = path.resolve().as_uri()
    try:
        raw = path.read_bytes()
        with terminal_progress() as progress:
            result = apply_catalogue(engine, raw, source_url=source_url, allow_shrink=allow_shrink, progress=progress)
    except ShrinkError as exc:
        click.echo(f"{path}: {exc}", err=True)
        return False
    except OSError as exc:
        click.echo(f"{path}: cannot read it ({exc.strerror or exc})", err=True)
        return False
    except (ModelsDevError, PackError) as exc:
        click.echo(f"{path}: nothing imported: {_one_line(exc)}", err=True)
        return False
    click.echo(f"{path}: {_sync_summary(result)}")
    if verbose:
        _echo_notes(catalogue_notes(result.notices) + result.import_notes)
    return True


def _one_line(exc: Exception) -> str:
    text = exc.paragraph() if hasattr(exc, "paragraph") else str(exc)
    return " ".join(text.split())


def _sync_summary(result) -> str:
    updates = ", ".join(f"{kind}: {n}" for kind, n in sorted(result.updates.items())) or "none"
    left_out = ", ".join(f"{kind}: {n}" for kind, n in sorted(result.left_out.items()))
    return (f"imported {result.models} models from models.dev; {len(result.releases)} new release records; "
            f"updates: {updates}" + (f"; left out or changed: {left_out}" if left_out else ""))


@kb.command("sync")
@click.argument("feed", type=click.Choice(["models.dev"]))
@click.option("--url", metavar="URL", envvar="MODELWIRE_SYNC_URL", help="Where to fetch models.json "
              "(default: the public models.dev URL; env MODELWIRE_SYNC_URL).")
@click.option("--allow-shrink", is_flag=True, help="Apply the catalogue even when it would remove more than "
              "MODELWIRE_SYNC_MAX_SHRINK percent (default 20) of the records it brought before.")
@click.option("-v", "--verbose", is_flag=True, help="List every record renamed or left out, and why, one per line.")
@click.pass_context
def kb_sync(ctx: click.Context, feed: str, url: str | None, allow_shrink: bool, verbose: bool) -> None:
    """Fetch a public catalogue and bring the knowledge base up to date (nothing is written on bad data)."""
    from knowledge.importers.fetch import DEFAULT_URL, FetchError
    from knowledge.importers.modelsdev import ModelsDevError
    from knowledge.packformat import PackError
    from knowledge.progress import terminal_progress
    from knowledge.sync import ShrinkError, sync_models_dev

    base = open_kb(ctx)
    try:
        with terminal_progress() as progress:
            result = sync_models_dev(base.engine, url or DEFAULT_URL, allow_shrink=allow_shrink, progress=progress)
    except ShrinkError as exc:
        raise click.ClickException(f"sync from {feed}: {exc}") from None
    except (FetchError, ModelsDevError, PackError) as exc:
        raise click.ClickException(f"sync from {feed} failed, nothing written: {_one_line(exc)}") from None
    if result.status == "not_modified":
        click.echo(f"{feed}: not modified since the last sync; nothing to do.")
    else:
        click.echo(f"{feed}: {_sync_summary(result)}")
        if verbose:
            _echo_sync_notes(result)


def _echo_sync_notes(result) -> None:
    """The -v listing of a sync: the converter's notices, then what the import merged, renamed or left out
    (a sync that found the catalogue unchanged has neither)."""
    from knowledge.curation import catalogue_notes

    _echo_notes(catalogue_notes(result.notices) + result.import_notes)


@kb.command("validate")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: {valid, files: [{file, valid, pack, "
              "problem}]}; the problems still go to stderr too.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
def kb_validate(ctx: click.Context, as_json: bool, files: tuple[Path, ...]) -> None:
    """Check knowledge packs against the knowledge base without writing anything."""
    base = open_kb(ctx)
    results = [_validate_one(base.engine, path) for path in files]
    for result in results:
        if result["problem"] is not None:
            click.echo(result["problem"], err=True)
        elif not as_json:
            click.echo(f"{result['file']}: pack '{result['pack']}' is valid.")
    if as_json:
        echo_json({"valid": all(r["valid"] for r in results), "files": results})
    if not all(r["valid"] for r in results):
        sys.exit(1)


def _validate_one(engine, path: Path) -> dict:
    """One file's validation: ``{file, valid, pack, problem}`` (pack None when invalid, problem None when valid)."""
    from knowledge.packformat import PackError
    from knowledge.packs import validate_file

    try:
        pack = validate_file(engine, path)
    except PackError as exc:
        problem = _pack_problem(path, exc, "import it with kb import --format models.dev")
        return {"file": str(path), "valid": False, "pack": None, "problem": problem}
    return {"file": str(path), "valid": True, "pack": pack.pack, "problem": None}


@kb.command("schema")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the schema to FILE.")
def kb_schema(output: Path | None) -> None:
    """Print the JSON Schema of a knowledge pack (the shape only; kb validate also checks references)."""
    from knowledge.curation import schema_text

    text = schema_text()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


@kb.command("export")
@click.option("--pack", "pack_id", metavar="ID", help="Export one pack (default: the whole knowledge base).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to FILE (.json for JSON).")
@click.pass_context
def kb_export(ctx: click.Context, pack_id: str | None, output: Path | None) -> None:
    """Export knowledge as a pack that imports back to the same records."""
    import yaml

    from knowledge.export import export_pack

    base = open_kb(ctx)
    try:
        document = export_pack(base.engine, pack_id)
    except LookupError:
        raise click.ClickException(f"no pack '{pack_id}' in the knowledge base (see: modelwire kb stats)") from None
    as_json = output is not None and output.suffix.lower() == ".json"
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n" if as_json else \
        yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


@kb.command("stats")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: {counts: {kind: n}, packs: [{id, title, "
              "bundled, imported_at}]}.")
@click.pass_context
def kb_stats_command(ctx: click.Context, as_json: bool) -> None:
    """Count what the knowledge base holds, and list its packs."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from knowledge.packs import kb_stats
    from knowledge.schema import Pack

    base = open_kb(ctx)
    counts = kb_stats(base.engine)
    with Session(base.engine) as session:
        packs = list(session.execute(select(Pack).order_by(Pack.id)).scalars())
    if as_json:
        echo_json({"counts": counts, "packs": [{"id": p.id, "title": p.title, "bundled": p.bundled,
                                                "imported_at": _utc_iso(p.imported_at)} for p in packs]})
        return
    for name, count in counts.items():
        click.echo(f"{name:<14}{count:>8}")
    for pack in packs:
        origin = "bundled" if pack.bundled else "imported"
        click.echo(f"pack {pack.id} ({origin} {pack.imported_at:%Y-%m-%d %H:%M}): {pack.title or ''}")


@kb.command("duplicates")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per pair instead of text.")
@click.pass_context
def kb_duplicates(ctx: click.Context, as_json: bool) -> None:
    """List models that may be one model but were not merged, with the reason and the line that merges them."""
    import json

    from knowledge.duplicates import likely_duplicates

    pairs = likely_duplicates(open_kb(ctx).engine)
    for pair in pairs:
        if as_json:
            click.echo(json.dumps({"first": pair.first.name, "first_org": pair.first.org,
                                   "second": pair.second.name, "second_org": pair.second.org,
                                   "reason": pair.reason, "suggestion": pair.suggestion}))
        else:
            click.echo(f"{pair.first.name} ({pair.first.org}) ~ {pair.second.name} ({pair.second.org}): "
                       f"{pair.reason}\n  {pair.suggestion}")
    if not pairs and not as_json:
        click.echo("No likely duplicates.")


def _utc_iso(naive_utc) -> str:
    """A naive UTC datetime from the database as ISO 8601 with its offset (``…+00:00``)."""
    import datetime as dt

    return naive_utc.replace(tzinfo=dt.timezone.utc).isoformat()


@cli.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Migrate the database to the newest schema (and load bundled packs)."""
    open_kb(ctx)
    click.echo("database is at the newest schema")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="modelwire")
