"""The ``aiguillage`` command: serve, demo, migrations, imports, operators, enrolment."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError

from app.settings import Settings, SettingsError, load_settings


class CommandError(Exception):
    """A user error: printed as one line, exit status 1."""


def _db(settings: Settings) -> Any:
    from app.database import Database

    return Database.from_settings(settings)


def _migrated_db(settings: Settings) -> Any:
    from app import migrate

    db = _db(settings)
    try:
        migrate.check_migrated(db.engine)
    except migrate.NotMigratedError as exc:
        raise CommandError(str(exc)) from None
    return db


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from app import migrate

    if args.workers > 1 and not settings.redis_url:
        raise CommandError(
            "--workers > 1 needs AIGUILLAGE_REDIS_URL: each process would keep its own retrieval limit"
        )

    from app.limits import AnotherServer, serving

    db = _db(settings)
    try:
        migrate.check_migrated(db.engine)
    except migrate.NotMigratedError as exc:
        raise CommandError(str(exc)) from None
    finally:
        db.dispose()
    try:
        with serving(settings) as covers:
            print(f"aiguillage: {covers}", file=sys.stderr, flush=True)
            uvicorn.run(
                "app.asgi:app_from_env",
                factory=True,
                host=args.host,
                port=args.port,
                workers=args.workers,
                log_level=settings.log_level.lower(),
                access_log=False,  # app.asgi.AccessLog logs requests without their query strings
            )
    except AnotherServer as exc:
        raise CommandError(str(exc)) from None


def cmd_demo(args: argparse.Namespace, settings: Settings) -> None:
    from app import demo, migrate

    if settings.is_production:
        raise CommandError("the demo publishes its tokens: refused with AIGUILLAGE_ENVIRONMENT=production")
    db = _db(settings)
    migrate.upgrade(db.engine)
    tokens = demo.load(db)
    db.dispose()
    print(f"Demo territory loaded into {settings.database_url}")
    print("Bearer tokens (Authorization: Bearer <token>):")
    for who, token in tokens:
        print(f"  {who:<45} {token}")
    if args.no_serve:
        return
    print(f"Public map: http://{args.host}:{args.port}/")
    print(f"Operators' console (paste a token above): http://{args.host}:{args.port}/console")
    print(f"GraphiQL: http://{args.host}:{args.port}/graphql")
    _worker_beside(settings)
    cmd_serve(args, settings)


def _worker_beside(settings: Settings) -> None:
    """The demo's worker: a thread of the serving process, ended with it."""
    import threading

    from batch import worker

    db = _migrated_db(settings)
    print(worker.announce(settings))
    threading.Thread(
        target=worker.run_forever, args=(db, settings, threading.Event()), name="worker", daemon=True
    ).start()


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> None:
    from app import migrate

    db = _db(settings)
    migrate.upgrade(db.engine, args.revision)
    print(f"database at revision {migrate.current_revision(db.engine)} ({db.backend})")


def cmd_db_current(args: argparse.Namespace, settings: Settings) -> None:
    from app import migrate

    db = _db(settings)
    print(f"current: {migrate.current_revision(db.engine)}; latest: {migrate.head_revision()} ({db.backend})")


def _progress() -> tuple[Callable[[int, int], None], Callable[[], None]]:
    from rich.progress import Progress

    progress = Progress(transient=True)
    task = progress.add_task("import", total=None)
    progress.start()

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return update, progress.stop


def _report(report: Any, report_file: str | None) -> None:
    print(report.summary())
    if report_file:
        Path(report_file).write_text(
            json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
        )
        print(f"report written to {report_file}")
    if not report.ok:
        raise CommandError("some files were refused whole: nothing of them was written (see above)")


def _existing(paths: Sequence[str]) -> list[Path]:
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        raise CommandError(f"no such file: {', '.join(missing)}")
    return [Path(p) for p in paths]


def cmd_import_lieux(args: argparse.Namespace, settings: Settings) -> None:
    from batch.imports import import_lieux

    paths = _existing(args.files)
    db = _migrated_db(settings)
    update, stop = _progress()
    try:
        report = import_lieux(
            db, paths, progress=update, snapshot=args.snapshot, allow_mass_close=args.allow_mass_close
        )
    finally:
        stop()
    _report(report, args.report)


def cmd_import_communes(args: argparse.Namespace, settings: Settings) -> None:
    from batch.imports import import_communes

    paths = _existing([args.laposte_csv] + ([args.decoupage_json] if args.decoupage_json else []))
    db = _migrated_db(settings)
    update, stop = _progress()
    try:
        report = import_communes(db, paths[0], paths[1] if len(paths) > 1 else None, progress=update)
    finally:
        stop()
    _report(report, args.report)


def _domain(fn: Callable[[], Any]) -> Any:
    from models.errors import DomainError

    try:
        return fn()
    except DomainError as exc:
        raise CommandError(exc.message) from None


