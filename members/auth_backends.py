"""How Django loads the signed-in user on every request."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from config.compiled_query import compiled_queryset


def _user_with_role(user_id):
    return get_user_model()._default_manager.select_related("dealer_staff__dealer").filter(pk=user_id)[:1]


class StaffModelBackend(ModelBackend):
    """Django's ModelBackend, loading the user's dealer role (`DealerStaff` and its dealer) in the
    same query as the user.

    Every counter request needs the role to scope its work to the advisor's dealer; read with the
    user it costs a join instead of a second query, and it is as fresh as the user row itself (read
    on every request, never cached), so a role removed or a dealer deactivated counts at once. Its
    SQL is compiled once per process (`config.compiled_query`): only the user's id changes.
    """

    def get_user(self, user_id):
        user = next(iter(compiled_queryset(_user_with_role, _user_with_role, user_id=user_id)), None)
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None
