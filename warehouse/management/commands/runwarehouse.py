"""``python manage.py runwarehouse``: the local Databricks-compatible SQL warehouse."""

from __future__ import annotations

from argparse import ArgumentParser, Namespace
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from warehouse.local.address import InvalidAddress, port_of
from warehouse.local.cli import build_parser, serve


class Command(BaseCommand):
    help = "Run the local SQL warehouse (Thrift over HTTP on DuckDB) that databricks-sql-connector talks to."

    def add_arguments(self, parser: ArgumentParser) -> None:
        build_parser(parser)
        parser.set_defaults(
            data_dir=settings.BASE_DIR / "var" / "warehouse",
            token_file=settings.LOCAL_WAREHOUSE_TOKEN_FILE,
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["port"] is None:
            # Where the service's clients connect (LOCAL_WAREHOUSE_URL, .env included), so the
            # warehouse and every process agree without a second setting.
            try:
                options["port"] = port_of(settings.LOCAL_WAREHOUSE_URL)
            except InvalidAddress as error:
                raise CommandError(str(error)) from None
        serve(Namespace(**options))
