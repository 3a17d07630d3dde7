"""A statement's answer as TCLIService shapes it: status, result-set metadata, pages of rows.

``server.py`` keeps an ``Operation`` per statement whose results the client still reads and
answers ExecuteStatement (direct results), GetOperationStatus, GetResultSetMetadata and
FetchResults with what this module builds from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
from databricks.sql.thrift_api.TCLIService import ttypes

from .arrow import arrow_payload
from .session import Outcome

OK = ttypes.TStatus(statusCode=ttypes.TStatusCode.SUCCESS_STATUS)


@dataclass(frozen=True)
class ResultOptions:
    """Which Arrow-native types the client said it reads (TSparkArrowTypes)."""

    decimals: bool = True
    complex_types: bool = True

    @classmethod
    def from_request(cls, req: ttypes.TExecuteStatementReq) -> ResultOptions:
        native = req.useArrowNativeTypes
        if native is None:
            return cls(decimals=False, complex_types=False)
        return cls(decimals=bool(native.decimalAsArrow), complex_types=bool(native.complexTypesAsArrow))


@dataclass
class Operation:
    outcome: Outcome | None
    error: str | None = None
    sqlstate: str | None = None
    offset: int = 0
    options: ResultOptions = field(default_factory=ResultOptions)


def status(operation: Operation) -> ttypes.TGetOperationStatusResp:
    if operation.outcome is None:
        return ttypes.TGetOperationStatusResp(
            status=OK,
            operationState=ttypes.TOperationState.ERROR_STATE,
            sqlState=operation.sqlstate,
            errorMessage=operation.error,
            displayMessage=operation.error,
        )
    return ttypes.TGetOperationStatusResp(
        status=OK,
        operationState=ttypes.TOperationState.FINISHED_STATE,
        numModifiedRows=operation.outcome.num_modified_rows,
        hasResultSet=True,
    )


def result_metadata(outcome: Outcome, options: ResultOptions) -> ttypes.TGetResultSetMetadataResp:
    payload = arrow_payload(
        outcome.table, outcome.duck_types, decimals=options.decimals, complex_types=options.complex_types
    )
    return ttypes.TGetResultSetMetadataResp(
        status=OK,
        schema=ttypes.TTableSchema(columns=payload.columns),
        resultFormat=ttypes.TSparkRowSetType.ARROW_BASED_SET,
        lz4Compressed=False,
        arrowSchema=payload.schema_bytes,
        isStagingOperation=outcome.staging,
    )


def fetch(
    operation: Operation, options: ResultOptions, max_rows: int, max_bytes: int | None = None
) -> tuple[ttypes.TFetchResultsResp, bool]:
    """The next page of at most ``max_rows`` rows, and whether more rows follow it; with
    ``max_bytes`` (the request's maxBytes), also at most that many bytes of Arrow data, one row
    at least, as a Databricks warehouse cuts its pages."""
    if operation.outcome is None:
        raise ValueError("a failed operation has no results to fetch")
    table: pa.Table = operation.outcome.table
    chunk = table.slice(operation.offset, max(1, max_rows))
    if max_bytes and chunk.nbytes > max_bytes:
        chunk = chunk.slice(0, _rows_within(chunk, max_bytes))
    payload = arrow_payload(
        chunk,
        operation.outcome.duck_types,
        decimals=options.decimals,
        complex_types=options.complex_types,
    )
    operation.offset += chunk.num_rows
    more = operation.offset < table.num_rows
    batches = [ttypes.TSparkArrowBatch(batch=data, rowCount=rows) for data, rows in payload.batches]
    result = ttypes.TFetchResultsResp(
        status=OK,
        hasMoreRows=more,
        results=ttypes.TRowSet(
            startRowOffset=operation.offset - chunk.num_rows, rows=[], arrowBatches=batches
        ),
    )
    return result, more


def _rows_within(chunk: pa.Table, max_bytes: int) -> int:
    """How many of ``chunk``'s first rows take at most ``max_bytes`` (one at least)."""
    fits, too_many = 1, chunk.num_rows
    while too_many - fits > 1:
        middle = (fits + too_many) // 2
        if chunk.slice(0, middle).nbytes <= max_bytes:
            fits = middle
        else:
            too_many = middle
    return fits
