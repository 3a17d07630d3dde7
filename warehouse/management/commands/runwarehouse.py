"""``python manage.py runwarehouse``: the local Databricks-compatible SQL warehouse."""

from __future__ import annotations

from argparse import ArgumentParser, Namespace
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from warehouse.local.cli import build_parser, serve


class Command(BaseCommand):
    help = "Run the local SQL warehouse (Thrift over HTTP on DuckDB) that databricks-sql-connector talks to."

    def add_arguments(self, parser: ArgumentParser) -> None:
        build_parser(parser)
        parser.set_defaults(
            data_dir=settings.BASE_DIR / "var" / "warehouse",
            port=settings.LOCAL_WAREHOUSE_PORT,
            token_file=settings.LOCAL_WAREHOUSE_TOKEN_FILE,
        )

    def handle(self, *args: Any, **options: Any) -> None:
        serve(Namespace(**options))
