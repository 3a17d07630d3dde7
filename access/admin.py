"""Django admin for API clients and their keys (a new key is shown once, on save)."""

from __future__ import annotations

from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from .models import ApiClient, ClientKey

# Keys live in ClientKey; the package's own model authenticates nobody here, so it is hidden.
admin.site.unregister(APIKey)


class ClientKeyInline(admin.TabularInline):
    model = ClientKey
    fields = ["prefix", "name", "created", "expiry_date", "revoked"]
    readonly_fields = ["prefix", "name", "created"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False  # a key is made on the API key page, which shows it once


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    readonly_fields = ["created_at"]
    inlines = [ClientKeyInline]


@admin.register(ClientKey)
class ClientKeyAdmin(APIKeyModelAdmin):
    list_display = (*APIKeyModelAdmin.list_display, "client")  # type: ignore[assignment]
    list_filter = (*APIKeyModelAdmin.list_filter, "client")  # type: ignore[assignment]
    search_fields = (*APIKeyModelAdmin.search_fields, "client__name")  # type: ignore[assignment]
