"""Section 8 of CONTRACT: a clock choice per metric (copied from the one flag), the outside-hours
first response, update cadence, empty resolution, channel targets, and the clock's channel."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


METRICS = ("first_response", "next_response", "update", "resolution")


def copy_flag(apps, schema_editor):
    Target = apps.get_model("sla", "Target")
    Target._base_manager.filter(around_the_clock=True).update(
        **{f"{metric}_around_the_clock": True for metric in METRICS}
    )


def copy_back(apps, schema_editor):
    # Backwards: a target counts around the clock when its first response did (the one flag
    # cannot hold a mixed choice).
    Target = apps.get_model("sla", "Target")
    Target._base_manager.filter(first_response_around_the_clock=True).update(
        around_the_clock=True
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_tenant_require_staff_2fa'),
        ('sla', '0007_supportplan_includes_chat'),
    ]

    operations = [
        migrations.AddField(
            model_name='clock',
            name='channel',
            field=models.CharField(blank=True, db_default='', default='', max_length=16),
        ),
        migrations.AddField(
            model_name='target',
            name='first_response_around_the_clock',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='target',
            name='next_response_around_the_clock',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='target',
            name='outside_hours_first_response_minutes',
            field=models.PositiveIntegerField(blank=True, help_text='First response for tickets created outside business hours, around the clock. Empty: the usual first response.', null=True, validators=[django.core.validators.MinValueValidator(1)]),
        ),
        migrations.AddField(
            model_name='target',
            name='resolution_around_the_clock',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='target',
            name='update_around_the_clock',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='target',
            name='update_minutes',
            field=models.PositiveIntegerField(blank=True, help_text='Empty: none.', null=True, validators=[django.core.validators.MinValueValidator(1)]),
        ),
        # Each metric gets the choice the target's one flag made for all of them: every clock
        # keeps its deadlines (issue 12: behaviour unchanged for existing plans).
        migrations.RunPython(copy_flag, copy_back, elidable=False),
        migrations.RemoveField(
            model_name='target',
            name='around_the_clock',
        ),
        migrations.AlterField(
            model_name='clock',
            name='metric',
            field=models.CharField(choices=[('first_response', 'First response'), ('next_response', 'Next response'), ('resolution', 'Resolution'), ('chat_first_response', 'Chat first response'), ('update', 'Update')], max_length=32),
        ),
        migrations.AlterField(
            model_name='target',
            name='resolution_minutes',
            field=models.PositiveIntegerField(blank=True, help_text='Empty: none.', null=True, validators=[django.core.validators.MinValueValidator(1)]),
        ),
        migrations.CreateModel(
            name='ChannelTarget',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(choices=[('email', 'Email'), ('chat', 'Chat (offline message)'), ('phone', 'Phone'), ('web', 'Web form')], max_length=16)),
                ('first_response_minutes', models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1)])),
                ('around_the_clock', models.BooleanField(default=False, help_text="Count every minute, not only the calendar's business hours.")),
                ('priorities', models.JSONField(default=list)),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='channel_targets', to='sla.supportplan')),
                ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.tenant')),
            ],
            options={
                'ordering': ['plan', 'channel'],
                'constraints': [models.UniqueConstraint(fields=('tenant', 'plan', 'channel'), name='sla_channel_target_unique', violation_error_message='This plan already has a target for that channel.')],
            },
        ),
    ]
