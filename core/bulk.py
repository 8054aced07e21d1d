"""Many rows, each with its own values, updated in one statement.

Django's `bulk_update` builds a CASE expression per field and row, which costs milliseconds per
row in Python; the SLA jobs update thousands of rows a batch. On PostgreSQL this is one
`UPDATE ... FROM (VALUES ...)`; elsewhere (SQLite in development) an executemany.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Model

# Values of these fields go to the driver as they are (the ORM's per-value preparation is a
# no-op for them and cost a third of a 5,000-row batch); any other field is prepared.
_PLAIN = (models.BooleanField, models.IntegerField, models.CharField, models.TextField)


def bulk_set(objects: Sequence[Model], fields: Sequence[str], *, also: str = "") -> None:
    """Write `fields` of every object (all of one model) by primary key.

    `also` is an extra constant SQL assignment for every row, e.g. `"stale = false"`.
    """
    if not objects:
        return
    model = type(objects[0])
    attnames = [model._meta.get_field(name).attname for name in fields]
    rows = [[getattr(obj, name) for name in attnames] + [obj.pk] for obj in objects]
    bulk_set_rows(model, fields, rows, also=also)


def bulk_set_rows(
    model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]], *, also: str = ""
) -> None:
    """The same from plain rows: each is the values of `fields` in order, then the primary key."""
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    prepared = [i for i, column in enumerate(columns) if not _is_plain(column)]
    values = []
    for row in rows:
        row = list(row)
        for i in prepared:
            row[i] = columns[i].get_db_prep_save(row[i], connection)
        values.append(row)
    if not values:
        return
    table = connection.ops.quote_name(meta.db_table)
    names = [connection.ops.quote_name(column.column) for column in columns]
    pk = connection.ops.quote_name(meta.pk.column)
    extra = f", {also}" if also else ""
    # Only quoted identifiers from the model's metadata and the caller's constant `also` are
    # formatted into the SQL; every value travels as a parameter.
    set_clause = ", ".join(f"{name} = v.{name}" for name in names) + extra
    query = f"UPDATE {table} AS t SET {set_clause} FROM (VALUES %s) AS v({', '.join(names)}, pk)"  # noqa: S608 - model identifiers only, values bound  # nosec B608
    assignments = ", ".join(f"{name} = %s" for name in names) + extra
    fallback = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608 - model identifiers only, values bound  # nosec B608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            casts = [f"%s::{column.db_type(connection)}" for column in columns]
            pk_type = meta.pk.db_type(connection) or "bigint"
            execute_values(
                cursor.cursor,
                f"{query} WHERE t.{pk} = v.pk",
                values,
                template="(" + ", ".join([*casts, f"%s::{pk_type}"]) + ")",
                page_size=1000,
            )
        else:
            cursor.executemany(fallback, values)


def _is_plain(field: models.Field) -> bool:
    # A foreign key's column holds the target's id; DateTimeFields are prepared (naive values
    # are made aware or rejected there), as is JSON.
    if field.is_relation:
        return isinstance(field.target_field, _PLAIN)
    return isinstance(field, _PLAIN)
