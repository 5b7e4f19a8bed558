"""``lifebuoy gateway``: run a gateway on its own.

`register` adds the subcommand to the ``lifebuoy`` command line; `main` runs
it directly, as ``python -m lifebuoy.gateway``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .config import GatewayConfig, Limits, load_site_keys
from .reporting import HttpReporter, NullReporter, Reporter
from .server import run_gateway

__all__ = ["add_arguments", "main", "register", "run"]

_DEFAULTS = Limits()


def register(subparsers: Any) -> None:
    """Add the ``gateway`` subcommand; its handler is ``args.handler(args)``."""
    parser = subparsers.add_parser(
        "gateway",
        help="run a gateway (relay) on its own",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the gateway's options and run it until interrupted."""
    parser = argparse.ArgumentParser(
        prog="lifebuoy gateway", description="Run a Lifebuoy gateway (relay)."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The gateway's options."""
    listen = parser.add_argument_group("listening")
    listen.add_argument("--host", default="127.0.0.1", help="address to bind")
    listen.add_argument("--port", type=int, default=8444, help="TCP port")
    listen.add_argument("--tls-cert", type=Path, help="PEM certificate chain")
    listen.add_argument("--tls-key", type=Path, help="PEM private key")
    listen.add_argument(
        "--tls-engine",
        choices=["openssl", "system"],
        help="TLS on the OpenSSL that cryptography ships (default when it can "
        "run: less CPU per GiB relayed) or on Python's ssl (about 15 KiB less "
        "per idle session); see docs/decisions/0016-tls-engine.md",
    )
    listen.add_argument(
        "--allowed-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="browser origin allowed to connect, e.g. https://support.example "
        "(repeatable; connections without Origin are always allowed)",
    )

    trust = parser.add_argument_group("tickets")
    trust.add_argument(
        "--site-key",
        action="append",
        required=True,
        metavar="KEY_ID=FILE",
        help="the site's Ed25519 public key (PEM) by key id; repeat for rotation",
    )

    limits = parser.add_argument_group("limits")
    for name, kind, text in _LIMIT_OPTIONS:
        limits.add_argument(
            f"--{name.replace('_', '-')}",
            type=kind,
            default=getattr(_DEFAULTS, name),
            help=f"{text} (default: %(default)s)",
        )

    report = parser.add_argument_group("reporting")
    report.add_argument("--report-url", help="site URL to POST lifecycle events to")
    report.add_argument("--report-token-file", type=Path, help="bearer token file")
    parser.add_argument("--log-level", default="INFO", help="logging level")


_LIMIT_OPTIONS = [
    ("ticket_timeout", float, "seconds to present the ticket"),
    ("hold_timeout", float, "seconds a first end waits for the other"),
    ("resume_grace", float, "seconds a session survives a dropped end"),
    ("ping_interval", float, "seconds between keepalive pings"),
    ("ping_timeout", float, "seconds to wait for a pong"),
    ("close_timeout", float, "seconds to wait for a closing handshake"),
    ("max_message_size", int, "largest message in bytes"),
    ("max_queue", int, "received messages buffered per connection"),
    ("write_limit", int, "write buffer high-water mark per connection"),
    ("max_connections_per_address", int, "live connections per IP address"),
    ("max_connections", int, "live connections in total"),
    ("listen_backlog", int, "pending TCP connections queued by the kernel"),
]


def run(args: argparse.Namespace) -> int:
    """Run the gateway described by parsed options; the exit status."""
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    quiet_websockets()
    config = config_from_args(args)
    reporter = _reporter(args)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            _run_loop(config, reporter)
    finally:
        reporter.close()
    return 0


def quiet_websockets() -> None:
    """websockets logs every connection and HTTP answer at INFO: at thousands
    of connections that drowns the gateway's own lifecycle lines. Its
    warnings and errors still show; DEBUG on the gateway brings it back."""
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("websockets").setLevel(logging.WARNING)


def config_from_args(args: argparse.Namespace) -> GatewayConfig:
    """Build the configuration from parsed options."""
    keys = []
    for spec in args.site_key:
        key_id, sep, path = spec.partition("=")
        if not sep:
            raise SystemExit(f"--site-key wants KEY_ID=FILE, not {spec!r}")
        keys.append((key_id, Path(path)))

    limits = Limits(**{name: getattr(args, name) for name, _, _ in _LIMIT_OPTIONS})
    return GatewayConfig(
        site_keys=load_site_keys(keys),
        host=args.host or None,
        port=args.port,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        tls_engine=args.tls_engine,
        allowed_origins=tuple(args.allowed_origin),
        limits=limits,
    )


def _reporter(args: argparse.Namespace) -> Reporter:
    if args.report_url is None:
        return NullReporter()
    if args.report_token_file is None:
        raise SystemExit("--report-url needs --report-token-file")
    return HttpReporter(args.report_url, args.report_token_file)


def _run_loop(config: GatewayConfig, reporter: Reporter) -> None:
    # uvloop roughly halves the relay's CPU per byte and its TLS memory.
    try:
        import uvloop
    except ImportError:
        asyncio.run(run_gateway(config, reporter))
    else:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(run_gateway(config, reporter))
