"""The portal's reactions to events of the layers below and of Django."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .auth import owner_session_end


@receiver(user_logged_in, dispatch_uid="portal.staff_log_in_ends_owner_session")
def staff_log_in_ends_owner_session(sender, request, user, **kwargs):
    """A staff log-in on a browser where an owner was signed in ends the owner's session there."""
    if request is not None and hasattr(request, "session"):
        owner_session_end(request)