def _pk(value: str, type_name: str, what: str) -> int:
    """An id as typed by a person: the API's opaque id (``U3RydWN0dXJlOjEy``) or its number (``12``)."""
    from resolvers.ids import id_or_number

    return int(_domain(lambda: id_or_number(value, type_name, what)))


def cmd_operator_create(args: argparse.Namespace, settings: Settings) -> None:
    from models import Role
    from resolvers.auth import create_operator
    from resolvers.ids import to_global_id

    structure_id = None if args.structure is None else _pk(args.structure, "Structure", "--structure")
    db = _migrated_db(settings)
    role = Role(args.role.upper())

    def run() -> tuple[int, str]:
        with db.write() as session:
            operator, token = create_operator(session, args.name, role, structure_id, args.email)
            return operator.id, token

    operator_id, token = _domain(run)
    print(
        f"operator {operator_id} (id {to_global_id('Operator', operator_id)}) created ({role.value.lower()}); "
        "its token is shown once, keep it safe:"
    )
    print(token)


def cmd_operator_revoke(args: argparse.Namespace, settings: Settings) -> None:
    from resolvers.auth import revoke_operator

    operator_id = _pk(args.operator_id, "Operator", "OPERATOR_ID")
    db = _migrated_db(settings)

    def run() -> None:
        with db.write() as session:
            revoke_operator(session, operator_id)

    _domain(run)
    print(f"operator {operator_id} revoked: its token no longer works")


def cmd_operator_notifications(args: argparse.Namespace, settings: Settings) -> None:
    from resolvers.auth import set_notifications

    operator_id = _pk(args.operator_id, "Operator", "OPERATOR_ID")
    db = _migrated_db(settings)

    def run() -> str | None:
        with db.write() as session:
            return set_notifications(session, operator_id, args.state == "on").email

    email = _domain(run)
    if args.state == "on":
        where = f"to {email}" if email else "once it has an e-mail (operator create --email)"
        print(f"operator {operator_id}: notifications on, sent {where}")
    else:
        print(f"operator {operator_id}: notifications off")


def cmd_worker(args: argparse.Namespace, settings: Settings) -> None:
    import logging
    import signal
    import threading
    from datetime import datetime

    from batch import worker

    at = None
    if args.at is not None:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            raise CommandError(
                f"--at: expected an ISO 8601 instant with its offset, e.g. 2027-01-15T09:00:00+01:00 (got {args.at!r})"
            )
        if not args.once:
            raise CommandError("--at goes with --once (the long-running worker follows the clock)")
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(message)s")
    db = _migrated_db(settings)
    print(worker.announce(settings), flush=True)
    try:
        if args.once:
            done = worker.run_once(db, settings, at)
            print("; ".join(f"{name}: {n}" for name, n in done.items()))
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        print(
            f"worker: running every {settings.worker_interval_seconds} s; stop with Ctrl-C or SIGTERM",
            flush=True,
        )
        worker.run_forever(db, settings, stop)
    finally:
        db.dispose()


def _webhook_events(value: str | None) -> list[str] | None:
    return [e for e in value.split(",")] if value else None


def cmd_webhook_add(args: argparse.Namespace, settings: Settings) -> None:
    from resolvers.webhooks import add_webhook

    structure_id = None if args.structure is None else _pk(args.structure, "Structure", "--structure")
    db = _migrated_db(settings)

    def run() -> tuple[int, str]:
        with db.write() as session:
            hook, secret = add_webhook(session, args.url, structure_id, _webhook_events(args.events))
            return hook.id, secret

    hook_id, secret = _domain(run)
    print(f"webhook {hook_id} added for {args.url}; its signing secret is shown once, keep it safe:")
    print(secret)


def cmd_webhook_list(args: argparse.Namespace, settings: Settings) -> None:
    from resolvers.webhooks import list_webhooks

    db = _migrated_db(settings)
    with db.read() as session:
        lines = list_webhooks(session)
    if not lines:
        print("no webhook")
    for w in lines:
        scope = f"structure {w.structure_id}" if w.structure_id else "all structures"
        print(
            f"{w.id}\t{w.url}\t{scope}\t{w.events or 'all events'}\t"
            f"pending {w.pending}, sent {w.sent}, failed {w.failed}"
        )


def cmd_webhook_remove(args: argparse.Namespace, settings: Settings) -> None:
    from resolvers.webhooks import remove_webhook

    db = _migrated_db(settings)

    def run() -> None:
        with db.write() as session:
            remove_webhook(session, args.webhook_id)

    _domain(run)
    print(f"webhook {args.webhook_id} removed: no more calls; its deliveries stay listed")


