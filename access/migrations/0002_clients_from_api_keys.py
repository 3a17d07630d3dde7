"""One ApiClient per distinct name of the keys issued before clients existed, and those keys
moved to ClientKey unchanged (same id, prefix and hash, so every issued key keeps working)."""

from django.db import migrations

KEY_FIELDS = ("id", "prefix", "hashed_key", "created", "name", "revoked", "expiry_date")


def keys_to_clients(apps, schema_editor):
    APIKey = apps.get_model("rest_framework_api_key", "APIKey")
    ApiClient = apps.get_model("access", "ApiClient")
    ClientKey = apps.get_model("access", "ClientKey")
    for old in APIKey.objects.order_by("created"):
        # A name with only revoked keys still names a client: its jobs stay its own.
        client, _ = ApiClient.objects.get_or_create(name=old.name)
        ClientKey.objects.create(client=client, **{field: getattr(old, field) for field in KEY_FIELDS})
    APIKey.objects.all().delete()


def clients_to_keys(apps, schema_editor):
    APIKey = apps.get_model("rest_framework_api_key", "APIKey")
    ClientKey = apps.get_model("access", "ClientKey")
    for key in ClientKey.objects.all():
        APIKey.objects.create(**{field: getattr(key, field) for field in KEY_FIELDS})


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_clients"),
        ("rest_framework_api_key", "0005_auto_20220110_1102"),
    ]

    operations = [migrations.RunPython(keys_to_clients, clients_to_keys)]
