"""Refuse a back-office request whose path or query string holds a NUL byte, before the admin reads it.

PostgreSQL refuses NUL in text, and the admin passes list filters and text primary keys (django-q
tasks) straight to a query: those answered 500 there instead of 400. The counter and the portal parse
their input with forms and answer such text themselves.
"""

from django.core.exceptions import BadRequest
from django.urls import reverse


class RejectNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(reverse("admin:index")) and (
            "\x00" in request.path
            or any(
                "\x00" in key or any("\x00" in value for value in values)
                for key, values in request.GET.lists()
            )
        ):
            raise BadRequest("NUL byte in the URL")
        return self.get_response(request)
