"""`rapport`: the operator's command line.

Every command takes `--json` and then prints one JSON object on its last line. Bad
arguments give a one-line error and exit 2; each command is one transaction, so a failure
leaves nothing half-written.
"""

import argparse
import json
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn

from pydantic import BaseModel
from sqlmodel import Session, col, select

from app.catalog import content
from app.catalog.exceptions import ContentError
from app.core import migrations
from app.core.config import Settings, get_settings
from app.core.database import Database
from app.core.db import make_engine, session_scope
from app.core.errors import AppError
from app.encryption import service as encryption
from app.encryption.keyring import EncryptionKeyError
from app.models import Tenant
from app.tenants import service as tenants
from app.webhooks import worker as webhooks_worker

DEV_TENANT_NAME = "dev"
OPENAPI_PATH = "openapi/openapi.json"
EXIT_USAGE = 2


class UsageError(Exception):
    """Reported as one line on stderr, exit 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"rapport: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


class Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def line(self, text: str) -> None:
        if not self.as_json:
            sys.stdout.write(text + "\n")

    def result(self, data: dict[str, Any]) -> None:
        if self.as_json:
            sys.stdout.write(json.dumps(data, default=str) + "\n")
        sys.stdout.flush()


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def cmd_migrate(settings: Settings, args: argparse.Namespace, out: Output) -> None:
    migrations.upgrade(settings.database_url)
    head = migrations.head_revision()
    out.line(f"database at migration {head}")
    out.result({"migrated_to": head})


def cmd_tenants_create(settings: Settings, args: argparse.Namespace, out: Output) -> None:
    name = args.name.strip()
    if not name or len(name) > 200:
        raise UsageError("tenant name must be 1 to 200 characters")
    with session_scope(make_engine(settings)) as session:
        tenant = tenants.create_tenant(session, name)
        data = {"id": tenant.id, "name": tenant.name, "created_at": tenant.created_at}
    out.line(f"created tenant {data['id']} ({name})")
    out.result(data)


def cmd_tenants_list(settings: Settings, args: argparse.Namespace, out: Output) -> None:
    with session_scope(make_engine(settings), write=False) as session:
        rows = [
            {"id": t.id, "name": t.name, "created_at": t.created_at}
            for t in tenants.list_tenants(session)
        ]
    for row in rows:
        out.line(f"{row['id']}  {row['name']}")
    out.result({"data": rows})


def cmd_keys_create(settings: Settings, args: argparse.Namespace, out: Output) -> None:
    if args.rate_limit_per_minute is not None and args.rate_limit_per_minute < 0:
        raise UsageError("--rate-limit-per-minute must be 0 (unlimited) or more")
    with session_scope(make_engine(settings)) as session:
        created = tenants.create_key(
            session,
            settings.secret_key.get_secret_value().encode(),
            tenant_id=args.tenant,
            livemode=args.mode == "live",
            name=args.name or "",
            rate_limit_per_minute=args.rate_limit_per_minute,
        )
    out.line(f"created {created.id}; its secret, shown only now:")
    out.line(created.secret)
    out.result(_dump(created))


def cmd_keys_list(settings: Settings, args: argparse.Namespace, out: Output) -> None:
    with session_scope(make_engine(settings), write=False) as session:
        rows = [_dump(tenants.to_public(k)) for k in tenants.list_keys(session, args.tenant)]
    for row in rows:
        state = (
            "revoked"
            if row["revoked_at"]
            else f"expires {row['expires_at']}"
            if row["expires_at"]
            else "active"
        )
        out.line(f"{row['id']}  {row['prefix']}…{row['last4']}  {row['name'] or '-'}  {state}")
    out.result({"data": rows})


def cmd_keys_revoke(settings: Settings, args: argparse.Namespace, out: Output) -> None:
    with session_scope(make_engine(settings)) as session:
        key = _dump(tenants.to_public(tenants.revoke_key(session, args.key_id)))
    out.line(f"revoked {key['id']}")
    out.result(key)


def cmd_keys_rotate(settings: Settings, args: argparse.Namespace, out: Output) -> None:
    if not 0 <= args.grace_hours <= 24 * 30:
        raise UsageError("--grace-hours must be between 0 and 720")
    with session_scope(make_engine(settings)) as session:
        created = tenants.rotate_key(
            session,
            settings.secret_key.get_secret_value().encode(),
            args.key_id,
            timedelta(hours=args.grace_hours),
        )
    out.line(
        f"created {created.id} replacing {args.key_id}, which works for {args.grace_hours} h more"
    )
    out.line(created.secret)
    out.result(_dump(created))


def cmd_openapi(settings: Settings, args: argparse.Namespace, out: Output) -> None:
    from app.main import create_app

    document = json.dumps(create_app(settings).openapi(), indent=2, ensure_ascii=False) + "\n"
    path = Path(args.output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document)
    out.line(f"wrote {path}")
    out.result({"path": str(path), "bytes": len(document.encode())})


def cmd_content_load(settings: Settings, args: argparse.Namespace, out: Output) -> None:
    directory = Path(args.directory) if args.directory else settings.content_dir
    report = load_content(settings, directory)
    out.line(
        f"loaded {report['prompts']} prompts in {report['catalogs']} catalogs from {directory}: "
        f"{report['created']} created, {report['updated']} updated, "
        f"{report['archived']} archived, {report['unchanged']} unchanged"
    )
    out.result(report)


def load_content(settings: Settings, directory: Path) -> dict[str, int]:
    """Validate every file, then upsert in one transaction: all or nothing."""
    try:
        catalogs = content.read_directory(directory)
    except ContentError as exc:
        raise UsageError(f"content refused, nothing loaded: {exc}") from exc
    with session_scope(make_engine(settings)) as session:
        return content.load(session, catalogs).as_dict()


def _serve_content(settings: Settings, out: Output) -> None:
    if settings.load_content_on_start:
        cmd_content_load(settings, argparse.Namespace(directory=None), out)


def cmd_encryption_rotate(settings: Settings, args: argparse.Namespace, out: Output) -> None:
    """Rewrap every member data key under ENCRYPTION_KEY; texts are not touched."""
    try:
        ring = encryption.keyring(settings)
    except EncryptionKeyError as exc:
        raise UsageError(str(exc)) from exc
    with session_scope(make_engine(settings)) as session:
        count = encryption.rewrap_all(session, ring)
    out.line(f"rewrapped {count} member keys under master key {ring.current_id}")
    out.result({"rewrapped": count, "master_key_id": ring.current_id})


def bootstrap_development(settings: Settings, out: Output) -> dict[str, Any] | None:
    """In development, an empty database gets a `dev` tenant and one test key, printed once."""
    if settings.environment != "development":
        return None
    with session_scope(make_engine(settings)) as session:
        if _has_tenant(session):
            return None
        tenant = tenants.create_tenant(session, DEV_TENANT_NAME)
        created = tenants.create_key(
            session,
            settings.secret_key.get_secret_value().encode(),
            tenant_id=tenant.id,
            livemode=False,
            name="development",
        )
    out.line(f"development tenant {tenant.id}; its test key, shown only now:")
    out.line(f"    {created.secret}")
    out.line("open /docs, press Authorize and paste it.")
    return {"tenant_id": tenant.id, "secret": created.secret}


def _has_tenant(session: Session) -> bool:
    return session.exec(select(col(Tenant.id)).limit(1)).first() is not None


def cmd_serve(settings: Settings, args: argparse.Namespace, out: Output) -> None:
    import uvicorn  # the server is needed only by this command

    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    migrations.upgrade(settings.database_url)
    _serve_content(settings, out)
    dev = bootstrap_development(settings, out)
    if workers > 1:
        _prepare_multiprocess_metrics(settings)
    webhooks = settings.webhook_worker_in_serve
    out.line(f"serving on http://{host}:{port} (docs at /docs) with {workers} worker(s)")
    out.result(
        {
            "host": host,
            "port": port,
            "workers": workers,
            "webhook_worker": webhooks,
            "development_key": dev,
        }
    )
    # Webhook deliveries go out from a thread of this process (uvicorn's own workers, if
    # several, are its children); WEBHOOK_WORKER_IN_SERVE=false leaves it to `rapport worker`.
    stop_webhooks = (
        webhooks_worker.start_in_thread(Database(make_engine(settings)), settings)
        if webhooks
        else None
    )
    try:
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            proxy_headers=True,
            server_header=False,
        )
    finally:
        if stop_webhooks is not None:
            stop_webhooks()


def cmd_worker(settings: Settings, args: argparse.Namespace, out: Output) -> None:
    """Deliver webhooks: everything due now with --once, else until SIGTERM or SIGINT."""
    engine = make_engine(settings)
    worker = webhooks_worker.Worker(Database(engine), settings)
    try:
        if args.once:
            report = worker.run_once()
        else:
            stop = threading.Event()
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
            out.line("webhook worker running; stop it with SIGTERM or Ctrl-C")
            report = worker.run(stop)
    finally:
        worker.close()
        engine.dispose()
    summary = report.as_dict()
    out.line(", ".join(f"{value} {name.replace('_', ' ')}" for name, value in summary.items()))
    out.result(summary)


def _prepare_multiprocess_metrics(settings: Settings) -> None:
    """Workers share metrics through files, so /metrics counts every worker's requests."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(settings.data_dir / "prometheus")
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory


