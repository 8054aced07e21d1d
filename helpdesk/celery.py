"""The Celery app (`helpdesk.celery:app`): worker and beat for every background job."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk", task_cls="accounts.tasks_base:TenantTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_filesystem_queue(sender: Celery, **kwargs) -> None:
    # kombu's filesystem transport (embedded mode, no Redis) expects its folders to exist.
    options = sender.conf.broker_transport_options or {}
    for name in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(name):
            Path(options[name]).mkdir(parents=True, exist_ok=True)
