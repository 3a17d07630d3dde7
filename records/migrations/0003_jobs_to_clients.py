"""Existing jobs get their client (by principal name). A migration of its own: PostgreSQL
refuses to ALTER a table with pending foreign-key checks in the same transaction."""

from django.db import migrations

def jobs_to_clients(apps, schema_editor):
    """Each job belongs to the client of its principal's name (an inactive one if none is left)."""
    ApiClient = apps.get_model("access", "ApiClient")
    Job = apps.get_model("records", "Job")
    for name in Job.objects.filter(client__isnull=True).order_by().values_list("principal", flat=True).distinct():
        client, _ = ApiClient.objects.get_or_create(name=name, defaults={"is_active": False})
        Job.objects.filter(client__isnull=True, principal=name).update(client=client)

class Migration(migrations.Migration):

    dependencies = [
        ('records', '0002_job_client'),
    ]

    operations = [migrations.RunPython(jobs_to_clients, migrations.RunPython.noop)]