def cmd_webhook_deliveries(args: argparse.Namespace, settings: Settings) -> None:
    from models.notifications import DeliveryStatus
    from resolvers.webhooks import deliveries

    db = _migrated_db(settings)
    status = DeliveryStatus(args.status) if args.status else None
    with db.read() as session:
        lines = deliveries(session, args.webhook, status, args.limit)
    if not lines:
        print("no delivery")
    for d in lines:
        retry = f", next try {d.next_attempt_at:%Y-%m-%d %H:%M:%S}Z" if d.status == "pending" else ""
        error = f", last error: {d.last_error}" if d.last_error else ""
        print(
            f"{d.id}\t{d.created_at:%Y-%m-%d %H:%M:%S}Z\t{d.channel}\t{d.target}\t{d.event_type}\t{d.event_uid}\t"
            f"{d.status} after {d.attempts} attempt(s){retry}{error}"
        )


def cmd_structure_enroll(args: argparse.Namespace, settings: Settings) -> None:
    from resolvers.auth import enroll_structure
    from resolvers.ids import to_global_id

    structure_id = _pk(args.structure_id, "Structure", "ID")
    db = _migrated_db(settings)

    def run() -> str:
        with db.write() as session:
            structure = enroll_structure(session, structure_id)
            return structure.name

    name = _domain(run)
    print(
        f"structure {structure_id} ({name}) is a platform member; GraphQL id {to_global_id('Structure', structure_id)}"
    )


def cmd_export_validate(args: argparse.Namespace, settings: Settings) -> None:
    # frictionless is heavy to import: only this command pays for it.
    from batch.validation import SchemaUnavailable, load_schema, validate_csv

    (path,) = _existing([args.file])
    try:
        schema = load_schema(args.schema)
    except SchemaUnavailable as exc:
        raise CommandError(f"{exc} (pass --schema with a local copy of the standard's schema.json)") from None
    result = validate_csv(path, schema, max_errors=args.max_errors)
    if result.valid:
        print(f"{path} : conforme au standard v1.0.2 ({result.rows} ligne{'s' if result.rows > 1 else ''})")
        return
    print(f"{path} : non conforme au standard v1.0.2 ; premières erreurs :")
    for problem in result.problems:
        print(f"  {problem}")
    raise CommandError(f"{path} does not conform to the standard (first {len(result.problems)} errors above)")


def cmd_schema_export(args: argparse.Namespace, settings: Settings) -> None:
    from schema.root import export_sdl

    sdl = export_sdl()
    if args.output == "-":
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl, encoding="utf-8")


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1 expected, got {text!r}")
    return int(text)


