"""What the PostgreSQL benchmarks share."""


def ensure_database(url: str) -> None:
    """Create the benchmark's database when it does not exist yet."""
    import psycopg2

    base, name = url.rsplit("/", 1)
    admin = psycopg2.connect(base + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
