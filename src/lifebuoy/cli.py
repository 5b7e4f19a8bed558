"""The ``lifebuoy`` command and its subcommands."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from lifebuoy import __version__
from lifebuoy.config import ConfigError
from lifebuoy.gateway.cli import register as register_gateway

Handler = Callable[[argparse.Namespace], int]


def _setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifebuoy.site.settings")
    django.setup()


def _prepare_files() -> None:
    """Key files and certificates, which Django's settings read at import."""
    from lifebuoy.config import load
    from lifebuoy.site.bootstrap.files import ensure_secret_file
    from lifebuoy.site.bootstrap.tls import ensure_tls

    config = load()
    (config.data_dir / "static").mkdir(parents=True, exist_ok=True)
    secrets = config.data_dir / "secrets"
    if ensure_secret_file(secrets / "django-secret.key"):
        print(f"Created the site's secret key in {secrets}")
    if ensure_secret_file(secrets / "gateway-report.token"):
        print(f"Created the token standalone gateways report with in {secrets}")
    hosts = list(dict.fromkeys([config.site.host, *config.site.allowed_hosts]))
    _, made = ensure_tls(config.data_dir / "tls", hosts)
    for thing in made:
        print(f"Created a {thing} in {config.data_dir / 'tls'}")


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _prepare(demo: bool) -> None:
    """Everything ``serve`` needs, reusing what exists."""
    _prepare_files()
    _setup_django()
    from lifebuoy.site.vault import service
    from lifebuoy.site.vault.models import DataKey

    _migrate()
    # A key file is made only for a database with nothing sealed yet: once
    # data keys exist, a missing file is a lost key (MasterKeyMissing below),
    # and a fresh one would open nothing.
    if not DataKey.objects.exists() and service.ensure_master_key():
        print(f"Created the master key {service.master_key_path()}: back it up.")
    service.check_master_key()
    service.ensure_data_key(None)
    if demo:
        _print_demo()


def _print_demo() -> None:
    from lifebuoy.site.bootstrap.organizations import DEMO_ORGANIZATION, create_demo

    accounts = create_demo()
    if accounts is None:
        print(
            f"The organization {DEMO_ORGANIZATION!r} exists; its one-time passwords "
            "were shown when it was made; `lifebuoy reset-password EMAIL` makes "
            "a new one."
        )
        return
    print(f"\nCreated the organization {DEMO_ORGANIZATION!r}. One-time passwords,")
    print("shown only now (each must be changed at first login):\n")
    for account in accounts:
        print(f"  {account.role:<22} {account.email:<32} {account.one_time_password}")
    print()


def cmd_init(args: argparse.Namespace) -> int:
    _prepare(demo=not args.no_demo)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from lifebuoy.gateway.cli import quiet_websockets

    quiet_websockets()
    _prepare(demo=not args.no_demo)
    from lifebuoy.site.server import serve

    return serve()


def cmd_migrate(args: argparse.Namespace) -> int:
    _prepare_files()
    _setup_django()
    _migrate()
    print("The database is up to date.")
    return 0


def cmd_createorg(args: argparse.Namespace) -> int:
    _prepare(demo=False)
    from lifebuoy.site.bootstrap.organizations import create_organization

    accounts = create_organization(args.name, args.admin_email.lower(), args.admin_name)
    for account in accounts:
        print(
            f"{account.role}: {account.email}  "
            f"one-time password: {account.one_time_password}"
        )
    return 0


def cmd_reset_password(args: argparse.Namespace) -> int:
    _setup_django()
    from lifebuoy.site.accounts.admin_actions import reset_password

    password = reset_password(args.email.lower(), actor="lifebuoy command line")
    if password is None:
        print(f"No account has the login ID {args.email}.", file=sys.stderr)
        return 1
    print(f"One-time password for {args.email}: {password}")
    return 0


def cmd_check_audit(args: argparse.Namespace) -> int:
    _setup_django()
    from lifebuoy.site.audit.chain import verify_chain
    from lifebuoy.site.audit.models import AuditHead

    broken = verify_chain()
    if broken is not None:
        print(f"The audit chain is broken at event #{broken.seq}: {broken.reason}.")
        return 1
    head = AuditHead.objects.get(pk=1)
    print(f"The audit chain is intact: {head.seq} events, last hash {head.hash}.")
    return 0


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    _setup_django()
    from lifebuoy.site.vault import service

    old, new = service.rotate_master_key()
    print(f"Every data key is now wrapped by master key {new} (was {old}).")
    print(
        "Back up the new key file; remove the .retired file once your backups "
        "hold the new one."
    )
    if args.data_keys:
        from lifebuoy.site.accounts.models import Organization

        for organization_id in [
            None,
            *Organization.objects.values_list("pk", flat=True),
        ]:
            service.create_data_key(organization_id)
        print(
            "New data keys seal new data; older data keeps opening with the old ones."
        )
    return 0


