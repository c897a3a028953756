"""Refuse a back-office list action whose selected ids are not ids of that list's model.

The admin hands `_selected_action` straight to `filter(pk__in=…)`: a tampered value ("abc" for an
integer key, a NUL byte for a text key) raised inside the action and answered 500. Each value is
checked with the model's own primary-key field, so integer and text keys (django-q tasks) both work.
"""

from django.core.exceptions import BadRequest, ValidationError


class RejectMalformedAdminSelectionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        model_admin = getattr(view_func, "model_admin", None)  # set on every ModelAdmin view
        if model_admin is None or request.method != "POST" or "_selected_action" not in request.POST:
            return None
        pk = model_admin.model._meta.pk
        for value in request.POST.getlist("_selected_action"):
            try:
                if "\x00" in value:
                    raise ValidationError("NUL byte")
                pk.clean(value, None)
            except ValidationError as exc:
                raise BadRequest("malformed selection") from exc
        return None
