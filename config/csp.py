"""Content-Security-Policy on every response, with a fresh nonce per response.

A small middleware rather than django-csp: the policy is one dict in settings, every response
carries a nonce (django-csp 4 adds one only when a template happened to read it, so a page's header
would change with its content), and the one relaxation we need is per URL prefix. Django 6.0 ships
a CSP middleware of its own (SECURE_CSP, same directive-dict shape): on upgrading, replace this.

Templates use `{{ request.csp_nonce }}` on the few inline <script>/<style> elements they keep;
style="" attributes cannot carry a nonce, so templates use classes (or SVG presentation attributes).
"""

import secrets

from django.conf import settings

NONCE = "'nonce'"  # placeholder in the settings, replaced by 'nonce-<value>' in each response
HEADER = "Content-Security-Policy"


def _render(policy: dict[str, list[str]], nonce: str) -> str:
    parts = []
    for directive, sources in policy.items():
        values = [f"'nonce-{nonce}'" if source == NONCE else source for source in sources]
        parts.append(" ".join([directive, *values]))
    return "; ".join(parts)


def policy_for(path: str) -> dict[str, list[str]]:
    """The site's policy, with the additions configured for the longest matching path prefix."""
    policy = {directive: list(sources) for directive, sources in settings.CONTENT_SECURITY_POLICY.items()}
    prefixes = sorted(settings.CONTENT_SECURITY_POLICY_ADDITIONS, key=len, reverse=True)
    for prefix in prefixes:
        if path.startswith(prefix):
            for directive, sources in settings.CONTENT_SECURITY_POLICY_ADDITIONS[prefix].items():
                policy.setdefault(directive, []).extend(sources)
            break
    return policy


class ContentSecurityPolicyMiddleware:
    """Early in MIDDLEWARE, so the error pages the layers below produce (400, 403, 404, 500) get it too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # 128 bits from the OS generator; base64url contains no character that needs quoting in a header.
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if settings.DEBUG and response.status_code in (404, 500):
            # Django's debug pages (DEBUG only) inline their CSS and JS; production error pages do not.
            return response
        response[HEADER] = _render(policy_for(request.path_info), request.csp_nonce)
        return response
