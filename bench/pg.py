"""What the PostgreSQL benchmarks share."""


def ensure_database(url: str) -> None:
    """Create the benchmark's database when it does not exist yet.

    Refuses any database whose name lacks "bench": the benchmarks fill, reset and delete rows.
    """
    import psycopg2

    if not url.startswith("postgres") or "bench" not in url.rsplit("/", 1)[1]:
        raise SystemExit(f"DATABASE_URL must name a PostgreSQL 'bench' database: {url}")

    base, name = url.rsplit("/", 1)
    admin = psycopg2.connect(base + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def purge_broker() -> None:
    """No worker runs in a bench: drop the relay nudges queued after commit."""
    from helpdesk.celery import app

    try:
        purged = app.control.purge()
    except Exception as error:  # a bench must still print its figures
        print(f"(could not purge the Celery queue: {error})")
    else:
        print(f"(purged {purged:,} outbox relay nudges from the Celery queue; no worker runs)")
