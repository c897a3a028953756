"""`IdList("member_id")`: the group's ids as one comma-separated text (NULL for no rows), so that a
short list (a car's drivers) rides along in a column of an outer row instead of costing a query.
Read it back with `id_list_parse`."""

from django.db.models import Aggregate, CharField


class IdList(Aggregate):
    function = "GROUP_CONCAT"  # SQLite (and MySQL): comma-separated by default
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, function="STRING_AGG", template="%(function)s((%(expressions)s)::text, ',')"
        )


def id_list_parse(text: str | None) -> list[int]:
    return [int(part) for part in text.split(",")] if text else []
