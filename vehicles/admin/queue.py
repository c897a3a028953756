from django.db.models import Case, IntegerField, Value, When


class PendingFirstMixin:
    """Queues: undecided rows first (oldest waiting first), then the decided ones, newest first."""

    pending_value = "pending"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                pending_first=Case(
                    When(status=self.pending_value, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
        )

    def get_ordering(self, request):
        return ["pending_first", "-created_at", "-pk"]
