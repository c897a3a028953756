"""What every partner endpoint shares: key authentication, scopes, rate limit, JSON only,
problem+json errors, and idempotent POSTs."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer

from redemption.partner_models import ApiKey

from ..authentication import ApiKeyAuthentication
from ..idempotency import (
    HEADER,
    Replay,
    fingerprint,
    idempotency_begin,
    idempotency_complete,
    idempotency_release,
    key_refusal,
    service_key,
    should_store,
)
from ..permissions import HasScope
from ..problems import PAYLOAD_TOO_LARGE, Problem, invalid, problem_exception_handler
from ..schema import PartnerAutoSchema
from ..throttling import ApiKeyRateThrottle


class ProblemView(GenericAPIView):
    """Any API view whose errors are problem+json and which speaks JSON only."""

    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    schema = PartnerAutoSchema()
    # Lists are paginated only where a view says so; OPTIONS is not offered (405, like any
    # undocumented method): partners are servers, and the schema describes every operation.
    pagination_class = None
    metadata_class = None

    def get_exception_handler(self):
        return problem_exception_handler

    def initial(self, request, *args, **kwargs):
        # DRF reads the body from the stream, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise Problem(413, PAYLOAD_TOO_LARGE, gettext("The request body is too large."))
        super().initial(request, *args, **kwargs)


class PartnerView(ProblemView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [ApiKeyRateThrottle]
    required_scope: str | None = None
    # POST only: whether a request without an Idempotency-Key is refused (400).
    idempotency_required = False

    @property
    def api_key(self) -> ApiKey:
        return self.request.auth

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        rate = getattr(request, "rate_limit", None)
        if rate is not None:
            response["RateLimit-Limit"] = str(rate[0])
            response["RateLimit-Remaining"] = str(rate[1])
        return response

    def idempotent(self, request, run: Callable[[str | None], HttpResponse]) -> HttpResponse:
        """Run `run(service_idempotency_key)` at most once per Idempotency-Key; replay its response."""
        key = request.headers.get(HEADER)
        if key is None:
            if self.idempotency_required:
                raise invalid(
                    gettext("This request needs an Idempotency-Key header, e.g. a new UUID per operation."),
                    header=HEADER,
                    code="required",
                )
            return run(None)
        refusal = key_refusal(key)
        if refusal:
            raise invalid(refusal, header=HEADER, code="invalid")
        path = request.get_full_path()
        claim = idempotency_begin(
            api_key=self.api_key,
            key=key,
            fingerprint=fingerprint(method=request.method, path=path, body=request.data),
            method=request.method,
            path=path,
        )
        if isinstance(claim, Replay):
            replay = HttpResponse(claim.body, status=claim.status, content_type=claim.content_type)
            replay["Idempotent-Replayed"] = "true"
            return replay
        try:
            try:
                response = run(service_key(self.api_key, key))
            except Exception as exc:
                response = self.handle_exception(exc)
            response = self.finalize_response(request, response)
            response.render()
        except BaseException:
            idempotency_release(claim)
            raise
        if should_store(response.status_code):
            idempotency_complete(
                claim,
                status=response.status_code,
                content_type=response["Content-Type"],
                body=response.content.decode(),
            )
        else:
            idempotency_release(claim)
        return response
