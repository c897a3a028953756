"""Idempotent POSTs: the first response for an Idempotency-Key is stored and replayed for retries.

Scoped per API key. The stored fingerprint (method, path, canonical JSON body) tells a retry from a
different request that reuses the key (422 idempotency_key_reused). While the first request is
still running a retry answers 409 idempotency_request_in_progress; a request that died without
finishing stops blocking after API_IDEMPOTENCY_LOCK_SECONDS, and the retry runs again: the services
it calls are themselves idempotent under the key derived by `service_key`, so nothing happens twice.

Stored: successes and refusals of the domain (404, 409, 422). Not stored: 400, 401, 403, 429 and
5xx, which changed nothing, so a corrected request may reuse the key.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.errors import DomainError
from config.one_statement import Writes
from config.stored_text import fit_to_column
from redemption.partner_models import ApiKey, IdempotencyRecord
from vouchers.exceptions import IdempotencyKeyReused

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 100
STORED_STATUSES = frozenset({404, 409, 422})
Status = IdempotencyRecord.Status


class IdempotencyRequestInProgress(DomainError):
    code = "idempotency_request_in_progress"
    title = _("Request with this idempotency key in progress")
    default_message = _("A request with this idempotency key is still being processed. Retry in a moment.")
    http_status = 409
    retry_after = 1


@dataclass(frozen=True)
class Replay:
    status: int
    content_type: str
    body: str


def key_refusal(key: str) -> str | None:
    """Why a header value cannot be an idempotency key, or None."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all("!" <= c <= "~" for c in key):
        return str(
            _("The Idempotency-Key must be 1 to %(max)s visible ASCII characters, e.g. a UUID.")
            % {"max": MAX_KEY_LENGTH}
        )
    return None


def fingerprint(*, method: str, path: str, body) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{method.upper()}\n{path}\n{canonical}".encode()).hexdigest()


def service_key(api_key: ApiKey, key: str) -> str:
    """The idempotency key the services see: unique per API key, stable across retries."""
    return f"api:{api_key.pk}:{key}"


def should_store(status: int) -> bool:
    return 200 <= status < 300 or status in STORED_STATUSES


def idempotency_begin(
    *, api_key: ApiKey, key: str, fingerprint: str, method: str, path: str, now: datetime | None = None
) -> IdempotencyRecord | Replay:
    """Claim `key` for this request, or return the stored response of the request that claimed it."""
    now = now or timezone.now()

    def claim() -> IdempotencyRecord:
        return IdempotencyRecord.objects.create(
            api_key=api_key,
            key=key,
            fingerprint=fingerprint,
            method=method,
            path=fit_to_column(IdempotencyRecord, "path", path),
            created_at=now,
            locked_at=now,
        )

    for _attempt in range(3):
        try:
            # Outside a transaction the INSERT commits by itself (and a duplicate key breaks nothing):
            # BEGIN and COMMIT around it would be two more round trips on every request.
            if not transaction.get_connection().in_atomic_block:
                return claim()
            with transaction.atomic():
                return claim()
        except IntegrityError:
            taken = idempotency_taken(api_key=api_key, key=key, fingerprint=fingerprint, now=now)
        if taken is None:  # released between our insert and our read: try to claim again
            continue
        return taken
    raise IdempotencyRequestInProgress()


def idempotency_taken(
    *, api_key: ApiKey, key: str, fingerprint: str, now: datetime
) -> IdempotencyRecord | Replay | None:
    """What a request whose key is already taken answers: the stored response (Replay); 422 for a
    different request under the key; 409 while the first still runs; once that one has stopped
    blocking (API_IDEMPOTENCY_LOCK_SECONDS), its record, claimed for this request. None: no record."""
    record = IdempotencyRecord.objects.filter(api_key=api_key, key=key).first()
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if record.status == Status.COMPLETED:
        return Replay(record.response_status, record.response_content_type, record.response_body)
    stale_before = now - timedelta(seconds=settings.API_IDEMPOTENCY_LOCK_SECONDS)
    if record.locked_at < stale_before:
        taken = IdempotencyRecord.objects.filter(
            pk=record.pk, status=Status.PROCESSING, locked_at=record.locked_at
        ).update(locked_at=now)
        if taken:
            record.locked_at = now
            return record
    raise IdempotencyRequestInProgress()


def idempotency_store(
    *,
    api_key: ApiKey,
    key: str,
    fingerprint: str,
    method: str,
    path: str,
    status: int,
    content_type: str,
    body: str,
    now: datetime | None = None,
) -> None:
    """Store the response of a request that claimed nothing beforehand, in the caller's transaction:
    called inside the service's transaction it commits with the change, or not at all. A key already
    taken raises IntegrityError (then ask `idempotency_taken`); a concurrent first request holding
    the key makes this wait until it ends."""
    now = now or timezone.now()
    # Through `Writes`: on the hot paths' every answer, its statement is written once, not compiled.
    writes = Writes()
    record = IdempotencyRecord(
        api_key=api_key,
        key=key,
        fingerprint=fingerprint,
        method=method,
        path=fit_to_column(IdempotencyRecord, "path", path),
        status=Status.COMPLETED,
        response_status=status,
        response_content_type=fit_to_column(IdempotencyRecord, "response_content_type", content_type),
        response_body=body,
        created_at=now,
        locked_at=now,
        completed_at=now,
    )
    writes.insert(record)
    writes.run()


def idempotency_complete(
    record: IdempotencyRecord, *, status: int, content_type: str, body: str, now: datetime | None = None
) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk, status=Status.PROCESSING).update(
        status=Status.COMPLETED,
        response_status=status,
        response_content_type=fit_to_column(IdempotencyRecord, "response_content_type", content_type),
        response_body=body,
        completed_at=now or timezone.now(),
    )


def idempotency_release(record: IdempotencyRecord) -> None:
    """Forget a claim whose request changed nothing, so the key can be used again."""
    IdempotencyRecord.objects.filter(pk=record.pk, status=Status.PROCESSING).delete()


def prune(*, now: datetime | None = None) -> int:
    """Delete records older than API_IDEMPOTENCY_RETENTION_HOURS (at least 24); for the nightly jobs."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.API_IDEMPOTENCY_RETENTION_HOURS)
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
