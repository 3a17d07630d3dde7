"""Which ``callback_url`` a request may name: https (http only where a setting allows it, for
local testing) to a host in RECORDS_WEBHOOK_ALLOWED_HOSTS, so that the service can never be
aimed at an address of its own network by a client."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def callback_url_problem(url: str) -> str | None:
    """Why ``url`` may not receive webhooks, or None."""
    parts = urlsplit(url)
    schemes = ("https", "http") if settings.RECORDS_WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in schemes:
        return "callback_url must be an https URL" + (
            "" if settings.RECORDS_WEBHOOK_ALLOW_HTTP else " (RECORDS_WEBHOOK_ALLOW_HTTP allows http)"
        )
    if parts.username or parts.password:
        return "callback_url may not carry credentials"
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        return "callback_url has no host"
    if not host_allowed(host, settings.RECORDS_WEBHOOK_ALLOWED_HOSTS):
        return f"callback_url host {host!r} is not in RECORDS_WEBHOOK_ALLOWED_HOSTS"
    return None


def host_allowed(host: str, allowed: list[str]) -> bool:
    """``host`` is listed, or a subdomain of a listed ``.domain`` (as Django's ALLOWED_HOSTS)."""
    for entry in (a.strip().lower() for a in allowed):
        if entry.startswith(".") and (host == entry[1:] or host.endswith(entry)):
            return True
        if host == entry:
            return True
    return False
