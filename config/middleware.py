"""Refuse a request whose path or query string holds a NUL byte, before any view reads it.

No page takes one, and PostgreSQL refuses NUL in text: admin list filters and text primary keys
(django-q tasks) passed it straight to a query, which answered 500 there instead of 400.
"""

from django.core.exceptions import BadRequest


class RejectNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            raise BadRequest("NUL byte in the URL")
        return self.get_response(request)
