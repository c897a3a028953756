from django.db.models import Case, IntegerField, Value, When


class PendingFirstMixin:
    """Queues: undecided rows first, then the decided ones, newest first."""

    pending_value = "pending"

    def get_queryset(self, request):
        # Annotate before ordering (ModelAdmin.get_queryset orders first and would not find the name).
        queryset = self.model._default_manager.get_queryset().annotate(
            pending_first=Case(
                When(status=self.pending_value, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        return ["pending_first", "-created_at", "-pk"]
