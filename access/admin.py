"""Django admin for API clients, their grants and their keys (a new key is shown once)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from .models import ApiClient, ClientKey, Grant
from .services import client_key_rotate, client_webhook_secret_rotate

# Keys live in ClientKey; the package's own model authenticates nobody here, so it is hidden.
admin.site.unregister(APIKey)

ROTATION_GRACE = timedelta(hours=24)


class GrantInline(admin.TabularInline):
    model = Grant
    fields = ["privilege", "securable", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0


class ClientKeyInline(admin.TabularInline):
    model = ClientKey
    fields = ["prefix", "name", "created", "expiry_date", "revoked"]
    readonly_fields = ["prefix", "name", "created"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # a key is made on the API key page or by rotation, which show it once


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "created_at", "grant_list"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    readonly_fields = ["created_at"]
    exclude = ["webhook_secret"]  # shown once, by the rotation action or createapiclient
    inlines = [GrantInline, ClientKeyInline]
    actions = ["rotate_key_now", "rotate_key_with_grace", "rotate_webhook_secret"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiClient]:
        return super().get_queryset(request).prefetch_related("grants")

    @admin.display(description="grants")
    def grant_list(self, client: ApiClient) -> str:
        return "; ".join(f"{g.privilege} ON {g.securable}" for g in client.grants.all()) or "-"

    @admin.action(description="Rotate key: new key, old keys revoked now")
    def rotate_key_now(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        self._rotate(request, queryset, timedelta(0))

    @admin.action(description="Rotate key: new key, old keys expire in 24 hours")
    def rotate_key_with_grace(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        self._rotate(request, queryset, ROTATION_GRACE)

    @admin.action(description="Rotate webhook secret: webhooks are signed with a new secret from now on")
    def rotate_webhook_secret(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            secret = client_webhook_secret_rotate(client=client)
            messages.warning(
                request,
                f"The new webhook secret of {client.name} is: {secret}. Store it somewhere safe: it is "
                "not shown again.",
            )

    def _rotate(self, request: HttpRequest, queryset: QuerySet[ApiClient], grace: timedelta) -> None:
        for client in queryset:
            key, retired = client_key_rotate(client=client, grace=grace)
            when = "revoked" if not grace else "expiring in 24 hours"
            messages.warning(
                request,
                f"The new API key of {client.name} is: {key}. Store it somewhere safe: it is not shown "
                f"again. {retired} old key(s) {when}.",
            )


@admin.register(ClientKey)
class ClientKeyAdmin(APIKeyModelAdmin):
    list_display = (*APIKeyModelAdmin.list_display, "client")  # type: ignore[assignment]
    list_filter = (*APIKeyModelAdmin.list_filter, "client")  # type: ignore[assignment]
    search_fields = (*APIKeyModelAdmin.search_fields, "client__name")  # type: ignore[assignment]
