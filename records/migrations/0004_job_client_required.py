import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0003_jobs_to_clients'),
    ]

    operations = [
        migrations.AlterField(
            model_name='job',
            name='client',
            field=models.ForeignKey(help_text='The API client that submitted it.', on_delete=django.db.models.deletion.PROTECT, related_name='jobs', to='access.apiclient'),
        ),
        migrations.AlterField(
            model_name='job',
            name='principal',
            field=models.CharField(db_index=True, help_text="The client's name when it submitted: written to *_by.", max_length=255),
        ),
        migrations.AddConstraint(
            model_name='job',
            constraint=models.UniqueConstraint(condition=models.Q(('idempotency_key__isnull', False)), fields=('client', 'idempotency_key'), name='records_job_idempotency_key'),
        ),
    ]
