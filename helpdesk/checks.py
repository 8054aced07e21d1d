"""System checks on how the installation is configured (run by `manage.py check`, also at the
start of `migrate` and the servers)."""

from django.conf import settings
from django.core.checks import Warning, register


@register()
def database_connections_fit(app_configs=None, **kwargs) -> list[Warning]:
    """Every process's pool within its share of PostgreSQL's max_connections (settings.py says
    how the total is counted): past it, PostgreSQL refuses clients under load, not at start."""
    pool = settings.DATABASES["default"].get("POOL_OPTIONS")
    if not pool:
        return []  # SQLite: no pool, no server-side limit
    per_process = pool["POOL_SIZE"] + pool["MAX_OVERFLOW"]
    share = (settings.DATABASE_MAX_CONNECTIONS - 3) // settings.DATABASE_PROCESSES
    if per_process <= share:
        return []
    total = per_process * settings.DATABASE_PROCESSES
    return [
        Warning(
            f"Up to {total} PostgreSQL connections ({settings.DATABASE_PROCESSES} processes x "
            f"{per_process} each) against max_connections={settings.DATABASE_MAX_CONNECTIONS} "
            f"(3 reserved): one process's pool ({per_process}) exceeds its share ({share}).",
            hint="Lower DATABASE_POOL_SIZE/DATABASE_POOL_OVERFLOW, WEB_CONCURRENCY or "
            "CELERY_WORKER_CONCURRENCY, or raise PostgreSQL's max_connections and say so in "
            "DATABASE_MAX_CONNECTIONS (README, Configuration).",
            id="helpdesk.W001",
        )
    ]
