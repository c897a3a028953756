"""Every paid order gets its e-invoice once: enqueued when the payment commits, issued by a task,
retried within bounds, each failure on the order's timeline."""

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from members.actors import Actor
from shop.invoicing.carriers import InvoiceDetails
from shop.invoicing.ecpay import InvoiceClient, invoice_client
from shop.models import FakeInvoice, Invoice, OrderEvent
from shop.services import invoices_retry, order_invoice_issue, order_payment_record
from shop.services.invoices import _sale
from shop.tasks import invoice_issue_task, retry_invoices
from vouchers.models import Order

from .conftest import place_order

pytestmark = pytest.mark.django_db
KEY, IV = "ejCk326UnaZWKisg", "q9jcZX8Ib9LM8wYk"


def _paid(member, vehicle, *, reference="R-1", **kwargs):
    order = place_order(member, vehicle, **kwargs)
    return order_payment_record(order=order, method="cash", reference=reference, actor=Actor.system("test"))


def _broken_client(calls):
    def down(url, body):
        calls.append(url)
        raise OSError("ECPay is down")

    return InvoiceClient(mode="stage", merchant_id="2000132", hash_key=KEY, hash_iv=IV, transport=down)


def test_the_order_keeps_the_details_chosen_when_ordering(buyer, einvoice):
    details = InvoiceDetails(kind="company", tax_id="22099131", title="台積電")
    order = place_order(*buyer, invoice=details)
    invoice = order.invoice
    assert (invoice.carrier_kind, invoice.tax_id, invoice.title, invoice.status) == (
        "company",
        "22099131",
        "台積電",
        Invoice.Status.PENDING,
    )
    assert place_order(*buyer).invoice.carrier_kind == "cloud"


def test_payment_enqueues_the_invoice_task_after_commit(buyer, einvoice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = _paid(*buyer)
    assert callbacks
    # The payment also earns points (loyalty's task); the invoice's is one task of its own.
    tasks = {task.task["func"]: task.task["args"] for task in OrmQ.objects.all()}
    assert tasks == {"shop.tasks.invoice_issue_task": (order.pk,), "loyalty.tasks.order_earn": (order.pk,)}


def test_the_task_issues_the_invoice_once(buyer, einvoice):
    order = _paid(*buyer)
    assert invoice_issue_task(order.pk) == Invoice.Status.ISSUED
    assert invoice_issue_task(order.pk) == Invoice.Status.ISSUED
    invoice = Invoice.objects.get(order=order)
    assert invoice.number and invoice.issued_at and len(invoice.random_number) == 4 and invoice.attempts == 1
    assert FakeInvoice.objects.get().relate_number == order.number
    assert FakeInvoice.objects.get().amount_twd == order.amount_twd
    assert order.events.filter(kind=OrderEvent.Kind.INVOICED, note=invoice.number).count() == 1


def test_a_retry_after_a_lost_answer_records_the_first_invoice(buyer, einvoice):
    order = _paid(*buyer)
    client = invoice_client()
    issued_elsewhere = client.issue(sale=_sale(order), details=InvoiceDetails(), now=timezone.now())
    # ECPay issued it but our transaction never saw the answer: the invoice is still pending here.
    invoice = order_invoice_issue(order_id=order.pk, client=client)
    assert invoice.number == issued_elsewhere.number
    assert FakeInvoice.objects.count() == 1


def test_failures_are_retried_within_bounds_and_on_the_timeline(buyer, einvoice):
    order = _paid(*buyer)
    calls = []
    broken = _broken_client(calls)
    for _ in range(5):
        order_invoice_issue(order_id=order.pk, client=broken)
    invoice = Invoice.objects.get(order=order)
    assert invoice.status == Invoice.Status.FAILED and invoice.attempts == 3  # SHOP_INVOICE_MAX_ATTEMPTS
    assert len(calls) == 3
    assert "ECPay is down" in invoice.last_error
    failures = order.events.filter(kind=OrderEvent.Kind.INVOICE_FAILED)
    assert failures.count() == 3 and "3" in failures.last().note


def test_the_job_issues_what_failed_before(buyer, einvoice):
    order = _paid(*buyer)
    order_invoice_issue(order_id=order.pk, client=_broken_client([]))
    assert retry_invoices() == {"issued": 1, "failed": 0}
    invoice = Invoice.objects.get(order=order)
    assert invoice.status == Invoice.Status.ISSUED and invoice.attempts == 2 and invoice.last_error == ""
    assert retry_invoices() == {"issued": 0, "failed": 0}


def test_the_job_leaves_recent_pending_invoices_to_their_task_and_exhausted_ones_to_finance(buyer, einvoice):
    order = _paid(*buyer)
    assert invoices_retry(client=invoice_client()) == {"issued": 0, "failed": 0}  # its task is on its way
    later = timezone.now() + timezone.timedelta(minutes=6)
    Invoice.objects.filter(order=order).update(attempts=3, status=Invoice.Status.FAILED)
    assert invoices_retry(client=invoice_client(), now=later) == {"issued": 0, "failed": 0}


def test_an_unpaid_order_is_not_invoiced(buyer, einvoice):
    order = place_order(*buyer)
    invoice = order_invoice_issue(order_id=order.pk, client=invoice_client())
    assert invoice.status == Invoice.Status.PENDING and invoice.attempts == 0
    assert not FakeInvoice.objects.exists()


def test_an_order_paid_before_invoices_were_collected_gets_the_default_carrier(buyer, einvoice):
    order = _paid(*buyer)
    Invoice.objects.filter(order=order).delete()
    invoice = order_invoice_issue(order_id=order.pk, client=invoice_client())
    assert invoice.status == Invoice.Status.ISSUED and invoice.carrier_kind == "cloud"


def test_the_invoice_for_a_donation_reaches_ecpay_as_a_donation(buyer, einvoice):
    order = _paid(*buyer, invoice=InvoiceDetails(kind="donation", donation_code="168001"))
    order_invoice_issue(order_id=order.pk, client=invoice_client())
    sent = FakeInvoice.objects.get().data
    assert (sent["Donation"], sent["LoveCode"]) == ("1", "168001")
    assert order.status == Order.Status.ISSUED


def test_the_retry_job_is_scheduled():
    from campaigns.schedules import JOBS

    job = next(j for j in JOBS if j.name == "retry_invoices")
    assert job.func == "shop.tasks.retry_invoices" and job.cron == "*/10 * * * *"
