"""What every partner endpoint shares: key authentication, scopes, rate limit, JSON only,
problem+json errors, and idempotent POSTs."""

from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from redemption.partner_models import ApiKey

from ..authentication import ApiKeyAuthentication
from ..idempotency import (
    HEADER,
    Replay,
    fingerprint,
    idempotency_begin,
    idempotency_complete,
    idempotency_release,
    idempotency_store,
    idempotency_taken,
    key_refusal,
    service_key,
    should_store,
)
from ..negotiation import SingleRendererNegotiation
from ..permissions import HasScope
from ..problems import PAYLOAD_TOO_LARGE, Problem, invalid, problem_exception_handler
from ..schema import PartnerAutoSchema
from ..throttling import ApiKeyRateThrottle


class ProblemView(GenericAPIView):
    """Any API view whose errors are problem+json and which speaks JSON only."""

    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    content_negotiation_class = SingleRendererNegotiation
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

    def _idempotency_key(self, request) -> str | None:
        """The request's Idempotency-Key; 400 when it is malformed, or missing where required."""
        key = request.headers.get(HEADER)
        if key is None:
            if self.idempotency_required:
                raise invalid(
                    gettext("This request needs an Idempotency-Key header, e.g. a new UUID per operation."),
                    header=HEADER,
                    code="required",
                )
            return None
        refusal = key_refusal(key)
        if refusal:
            raise invalid(refusal, header=HEADER, code="invalid")
        return key

    @staticmethod
    def _replay(claim: Replay) -> HttpResponse:
        replay = HttpResponse(claim.body, status=claim.status, content_type=claim.content_type)
        replay["Idempotent-Replayed"] = "true"
        return replay

    def _rendered(self, request, response) -> HttpResponse:
        response = self.finalize_response(request, response)
        response.render()
        return response

    def idempotent(self, request, run: Callable[[str | None], HttpResponse]) -> HttpResponse:
        """Run `run(service_idempotency_key)` at most once per Idempotency-Key; replay its response."""
        key = self._idempotency_key(request)
        if key is None:
            return run(None)
        path = request.get_full_path()
        claim = idempotency_begin(
            api_key=self.api_key,
            key=key,
            fingerprint=fingerprint(method=request.method, path=path, body=request.data),
            method=request.method,
            path=path,
        )
        if isinstance(claim, Replay):
            return self._replay(claim)
        return self._run_claimed(request, claim, key, run)

    def _run_claimed(self, request, claim, key: str, run) -> HttpResponse:
        try:
            try:
                response = run(service_key(self.api_key, key))
            except Exception as exc:
                response = self.handle_exception(exc)
            response = self._rendered(request, response)
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

    def idempotent_in_service(
        self, request, run: Callable[[str, Callable[[Response], HttpResponse]], HttpResponse]
    ) -> HttpResponse:
        """`idempotent` for a view whose service runs a hook inside its transaction (the hot paths):
        `run(service_idempotency_key, keep)` calls the service and, inside its transaction, `keep`
        with the answer, which stores it there. So the response commits with the change, and no
        claim needs its own transaction first. A retry while the first request runs waits for it on
        the key and answers its stored response; any other use of a taken key answers as
        `idempotent` does (replay, 422, 409). Required key (POST only)."""
        key = self._idempotency_key(request)
        assert key is not None, "idempotent_in_service needs idempotency_required"
        path = request.get_full_path()
        body_fingerprint = fingerprint(method=request.method, path=path, body=request.data)
        now = timezone.now()

        def store(response: HttpResponse) -> None:
            idempotency_store(
                api_key=self.api_key,
                key=key,
                fingerprint=body_fingerprint,
                method=request.method,
                path=path,
                status=response.status_code,
                content_type=response["Content-Type"],
                body=response.content.decode(),
                now=now,
            )

        def keep(response: Response) -> HttpResponse:
            rendered = self._rendered(request, response)
            store(rendered)
            return rendered

        try:
            try:
                return run(service_key(self.api_key, key), keep)
            except IntegrityError as exc:
                conflict = exc
            except Exception as exc:
                response = self._rendered(request, self.handle_exception(exc))
                if not should_store(response.status_code):
                    return response
                try:
                    # A refusal changed nothing: stored on its own (one INSERT outside a transaction).
                    if transaction.get_connection().in_atomic_block:
                        with transaction.atomic():
                            store(response)
                    else:
                        store(response)
                    return response
                except IntegrityError as exc:
                    conflict = exc
            # The key was taken (the change, if any, rolled back with the failed INSERT).
            taken = idempotency_taken(api_key=self.api_key, key=key, fingerprint=body_fingerprint, now=now)
        except Exception as exc:  # 409 in progress, 422 reused
            return self._rendered(request, self.handle_exception(exc))
        if taken is None:
            raise conflict  # not the key's: another constraint refused the change
        if isinstance(taken, Replay):
            return self._replay(taken)
        # A first request that died without finishing: this one claimed its record; run as
        # `idempotent` does (the service itself replays what the first one committed).
        return self._run_claimed(
            request,
            taken,
            key,
            lambda service_idempotency_key: run(service_idempotency_key, lambda response: response),
        )
