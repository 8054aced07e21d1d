"""Many rows, each with its own values, updated in one statement.

Django's `bulk_update` builds a CASE expression per field and row, which costs milliseconds per
row in Python; the SLA jobs update thousands of rows a batch. On PostgreSQL this is one
`UPDATE ... FROM (VALUES ...)`; elsewhere (SQLite in development) an executemany.
"""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def bulk_set(objects: Sequence[Model], fields: Sequence[str], *, also: str = "") -> None:
    """Write `fields` of every object (all of one model) by primary key.

    `also` is an extra constant SQL assignment for every row, e.g. `"stale = false"`.
    """
    if not objects:
        return
    meta = type(objects[0])._meta
    columns = [meta.get_field(name) for name in fields]
    rows = [
        [column.get_db_prep_save(getattr(obj, column.attname), connection) for column in columns]
        + [obj.pk]
        for obj in objects
    ]
    table = connection.ops.quote_name(meta.db_table)
    names = [connection.ops.quote_name(column.column) for column in columns]
    extra = f", {also}" if also else ""
    # Only quoted identifiers from the model's metadata and the caller's constant `also` are
    # formatted into the SQL; every value travels as a parameter.
    set_clause = ", ".join(f"{name} = v.{name}" for name in names) + extra
    query = f"UPDATE {table} AS t SET {set_clause} FROM (VALUES %s) AS v({', '.join(names)}, pk)"  # noqa: S608
    assignments = ", ".join(f"{name} = %s" for name in names) + extra
    fallback = f"UPDATE {table} SET {assignments} WHERE id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            casts = [f"%s::{column.db_type(connection)}" for column in columns]
            pk_type = meta.pk.db_type(connection) or "bigint"
            execute_values(
                cursor.cursor,
                f"{query} WHERE t.id = v.pk",
                rows,
                template="(" + ", ".join([*casts, f"%s::{pk_type}"]) + ")",
                page_size=1000,
            )
        else:
            cursor.executemany(fallback, rows)
