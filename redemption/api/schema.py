"""OpenAPI details drf-spectacular cannot infer: the bearer scheme, the documented problems, and one
language for the whole document."""

from django.utils import translation
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from .idempotency import HEADER, MAX_KEY_LENGTH
from .problems import PROBLEM_CONTENT_TYPE
from .serializers import ProblemSerializer

# Code generators turn titles and enum names into identifiers, so the schema must not follow the
# request's language (docs/api.md, "The schema"): it is generated in English for every request,
# `?lang=` and the `spectacular --lang` command included.
SCHEMA_LANGUAGE = "en"


class EnglishSchemaGenerator(SchemaGenerator):
    def get_schema(self, request=None, public=False):
        with translation.override(SCHEMA_LANGUAGE):
            return super().get_schema(request=request, public=public)


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "redemption.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A partner API key: `Authorization: Bearer svk_…` (create with `create_api_key`).",
        }


# Every authenticated endpoint can answer these.
COMMON = {
    400: ["validation_error"],
    401: ["not_authenticated"],
    403: ["permission_denied"],
    406: ["not_acceptable"],
    429: ["rate_limited"],
}
POST_COMMON = {**COMMON, 413: ["payload_too_large"], 415: ["unsupported_media_type"]}


def problems(*, post: bool = False, public: bool = False, **by_status: list[str]) -> dict:
    """Response entries for each error status with the codes it may carry, e.g. `_409=[...]`."""
    merged: dict[int, list[str]] = {}
    base = POST_COMMON if post else COMMON
    if public:
        base = {406: ["not_acceptable"]}
    for source in (base, {int(k.lstrip("_")): v for k, v in by_status.items()}):
        for status, codes in source.items():
            merged.setdefault(status, [])
            merged[status] += [c for c in codes if c not in merged[status]]
    return {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            ProblemSerializer,
            description="Problem (RFC 9457). code: " + ", ".join(f"`{c}`" for c in codes),
        )
        for status, codes in sorted(merged.items())
    }


def idempotency_header(*, required: bool) -> OpenApiParameter:
    return OpenApiParameter(
        HEADER,
        str,
        OpenApiParameter.HEADER,
        required=required,
        description=(
            f"1-{MAX_KEY_LENGTH} visible ASCII characters, new for each operation (e.g. a UUID). A retry "
            "with the same key and body replays the first response; with another body it answers 422."
        ),
    )


class PartnerAutoSchema(AutoSchema):
    """Finds list views by their success response, not by the problem responses keyed (status, type)."""

    def _is_list_view(self, serializer=None) -> bool:
        if serializer is None:
            responses = self.get_response_serializers()
            if isinstance(responses, dict):
                success = [s for code, s in responses.items() if not isinstance(code, tuple)]
                serializer = success[0] if success else None
                if serializer is None:
                    return False
                return super()._is_list_view(serializer)
        return super()._is_list_view(serializer)
