"""Throttles on the shared cache: per API client, per address, and failed authentications.

DRF's ``SimpleRateThrottle`` (a sliding window of request times per key, in Django's default
cache: Redis in production, a folder every process shares otherwise), with its rate read from
settings when a request comes (``API_THROTTLE_*``): DRF's ``DEFAULT_THROTTLE_RATES`` is bound
to the class once, at import, so a changed setting would not apply.

A rate is ``N/period``, the period ``s``, ``m`` (``min``), ``h`` or ``d``, optionally a multiple
of it (``20/5m``); an empty rate turns that throttle off.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from .models import ApiClient

if TYPE_CHECKING:
    # Not at run time: rest_framework.views imports this module (DEFAULT_THROTTLE_CLASSES).
    from rest_framework.views import APIView

_RATE = re.compile(r"(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*")
_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``(requests, seconds)`` of a rate such as ``1200/min`` or ``20/5m``."""
    match = _RATE.fullmatch(rate.strip().lower())
    if match is None:
        raise ImproperlyConfigured(
            f"{rate!r} is not a rate: N/period, period s, m, h or d (e.g. 1200/min, 20/5m)"
        )
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _PERIOD_SECONDS[unit]


def client_address(request: HttpRequest | Request) -> str:
    """The caller's address: ``REMOTE_ADDR``, or, with ``REST_FRAMEWORK["NUM_PROXIES"]`` proxies
    in front, the address the outermost of them saw (from ``X-Forwarded-For``, which is ignored
    otherwise: a client could write anything in it)."""
    # DRF's own rule, so that the throttles, the audit log and the admin lockout agree.
    return str(BaseThrottle().get_ident(request) or "")[:100]  # type: ignore[arg-type]


class SettingsRateThrottle(SimpleRateThrottle):
    """A ``SimpleRateThrottle`` whose rate is the setting ``rate_setting``, read per request."""

    rate_setting: str
    num_requests: int | None
    duration: int | None

    def get_rate(self) -> str | None:
        return str(getattr(settings, self.rate_setting) or "") or None

    def parse_rate(self, rate: str | None) -> tuple[int | None, int | None]:
        return parse_rate(rate) if rate else (None, None)

    def key_for(self, ident: object) -> str:
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ClientRateThrottle(SettingsRateThrottle):
    """Authenticated requests, per API client (its id: not its name, not its key)."""

    scope = "client"
    rate_setting = "API_THROTTLE_CLIENT_RATE"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        user = request.user
        return self.key_for(user.pk) if isinstance(user, ApiClient) else None


class AnonymousRateThrottle(SettingsRateThrottle):
    """Requests without a client, per address: the endpoints open to anyone (the OpenAPI
    document and its viewers). Keyed endpoints refuse such requests before any throttle, and
    count them as failed authentications (``FailedAuthenticationThrottle``)."""

    scope = "anonymous"
    rate_setting = "API_THROTTLE_ANONYMOUS_RATE"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.user, ApiClient):
            return None
        return self.key_for(client_address(request))


class FailedAuthenticationThrottle(SettingsRateThrottle):
    """Failed authentications of one address (``API_THROTTLE_FAILED_AUTH_RATE``).

    Not a view throttle: ``ApiKeyAuthentication`` asks ``locked_out()`` before it looks at a key
    (an address over the limit is refused at the cost of one cache read, whatever key it
    sends) and calls ``count_failure()`` for each missing or refused key.
    """

    scope = "failed_auth"
    rate_setting = "API_THROTTLE_FAILED_AUTH_RATE"

    def __init__(self, request: HttpRequest | Request) -> None:
        super().__init__()
        self.key = self.key_for(client_address(request))
        self.now = self.timer()
        self.history = self._recent_failures() if self.duration else []

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.key

    def locked_out(self) -> bool:
        return self.num_requests is not None and len(self.history) >= self.num_requests

    def count_failure(self) -> None:
        if self.duration and self.key is not None:
            self.history.insert(0, self.now)
            self.cache.set(self.key, self.history, self.duration)

    def wait(self) -> float | None:
        """Seconds until the address is below its limit again: the failure that put it over
        it leaves the window (the history is newest first)."""
        if not self.locked_out() or self.duration is None or self.num_requests is None:
            return None
        return self.history[self.num_requests - 1] + self.duration - self.now

    def _recent_failures(self) -> list[Any]:
        assert self.key is not None  # noqa: S101 (set in __init__)
        assert self.duration is not None  # noqa: S101 (the caller checked)
        history: list[Any] = self.cache.get(self.key, [])
        return [moment for moment in history if moment > self.now - self.duration]