def cmd_rotate_signing_key(args: argparse.Namespace) -> int:
    _setup_django()
    from datetime import timedelta

    from lifebuoy.site.signing.keys import rotate

    old, new = rotate(timedelta(hours=args.overlap_hours))
    print(f"Tickets and key certificates are now signed by {new}.")
    if old:
        print(f"{old} keeps verifying for {args.overlap_hours} hours.")
    return 0


def cmd_export_signing_keys(args: argparse.Namespace) -> int:
    """Write the public keys a standalone gateway verifies tickets with."""
    _setup_django()
    from pathlib import Path

    from cryptography.hazmat.primitives import serialization

    from lifebuoy.site.signing.keys import current_key, verification_keys

    current_key()
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    options = []
    for key_id, key in verification_keys().items():
        path = folder / f"{key_id}.pem"
        path.write_bytes(
            key.public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
        )
        options.append(f"--site-key {key_id}={path}")
    print("Start each gateway with: lifebuoy gateway " + " ".join(options))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lifebuoy",
        description="Lifebuoy: self-hosted remote support, end-to-end encrypted.",
    )
    parser.add_argument(
        "--version", action="version", version=f"lifebuoy {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="prepare what is missing and serve the site and gateway over HTTPS",
    )
    serve.add_argument(
        "--no-demo", action="store_true", help="do not create the demo organization"
    )
    serve.set_defaults(handler=cmd_serve)

    init = commands.add_parser(
        "init", help="prepare keys, certificates and database; do not serve"
    )
    init.add_argument(
        "--no-demo", action="store_true", help="do not create the demo organization"
    )
    init.set_defaults(handler=cmd_init)

    migrate = commands.add_parser(
        "migrate", help="bring the database schema up to date"
    )
    migrate.set_defaults(handler=cmd_migrate)

    createorg = commands.add_parser(
        "createorg", help="create an organization and its master administrator"
    )
    createorg.add_argument("name", help="the organization's name")
    createorg.add_argument(
        "--admin-email", required=True, help="login ID of the master administrator"
    )
    createorg.add_argument(
        "--admin-name", required=True, help="their name, as people see it"
    )
    createorg.set_defaults(handler=cmd_createorg)

    reset = commands.add_parser(
        "reset-password", help="give an account a new one-time password"
    )
    reset.add_argument("email", help="the account's login ID")
    reset.set_defaults(handler=cmd_reset_password)

    check = commands.add_parser(
        "check-audit",
        help="verify the audit log's hash chain; name the first broken link",
    )
    check.set_defaults(handler=cmd_check_audit)

    rotate = commands.add_parser(
        "rotate-keys", help="rewrap every data key under a new master key"
    )
    rotate.add_argument(
        "--data-keys", action="store_true", help="also start new data keys for new data"
    )
    rotate.set_defaults(handler=cmd_rotate_keys)

    signing = commands.add_parser(
        "rotate-signing-key",
        help="start a new site signing key; the old one verifies during an overlap",
    )
    signing.add_argument(
        "--overlap-hours",
        type=float,
        default=24.0,
        help="how long the old key keeps verifying (default 24)",
    )
    signing.set_defaults(handler=cmd_rotate_signing_key)

    export = commands.add_parser(
        "export-signing-keys",
        help="write the site's public signing keys for standalone gateways",
    )
    export.add_argument("folder", help="where to write KEY_ID.pem files")
    export.set_defaults(handler=cmd_export_signing_keys)

    register_gateway(commands)

    # A subcommand's own --help opens with the line the command list shows.
    for summary in commands._choices_actions:
        command = commands.choices[summary.dest]
        command.description = command.description or summary.help
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"lifebuoy: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from lifebuoy.site.vault.errors import VaultError

        if isinstance(exc, VaultError):
            print(f"lifebuoy: {exc}", file=sys.stderr)
            return 3
        raise


if __name__ == "__main__":
    sys.exit(main())
