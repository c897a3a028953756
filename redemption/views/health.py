from django.http import HttpResponse
from django.views.decorators.http import require_safe


@require_safe
def health(request):
    """Liveness for a load balancer: the web process answers (no database, no session)."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