def build_parser() -> Parser:
    parser = Parser(prog="rapport", description="Operate a Rapport service.")
    common = Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON object last")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    serve = sub.add_parser("serve", parents=[common], help="migrate, load content and serve")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.set_defaults(handler=cmd_serve)

    worker = sub.add_parser("worker", parents=[common], help="deliver webhooks")
    worker.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    worker.set_defaults(handler=cmd_worker)

    migrate = sub.add_parser("migrate", parents=[common], help="upgrade the schema to head")
    migrate.set_defaults(handler=cmd_migrate)

    spec = sub.add_parser("openapi", parents=[common], help="write the OpenAPI document")
    spec.add_argument("--output", default=OPENAPI_PATH)
    spec.set_defaults(handler=cmd_openapi)

    content_cmd = sub.add_parser("content", help="manage the built-in catalogs")
    content_sub = content_cmd.add_subparsers(dest="action", required=True, parser_class=Parser)
    cl = content_sub.add_parser("load", parents=[common], help="validate and upsert content/")
    cl.add_argument("--directory", help="default: CONTENT_DIR (the repository's content/)")
    cl.set_defaults(handler=cmd_content_load)

    enc = sub.add_parser("encryption", help="manage the master encryption key")
    enc_sub = enc.add_subparsers(dest="action", required=True, parser_class=Parser)
    rot = enc_sub.add_parser(
        "rotate",
        parents=[common],
        help="rewrap data keys under ENCRYPTION_KEY (old keys in ENCRYPTION_KEY_PREVIOUS)",
    )
    rot.set_defaults(handler=cmd_encryption_rotate)

    tenants_cmd = sub.add_parser("tenants", help="manage tenants")
    tenants_sub = tenants_cmd.add_subparsers(dest="action", required=True, parser_class=Parser)
    create = tenants_sub.add_parser("create", parents=[common])
    create.add_argument("name")
    create.set_defaults(handler=cmd_tenants_create)
    tenants_sub.add_parser("list", parents=[common]).set_defaults(handler=cmd_tenants_list)

    keys_cmd = sub.add_parser("keys", help="manage secret API keys")
    keys_sub = keys_cmd.add_subparsers(dest="action", required=True, parser_class=Parser)
    kc = keys_sub.add_parser("create", parents=[common])
    kc.add_argument("--tenant", required=True)
    kc.add_argument("--mode", required=True, choices=["live", "test"])
    kc.add_argument("--name", default="")
    kc.add_argument("--rate-limit-per-minute", type=int, default=None)
    kc.set_defaults(handler=cmd_keys_create)
    kl = keys_sub.add_parser("list", parents=[common])
    kl.add_argument("--tenant", required=True)
    kl.set_defaults(handler=cmd_keys_list)
    kr = keys_sub.add_parser("revoke", parents=[common])
    kr.add_argument("key_id")
    kr.set_defaults(handler=cmd_keys_revoke)
    kt = keys_sub.add_parser("rotate", parents=[common])
    kt.add_argument("key_id")
    kt.add_argument("--grace-hours", type=int, default=24)
    kt.set_defaults(handler=cmd_keys_rotate)
    return parser


Handler = Callable[[Settings, argparse.Namespace, Output], None]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = Output(as_json=getattr(args, "json", False))
    handler: Handler = args.handler
    try:
        handler(get_settings(), args, out)
    except (UsageError, AppError) as exc:
        sys.stderr.write(f"rapport: error: {exc}\n")
        return EXIT_USAGE
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
