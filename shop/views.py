"""ECPay's server-to-server notification, and (ECPAY_MODE=fake) the local stand-in's pages."""

from datetime import timedelta

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .exceptions import PaymentNotConfigured, PaymentRejected
from .models import FakeGatewayTrade, PaymentNotification
from .payments.ecpay import gateway
from .payments.fake import fake_checkout_receive, fake_pay
from .services import order_payment_apply, payment_rejection_record

NOTIFY = PaymentNotification.Source.NOTIFY


def _plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt  # ECPay's servers post here; the CheckMacValue is what authenticates them
@require_POST
@never_cache
def ecpay_notify(request):
    """ReturnURL: verify, apply at most once, answer `1|OK` (ECPay repeats anything else)."""
    payload = request.POST.dict()
    remote = request.META.get("REMOTE_ADDR")
    try:
        result = gateway().notification(payload)
    except PaymentNotConfigured:
        return _plain("0|not configured", status=503)
    except PaymentRejected as exc:  # forged or tampered: kept, logged, nothing else
        payment_rejection_record(source=NOTIFY, payload=payload, reason=exc.message, remote_addr=remote)
        return _plain("0|rejected", status=400)
    try:
        order_payment_apply(result=result, source=NOTIFY, payload=payload, remote_addr=remote)
    except PaymentRejected:  # signed by ECPay but not ours to apply (unknown order, wrong amount): recorded
        return _plain("0|rejected", status=400)
    return _plain("1|OK")


# --- the local stand-in for ECPay (ECPAY_MODE=fake only) -----------------------------------------


def _fake_only() -> None:
    if settings.ECPAY_MODE != "fake":
        raise Http404


@csrf_exempt  # the merchant's page posts this form to "ECPay", as a browser would cross-site
@require_POST
def fake_checkout(request):
    _fake_only()
    try:
        trade = fake_checkout_receive(request.POST.dict())
    except PaymentRejected as exc:
        return render(request, "shop/fake_gateway_error.html", {"error": exc.message}, status=400)
    return render(request, "shop/fake_gateway.html", {"trade": trade, "fields": trade.fields})


@require_POST
def fake_decide(request, trade_no: str):
    """The buyer pays (or gives up) on the stand-in's page; ECPay's servers then notify the merchant."""
    _fake_only()
    trade = get_object_or_404(FakeGatewayTrade, trade_no=trade_no)
    if request.POST.get("decision") == "pay":
        fake_pay(trade)
        _fake_notify_later(trade)
    return redirect(trade.fields.get("ClientBackURL") or "/")


def _fake_notify_later(trade: FakeGatewayTrade) -> None:
    """Like ECPay: a notification at once, a duplicate right after it, and a late one."""
    from django_q.models import Schedule
    from django_q.tasks import async_task, schedule

    task = "shop.tasks.fake_gateway_notify"
    async_task(task, trade.pk, task_name=f"fake-ecpay-{trade.trade_no}-1")
    async_task(task, trade.pk, task_name=f"fake-ecpay-{trade.trade_no}-2")
    schedule(
        task,
        trade.pk,
        name=f"fake-ecpay-{trade.trade_no}-late",
        schedule_type=Schedule.ONCE,
        repeats=1,
        next_run=timezone.now() + timedelta(seconds=settings.ECPAY_FAKE_LATE_NOTIFICATION_SECONDS),
    )
