from django.db import migrations, models

import access.models


def give_each_client_its_own_secret(apps, schema_editor):  # type: ignore[no-untyped-def]
    # A callable default is evaluated once for the rows a migration adds the column to.
    ApiClient = apps.get_model("access", "ApiClient")
    for client in ApiClient.objects.all():
        client.webhook_secret = access.models.webhook_secret_new()
        client.save(update_fields=["webhook_secret"])


class Migration(migrations.Migration):
    dependencies = [("access", "0003_grants")]

    operations = [
        migrations.AddField(
            model_name="apiclient",
            name="webhook_secret",
            field=models.CharField(
                default=access.models.webhook_secret_new,
                help_text="Signs this client's completion webhooks (Standard Webhooks, whsec_ + base64).",
                max_length=64,
            ),
        ),
        migrations.RunPython(give_each_client_its_own_secret, migrations.RunPython.noop),
    ]
