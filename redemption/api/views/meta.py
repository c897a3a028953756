"""Public API pages: the problem types (what each `type` URI names), the schema and its docs, and a
problem+json 404 for every other path under /api/."""

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from ..problems import catalogue, problem_exception_handler, problem_title
from ..schema import SCHEMA_LANGUAGE, problems
from ..serializers import ProblemTypeSerializer
from .base import ProblemView


def _entry(code: str) -> dict:
    return {"code": code, "status": catalogue()[code].status, "title": problem_title(code)}


class PublicView(ProblemView):
    authentication_classes = []
    permission_classes = []
    throttle_classes = []


class ProblemTypeListView(PublicView):
    @extend_schema(
        operation_id="problems_list",
        summary="Every error code",
        description="The stable error codes with their HTTP status and title in the request's language.",
        tags=["errors"],
        auth=[],
        responses={200: ProblemTypeSerializer(many=True), **problems(public=True)},
    )
    def get(self, request):
        return Response([_entry(code) for code in catalogue()])


class ProblemTypeDetailView(PublicView):
    @extend_schema(
        operation_id="problems_retrieve",
        summary="One error code (the `type` URI of a problem)",
        tags=["errors"],
        auth=[],
        responses={200: ProblemTypeSerializer, **problems(public=True, _404=["not_found"])},
    )
    def get(self, request, code: str):
        if code not in catalogue():
            raise NotFound()
        return Response(_entry(code))


class ApiNotFoundView(PublicView):
    """Any other path under /api/: a problem, never Django's HTML page."""

    schema = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound()


class _ProblemErrors:
    def get_exception_handler(self):
        return problem_exception_handler


class SchemaView(_ProblemErrors, SpectacularAPIView):
    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Language"] = SCHEMA_LANGUAGE  # not the request's (LocaleMiddleware's default)
        return response


class SwaggerView(_ProblemErrors, SpectacularSwaggerView):
    pass


class RedocView(_ProblemErrors, SpectacularRedocView):
    pass
