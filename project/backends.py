"""The admin login's lockout (django-axes), as the first of ``AUTHENTICATION_BACKENDS``."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LoginLockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out login (``AXES_*`` settings); authenticates no one itself.

    axes raises for an ``authenticate()`` that carries no request (Django's test client
    ``login()``, code that checks a password): such a call has no address to lock out and comes
    from no login form, so it passes to the next backend instead.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return
        super().authenticate(request, username, password, **kwargs)
