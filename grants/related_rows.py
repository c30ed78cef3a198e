"""A few related rows fetched inside their parent's own query, as one JSON list per
relation, so a detail page does not spend a query on each short list it shows (an
agreement's participants, program areas, source documents). Works on PostgreSQL and
SQLite; use it for lists that stay short, never for a list that can grow with the
record (page those instead)."""

from django.db.models import Aggregate, F, JSONField, Subquery, Value
from django.db.models.functions import JSONObject


class JSONList(Aggregate):
    """The aggregated values as one JSON array: `jsonb_agg` on PostgreSQL,
    `json_group_array` on SQLite."""

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, function="JSON_GROUP_ARRAY", **extra_context
        )


def related_rows(queryset, **fields):
    """A subquery for `annotate()`: every row of `queryset` (filtered on the outer
    row with `OuterRef`) as a JSON object of `fields` (key: field path or
    expression), all in one JSON list. None or [] when there is no row; the order
    is the database's, so sort the list in Python."""
    values = {
        key: F(value) if isinstance(value, str) else value
        for key, value in fields.items()
    }
    rows = (
        queryset.order_by()
        # Grouped on a constant: one list for all the rows.
        .annotate(one_group=Value(1))
        .values("one_group")
        .annotate(rows=JSONList(JSONObject(**values)))
        .values("rows")
    )
    return Subquery(rows, output_field=JSONField())


def instance_from_row(model, row, *, using):
    """A `model` instance from one object of `related_rows` whose keys are the
    model's attnames (`id`, `organization_id`). Fields not fetched are deferred,
    as with `only()`: reading one costs a query, which the page's query-count
    tests would show."""
    fields = [field for field in model._meta.concrete_fields if field.attname in row]
    if len(fields) != len(row):
        unknown = set(row) - {field.attname for field in fields}
        raise ValueError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    # Model.from_db (documented) rather than model(**row): neither queries, but here
    # a field not fetched is deferred (read when used), not silently its default.
    return model.from_db(
        using,
        [field.attname for field in fields],
        [field.to_python(row[field.attname]) for field in fields],
    )
