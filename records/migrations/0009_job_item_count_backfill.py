"""Existing jobs get their item_count from their payload (rows of a write; keys, or bulk items,
of an update or delete; none for filters), a chunk of jobs at a time."""

from django.db import migrations

CHUNK = 200


def item_count(operation, payload):
    if operation == "write":
        return len(payload.get("rows") or [])
    method = payload.get("method")
    if method == "key_value":
        return 1
    if method in ("key_values", "bulk_updates"):
        return len(payload.get(method) or [])
    return None


def backfill(apps, schema_editor):
    Job = apps.get_model("records", "Job")
    pks = list(Job.objects.filter(item_count__isnull=True).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), CHUNK):
        for job in Job.objects.filter(pk__in=pks[start : start + CHUNK]).only("pk", "operation", "payload"):
            count = item_count(job.operation, job.payload or {})
            if count is not None:
                Job.objects.filter(pk=job.pk).update(item_count=count)


class Migration(migrations.Migration):

    dependencies = [
        ("records", "0008_job_item_count"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
