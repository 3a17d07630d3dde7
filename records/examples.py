"""The original service's ``wells`` table (the seed's example): its definition and a row, as
the API documentation shows them and the tests send them."""

from __future__ import annotations

from typing import Any

WELLS_DEFINITION: list[dict[str, Any]] = [
    {"name": "api10", "data_type": "BIGINT", "nullable": False},
    {"name": "api14", "data_type": "BIGINT", "nullable": False},
    {"name": "wellname", "data_type": "STRING", "nullable": False},
    {"name": "spuddate", "data_type": "STRING", "nullable": True},
    {"name": "firstproddate", "data_type": "STRING", "nullable": True},
    {"name": "compldate", "data_type": "STRING", "nullable": True},
    {"name": "oileur", "data_type": "DOUBLE", "nullable": True},
    {"name": "gaseur", "data_type": "DOUBLE", "nullable": True},
    {"name": "wellspacing", "data_type": "DOUBLE", "nullable": True},
]
WELLS_ROW: dict[str, Any] = {
    "api10": 4201234567,
    "api14": 42012345671234,
    "wellname": "SMITH 1-15H",
    "spuddate": "01/15/2024",
    "firstproddate": "03/20/2024",
    "compldate": "03/10/2024",
    "oileur": 125000.50,
    "gaseur": 450000.75,
    "wellspacing": 640.0,
}
