"""Existing log rows name their client by id where a client of that name exists."""

from django.db import migrations


def rows_to_clients(apps, schema_editor):
    ApiClient = apps.get_model("access", "ApiClient")
    ApiLog = apps.get_model("audit", "ApiLog")
    for client in ApiClient.objects.all():
        ApiLog.objects.filter(client__isnull=True, user=client.name).update(client=client)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_apilog_client"),
        ("records", "0003_jobs_to_clients"),
    ]

    operations = [migrations.RunPython(rows_to_clients, migrations.RunPython.noop)]
