"""Per-key rate limit: a fixed one-minute window shared by every web node (Redis where configured,
else the database; see members.ratelimit.ratelimit_take)."""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from members.exceptions import RateLimited
from members.ratelimit import ratelimit_take
from redemption.partner_models import ApiKey

WINDOW_SECONDS = 60


def key_limit(api_key: ApiKey) -> int:
    return api_key.rate_limit_per_minute or settings.API_RATE_LIMIT_PER_MINUTE


class ApiKeyRateThrottle(BaseThrottle):
    """429 rate_limited with Retry-After once a key has sent more than its limit this minute."""

    def __init__(self):
        self._wait = None

    def allow_request(self, request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True
        limit = key_limit(api_key)
        try:
            count = ratelimit_take(key=f"api-key:{api_key.pk}", limit=limit, window_seconds=WINDOW_SECONDS)
        except RateLimited as exc:
            self._wait = exc.retry_after
            request.rate_limit = (limit, 0)
            return False
        request.rate_limit = (limit, max(0, limit - count))
        return True

    def wait(self):
        return self._wait