def parser() -> argparse.ArgumentParser:
    from batch.imports import lieux as lieux_rules

    p = argparse.ArgumentParser(
        prog="aiguillage",
        description="GraphQL service for digital-inclusion networks. Settings come from AIGUILLAGE_* variables.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def serve_options(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument("--host", default="127.0.0.1")
        cmd.add_argument("--port", type=int, default=8000)
        cmd.add_argument("--workers", type=int, default=1, help="processes (each stateless)")

    serve = sub.add_parser("serve", help="serve the API (refuses an un-migrated database)")
    serve_options(serve)
    serve.set_defaults(fn=cmd_serve)

    demo = sub.add_parser("demo", help="migrate, load the fictional demo territory, print tokens, serve")
    serve_options(demo)
    demo.add_argument("--no-serve", action="store_true", help="load the demo data and stop")
    demo.set_defaults(fn=cmd_demo)

    db = sub.add_parser("db", help="database migrations").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="migrate the database to the latest revision")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(fn=cmd_db_upgrade)
    db.add_parser("current", help="show the database revision").set_defaults(fn=cmd_db_current)

    imp = sub.add_parser("import", help="import open data").add_subparsers(
        dest="import_command", required=True
    )
    lieux = imp.add_parser(
        "lieux",
        help="places: national standard v1.0.2 CSV, v0.1 JSON/CSV, France Services CSV; each file all-or-nothing",
    )
    lieux.add_argument("files", nargs="+", metavar="FILE")
    lieux.add_argument("--report", metavar="FILE", help="also write the report as JSON")
    lieux.add_argument(
        "--snapshot",
        action="store_true",
        help="each file is the whole current list of its sources: their places missing from it are closed",
    )
    lieux.add_argument(
        "--allow-mass-close",
        action="store_true",
        help=f"let a snapshot close more than {lieux_rules.MASS_CLOSE_SHARE:.0%}% of a source's places",
    )
    lieux.set_defaults(fn=cmd_import_lieux)
    communes = imp.add_parser(
        "communes", help="communes: La Poste CSV (points, postal codes) [+ découpage JSON]"
    )
    communes.add_argument("laposte_csv", metavar="LAPOSTE_CSV")
    communes.add_argument("decoupage_json", metavar="DECOUPAGE_JSON", nargs="?")
    communes.add_argument("--report", metavar="FILE", help="also write the report as JSON")
    communes.set_defaults(fn=cmd_import_communes)

    op = sub.add_parser("operator", help="operators and their tokens").add_subparsers(
        dest="op_command", required=True
    )
    create = op.add_parser("create", help="create an operator; prints its bearer token as the last line")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=["operator", "coordinator"])
    create.add_argument(
        "--structure",
        metavar="ID",
        help="the structure's id, as the API gives it or its number (operators only)",
    )
    create.add_argument("--email", help="where its notifications go (no beneficiary data is ever e-mailed)")
    create.set_defaults(fn=cmd_operator_create)
    notify = op.add_parser("notifications", help="turn an operator's e-mail notifications on or off")
    notify.add_argument(
        "operator_id", metavar="OPERATOR_ID", help="as the API gives it (me { id }) or its number"
    )
    notify.add_argument("state", choices=["on", "off"])
    notify.set_defaults(fn=cmd_operator_notifications)
    revoke = op.add_parser("revoke", help="revoke an operator's token")
    revoke.add_argument(
        "operator_id", metavar="OPERATOR_ID", help="as the API gives it (me { id }) or its number"
    )
    revoke.set_defaults(fn=cmd_operator_revoke)

    st = sub.add_parser("structure", help="structures").add_subparsers(dest="st_command", required=True)
    enroll = st.add_parser(
        "enroll", help="make a structure a platform member (accepts carnets and orientations)"
    )
    enroll.add_argument("structure_id", metavar="ID", help="as the API gives it or its number")
    enroll.set_defaults(fn=cmd_structure_enroll)

    work = sub.add_parser(
        "worker", help="run the periodic jobs (reminders, expiry…) and deliver e-mails and webhooks"
    )
    work.add_argument(
        "--once", action="store_true", help="run every job once and stop (for cron, back-fills)"
    )
    work.add_argument("--at", metavar="ISO-INSTANT", help="with --once: act as if at this instant")
    work.set_defaults(fn=cmd_worker)

    hooks = sub.add_parser("webhook", help="partners' webhooks").add_subparsers(
        dest="webhook_command", required=True
    )
    add = hooks.add_parser("add", help="subscribe a URL; prints its signing secret once")
    add.add_argument("url", metavar="URL")
    add.add_argument(
        "--structure", metavar="ID", help="only events from or to this structure (its API id or number)"
    )
    add.add_argument(
        "--events", metavar="TYPE,…", help="only these types, e.g. dossier.declined,dossier.expired"
    )
    add.set_defaults(fn=cmd_webhook_add)
    hooks.add_parser("list", help="the webhooks and their delivery counts").set_defaults(fn=cmd_webhook_list)
    remove = hooks.add_parser("remove", help="stop calling a webhook")
    remove.add_argument("webhook_id", type=int, metavar="WEBHOOK_ID")
    remove.set_defaults(fn=cmd_webhook_remove)
    log = hooks.add_parser(
        "deliveries", help="the latest deliveries (webhook calls and e-mails), newest first"
    )
    log.add_argument("--webhook", type=int, metavar="WEBHOOK_ID")
    log.add_argument("--status", choices=["pending", "sent", "failed", "off"])
    log.add_argument("--limit", type=int, default=50)
    log.set_defaults(fn=cmd_webhook_deliveries)

    exp = sub.add_parser("export", help="files in the national standard").add_subparsers(
        dest="export_command", required=True
    )
    check = exp.add_parser(
        "validate",
        help="check a CSV against the national standard v1.0.2 (Table Schema, with frictionless); "
        "prints the first errors, exit status 1 when it does not conform",
    )
    check.add_argument("file", metavar="FILE")
    check.add_argument(
        "--schema",
        metavar="PATH_OR_URL",
        default=None,
        help="the standard's Table Schema (default: its published v1.0.2 schema.json)",
    )
    check.add_argument(
        "--max-errors", type=_positive, default=20, metavar="N", help="errors to print (default 20)"
    )
    check.set_defaults(fn=cmd_export_validate)

    sch = sub.add_parser("schema", help="the GraphQL schema").add_subparsers(
        dest="schema_command", required=True
    )
    export = sch.add_parser("export", help="print the schema in SDL (as committed in schema.graphql)")
    export.add_argument("--output", "-o", default="-")
    export.set_defaults(fn=cmd_schema_export)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        args.fn(args, settings)
    except (SettingsError, CommandError) as exc:
        print(f"aiguillage: error: {exc}", file=sys.stderr)
        return 1
    except DBAPIError as exc:
        # The database refused or did not answer: one line that says so, not a trace of our internals.
        cause = exc.orig if exc.orig is not None else exc
        message = " ".join(str(cause).split())[:300]
        print(f"aiguillage: error: base de données : {type(cause).__name__}: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
