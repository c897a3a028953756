"""`field__any_of=[...]`: `IN (...)` for a long list, as one array parameter on PostgreSQL.

`__in` with 2,000 values writes 2,000 placeholders, which Django, psycopg and PostgreSQL then
each work through for every batch of a campaign; `= ANY(%s)` passes the list as one array. Other
databases get the plain `IN (...)`. Registered on every field when this module is imported.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup


@ForeignObject.register_lookup
@Field.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [self.lhs.output_field.get_prep_value(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if not self.rhs:
            raise EmptyResultSet
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", [*lhs_params, *self.rhs]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if not self.rhs:
            raise EmptyResultSet
        return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]
