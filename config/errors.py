"""The base of every domain error: a stable machine-readable code and a translatable message.

Interfaces (views, admin, API, commands) catch DomainError and show `message` in the user's
language; the API also returns `code`. Each app defines its errors in its own `exceptions.py`.
"""

from django.utils.functional import Promise


class DomainError(Exception):
    code: str = "domain_error"
    default_message: str | Promise = "The request could not be carried out."
    # HTTP status the partner API answers with; the pages show the message instead.
    http_status: int = 409
    # A short summary of this kind of refusal, the same on every occurrence: the `title` of the API's
    # problem type (its catalogue at /api/problems/ is built from these classes).
    title: str | Promise | None = None

    def __init__(self, message: str | Promise | None = None, *, code: str | None = None, **params):
        self.params = params
        if code is not None:
            self.code = code
        self._message = message if message is not None else self.default_message
        super().__init__(self.code)

    @property
    def message(self) -> str:
        text = str(self._message)
        return text % self.params if self.params else text

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
