"""``python -m warehouse.local``: run the local warehouse (also ``manage.py runwarehouse``)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from .address import DEFAULT_URL, URL_ENV, InvalidAddress, configured_url, port_of
from .engine import Engine
from .errors import LocalWarehouseError
from .faults import FaultInjectingHandler
from .server import LocalWarehouseServer, WarehouseHandler
from .session import Session
from .token import TOKEN_ENV, ensure_token

logger = logging.getLogger("warehouse.local")

DEFAULT_DATA_DIR = Path("var") / "warehouse"
DEFAULT_TOKEN_FILE = Path("var") / "local-warehouse-token"


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="python -m warehouse.local", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"port (default: the port of {URL_ENV}, {DEFAULT_URL} when unset; 0 picks a free one)",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="one DuckDB file per catalog lives here"
    )
    parser.add_argument(
        "--token-file",
        type=Path,
        default=DEFAULT_TOKEN_FILE,
        help=f"the access token clients must send (created if missing; {TOKEN_ENV} overrides it)"
        f" (default {DEFAULT_TOKEN_FILE})",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="fixed delay added to every statement")
    parser.add_argument(
        "--fail-rate",
        type=float,
        default=0.0,
        help="fraction of statements failed with --fail-status (default 0)",
    )
    parser.add_argument(
        "--fail-status",
        type=int,
        default=502,
        help="HTTP status of an injected failure: 502 reaches the client at once; "
        "429 and 503 are first retried by the connector itself (default 502)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed for --fail-rate")
    parser.add_argument(
        "--ensure-schema",
        action="append",
        default=[],
        metavar="CATALOG.SCHEMA",
        help="create this catalog and schema at start-up if missing (repeatable)",
    )
    return parser


def ensure_schemas(engine: Engine, names: Sequence[str]) -> None:
    for name in names:
        catalog, _, schema = name.partition(".")
        engine.execute(Session(), f"CREATE CATALOG IF NOT EXISTS `{catalog}`", [])
        if schema:
            engine.execute(Session(), f"CREATE SCHEMA IF NOT EXISTS `{catalog}`.`{schema}`", [])


def serve(options: argparse.Namespace) -> None:
    engine = Engine(options.data_dir)
    try:
        ensure_schemas(engine, options.ensure_schema)
    except LocalWarehouseError as error:
        raise SystemExit(f"cannot create {options.ensure_schema}: {error}") from error
    handler = FaultInjectingHandler(
        WarehouseHandler(engine),
        latency_ms=options.latency_ms,
        fail_rate=options.fail_rate,
        fail_status=options.fail_status,
        seed=options.seed,
    )
    port = options.port if options.port is not None else port_of(configured_url())
    server = LocalWarehouseServer((options.host, port), handler, ensure_token(options.token_file))
    host, port = str(server.server_address[0]), int(server.server_address[1])
    # Tests read this line from stdout to learn the port when started with --port 0.
    sys.stdout.write(f"local warehouse listening on http://{host}:{port}/sql/1.0/warehouses/local\n")
    sys.stdout.flush()
    logger.info(
        "data dir %s, catalogs %s, latency %s ms, fail rate %s",
        options.data_dir,
        engine.catalogs(),
        options.latency_ms,
        options.fail_rate,
    )

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        engine.close()
        logger.info("local warehouse stopped; data checkpointed in %s", options.data_dir)


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        serve(build_parser().parse_args(argv))
    except InvalidAddress as error:
        raise SystemExit(str(error)) from None
