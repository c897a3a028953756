"""Scopes and dealers: a key may do only what its scopes allow, only at its dealers."""

from django.utils.translation import gettext
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from members.models import Dealer
from redemption.api_keys import api_key_dealer_ids
from redemption.partner_models import ApiKey


class HasScope(BasePermission):
    """A valid key (else 401) holding the view's `required_scope` (else 403). None: any valid key."""

    def has_permission(self, request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return False
        scope = getattr(view, "required_scope", None)
        if scope and not api_key.has_scope(scope):
            message = gettext("This API key does not have the '%(scope)s' scope.") % {"scope": scope}
            raise PermissionDenied(message)
        return True


def require_dealer(api_key: ApiKey, dealer: Dealer) -> None:
    """403 unless the key may act at `dealer` (a key without a dealer list may act at every dealer).
    The key's dealers were read with the key when it authenticated (`api_keys.api_key_dealer_ids`)."""
    allowed = api_key_dealer_ids(api_key)
    if allowed and dealer.pk not in allowed:
        raise PermissionDenied(
            gettext("This API key may not act for dealer %(dealer)s.") % {"dealer": dealer.code}
        )
