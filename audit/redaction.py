"""Keep secrets out of the log: secret-looking JSON keys, credential patterns, the caller's key,
any key this service issues, Databricks tokens and passwords in URLs."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from typing import Any

from common.parsers import load_json

REDACTED = "[REDACTED]"

# A JSON key whose name contains one of these (case-insensitive) has its value replaced.
_SECRET_KEY = re.compile(r"key|token|secret|passw|authorization|credential|cookie|session", re.IGNORECASE)
# Fields of the records API contract that match the pattern but name data, not secrets.
_CONTRACT_FIELDS = frozenset({"key_column", "key_value", "key_values"})
# "Api-Key abc", "Bearer abc", "Token abc", "Basic abc": the scheme stays, the credential goes.
_CREDENTIAL = re.compile(r"\b(Api-Key|Bearer|Token|Basic)(\s+)[^\s\"',;]+", re.IGNORECASE)
# Shapes of secrets wherever they appear, whoever's they are: a key this service issues
# (djangorestframework-api-key's 8-character prefix, a dot, 32 characters), a Databricks
# personal access token, and the password of a URL (``redis://:pw@``, ``postgres://u:pw@``).
_SERVICE_KEY = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}(?![A-Za-z0-9])")
_DATABRICKS_TOKEN = re.compile(r"(?<![A-Za-z0-9])dapi[0-9a-f]{32}(?:-[0-9]+)?(?![A-Za-z0-9])")
# A JSON object's member name (and its colon), found in text that does not parse.
_JSON_NAME = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*')
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@\"']*:)[^\s@/\"']+(@)")


def redact_value(value: Any) -> Any:
    """``value`` with every secret-looking key's value replaced, recursively."""
    if isinstance(value, dict):
        return {key: REDACTED if _is_secret_key(key) else redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    return value


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without credential patterns or any of the literal ``secrets``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _CREDENTIAL.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _SERVICE_KEY.sub(REDACTED, text)
    text = _DATABRICKS_TOKEN.sub(REDACTED, text)
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(2)}", text)


def redact_body(body: Any, secrets: Iterable[str] = (), limit: int = 5000) -> str:
    """A request body (parsed data, text or bytes) as redacted text of at most ``limit`` characters."""
    if isinstance(body, bytes | bytearray):
        body = bytes(body).decode("utf-8", errors="replace")
    if isinstance(body, str):
        # Not JSON, or nested too deep to walk: only the text patterns apply.
        with contextlib.suppress(ValueError):
            body = load_json(body, parse_constant=None) if body.strip() else ""
    if not isinstance(body, str):
        body = redacted_json(body, limit + _MARGIN)
    # The margin lets a secret that starts before the limit be recognised whole.
    return redact_text(body[: limit + _MARGIN], secrets)[:limit]


# Characters beyond the limit written and redacted before the cut (longer than any key shape).
_MARGIN = 256


class _Full(Exception):
    """The JSON text reached its budget."""


def redacted_json(value: Any, budget: int) -> str:
    """``json.dumps(redact_value(value), ensure_ascii=False, default=str)``, stopped once about
    ``budget`` characters are written: a 3-million-value body costs what its first lines do,
    not a walk and a copy of all of it."""
    parts: list[str] = []
    size = 0

    def emit(text: str) -> None:
        nonlocal size
        parts.append(text)
        size += len(text)
        if size >= budget:
            raise _Full

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            emit("{")
            for index, (key, member) in enumerate(item.items()):
                emit(
                    ("" if index == 0 else ", ")
                    + _scalar(key if isinstance(key, str) else str(key), budget)
                    + ": "
                )
                if _is_secret_key(key):
                    emit(_scalar(REDACTED, budget))
                else:
                    walk(member)
            emit("}")
        elif isinstance(item, list | tuple):
            emit("[")
            for index, member in enumerate(item):
                if index:
                    emit(", ")
                walk(member)
            emit("]")
        else:
            emit(_scalar(item, budget))

    with contextlib.suppress(_Full):
        walk(value)
    return "".join(parts)


def _scalar(value: Any, budget: int) -> str:
    if isinstance(value, str) and len(value) > budget:
        value = value[:budget]  # only its start can be logged
    return json.dumps(value, ensure_ascii=False, default=str)


def redact_json_text(text: str) -> str:
    """JSON text that no longer parses (a body cut short): the value of each secret-looking
    ``"name":`` replaced, up to the end of that value, or of the text where the cut came first."""
    parts: list[str] = []
    position = 0
    for match in _JSON_NAME.finditer(text):
        if match.start() < position or not _is_secret_key(match.group(1)):
            continue
        parts += [text[position : match.end()], f'"{REDACTED}"']
        position = _json_value_end(text, match.end())
    return "".join([*parts, text[position:]])


def _json_value_end(text: str, start: int) -> int:
    """Where the JSON value that starts at ``start`` ends; ``len(text)`` if it is cut short."""
    depth, in_string, index = 0, False, start
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
                if depth == 0:
                    return index + 1
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth <= 0:
                return index + 1 if depth == 0 else index
        elif depth == 0 and (char == "," or (char.isspace() and index > start)):
            return index
        index += 1
    return len(text)


def _is_secret_key(key: Any) -> bool:
    return isinstance(key, str) and key.lower() not in _CONTRACT_FIELDS and bool(_SECRET_KEY.search(key))
