"""Every word the back office shows is zh-Hant when the language is zh-Hant.

A superuser opens every registered model's list, change page and (where allowed) add page over the
demo data; column headers, filter titles, field labels and action names must contain Chinese (or
be on a short list of names that stay as they are), and no list cell or filter choice may show a
stored code (`active`, `sms`) where its label belongs.
"""

import re
import uuid
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.demo.seed import seed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Names and abbreviations an operator in Taiwan reads as they are.
ALLOWED = {"VIN", "QR", "ID", "API", "URL", "LINE", "SMS", "E-mail", "HTTP", "IP", "UUID", "NPS", "NT$"}
# Models the demo data leaves empty (partner keys and webhooks, one-time codes, the worker's
# queue, results and job runs): the test writes one row of each itself.
FILLED_BY_THE_TEST = {
    "django_q.success",
    "django_q.failure",
    "django_q.ormq",
    "redemption.apikey",
    "redemption.webhookendpoint",
    "redemption.webhookdelivery",
    "campaigns.jobrun",
    "portal.logincode",
    "members.erasurerequest",
}


class _Texts(HTMLParser):
    """Collects the text of the elements a reader takes for labels, each with where it was found."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.open: list[list] = []  # [kind, depth, chunks]
        self.found: list[tuple[str, str]] = []

    def _inside(self, tag=None, id_=None, class_=None) -> bool:
        for name, attrs in self.stack:
            if tag and name != tag:
                continue
            if id_ and attrs.get("id") != id_:
                continue
            if class_ and class_ not in (attrs.get("class") or "").split():
                continue
            return True
        return False

    def _kind(self, tag: str, attrs: dict) -> str | None:
        if tag == "th" and self._inside("thead"):
            return "column header"
        if tag == "h3" and self._inside(id_="changelist-filter"):
            return "filter title"
        if tag == "a" and self._inside(id_="changelist-filter") and self._inside("li"):
            return "filter choice"
        if tag == "label" and self._inside("form") and not self._inside(id_="changelist-search"):
            return "field label"
        if tag == "option" and self._inside("select") and self._inside(class_="actions"):
            return "action"
        if tag in ("td", "th") and self._inside("tbody") and self._inside(id_="result_list"):
            return "list cell"
        if tag == "td" or (tag == "div" and "readonly" in (attrs.get("class") or "").split()):
            return "value"
        if tag == "caption" or (tag == "th" and attrs.get("scope") == "row"):
            return "menu entry"
        return None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "br", "img", "meta", "link", "hr"):
            return
        if tag == "details" and "data-filter-title" in attrs:
            # The summary reads "以 <title>" whatever the title: the title itself is the attribute.
            self.found.append(("filter title", attrs["data-filter-title"]))
        kind = self._kind(tag, attrs)
        self.stack.append((tag, attrs))
        if kind:
            self.open.append([kind, len(self.stack), []])

    def handle_endtag(self, tag):
        while self.stack:
            name, _attrs = self.stack.pop()
            depth = len(self.stack) + 1
            while self.open and self.open[-1][1] == depth:
                kind, _depth, chunks = self.open.pop()
                self.found.append((kind, " ".join("".join(chunks).split())))
            if name == tag:
                break

    def handle_data(self, data):
        for entry in self.open:
            entry[2].append(data)


def _untranslated(text: str) -> bool:
    text = text.strip(" :：*")
    if not text or CJK.search(text) or not re.search(r"[A-Za-z]", text):
        return False
    if text.strip("-") == "":
        return False
    words = set(re.split(r"[\s/()（）、,，]+", text)) - {""}
    return not words <= ALLOWED


def _choice_codes() -> set[str]:
    """Stored choice values that differ from their label: a page showing one shows a raw code."""
    from django.apps import apps

    codes = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or []:
                if isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]+", value):
                    codes.add(value)
    return codes


def _fill_what_the_demo_leaves_empty():
    from django_q.models import OrmQ, Task

    from campaigns.models import JobRun
    from members.models import ErasureRequest, Member
    from portal.models import LoginCode
    from redemption.partner_models import ApiKey, WebhookDelivery, WebhookEndpoint

    now = timezone.now()
    for success in (True, False):
        Task.objects.create(
            id=uuid.uuid4().hex,
            name=f"task-{success}",
            func="campaigns.tasks.dispatch_notifications",
            started=now,
            stopped=now,
            success=success,
            result="ok" if success else "Traceback",
        )
    OrmQ.objects.create(key="vouchers", payload="signed-package", lock=now)
    key = ApiKey.objects.create(name="online-shop", prefix="pk_test", secret_hash="x" * 64, scopes=["read"])
    endpoint = WebhookEndpoint.objects.create(api_key=key, url="https://example.com/hook", secret="s" * 32)
    WebhookDelivery.objects.create(
        endpoint=endpoint, event_id=uuid.uuid4(), event="voucher.redeemed", payload={}, status="failed"
    )
    JobRun.objects.create(job="send_reminders", status="done", started_at=now, finished_at=now)
    member = Member.objects.order_by("pk").first()
    ErasureRequest.objects.create(member=member, requested_at=now)
    LoginCode.objects.create(
        phone=member.phone,
        salt="s",
        code_hash="h",
        max_attempts=5,
        created_at=now,
        expires_at=now + timedelta(minutes=10),
        closed_at=now,
        closed_reason="used",
    )


@pytest.fixture
def superuser_in_chinese(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    translation.activate("zh-hant")
    yield user
    translation.deactivate()


def _pages(model, model_admin, user) -> list[str]:
    info = (model._meta.app_label, model._meta.model_name)
    pages = [reverse("admin:{}_{}_changelist".format(*info))]
    obj = model._default_manager.order_by("pk").first()
    pages.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
    request = RequestFactory().get("/")
    request.user = user
    if model_admin.has_add_permission(request):
        pages.append(reverse("admin:{}_{}_add".format(*info)))
    return pages


def _custom_pages() -> list[str]:
    """The back office's own pages (get_urls), each opened on an object in a state it accepts."""
    from campaigns.models import Campaign
    from redemption.models import Redemption
    from vehicles.models import BindingRequest, Vehicle
    from vouchers.models import IssueBatch, Order, RefundRequest, Voucher, VoucherDefinition

    def first(queryset):
        return queryset.order_by("pk").first().pk

    campaign = first(Campaign.objects.filter(status=Campaign.Status.COMPLETED))
    definition = first(VoucherDefinition.objects.filter(code="wash-pack-5"))
    binding = first(BindingRequest.objects.filter(status=BindingRequest.Status.PENDING))
    refund = first(RefundRequest.objects.filter(status=RefundRequest.Status.PENDING))
    pages = [
        reverse("admin:campaigns_campaign_dry_run", args=[campaign]),
        reverse("admin:campaigns_campaign_results", args=[campaign]),
        reverse("admin:redemption_redemption_redeem", args=[first(Voucher.objects.filter(status="active"))]),
        reverse(
            "admin:redemption_redemption_reverse", args=[first(Redemption.objects.filter(status="completed"))]
        ),
        reverse("admin:vehicles_bindingrequest_approve", args=[binding]),
        reverse("admin:vehicles_bindingrequest_reject", args=[binding]),
        reverse("admin:vehicles_vehicle_transfer", args=[first(Vehicle.objects.all())]),
        reverse("admin:vouchers_issuebatch_progress", args=[first(IssueBatch.objects.all())]),
        reverse("admin:vouchers_voucherdefinition_wizard_new"),
        reverse("admin:vouchers_voucherdefinition_review", args=[definition]),
        reverse("admin:vouchers_voucherdefinition_bulk", args=[definition]),
        reverse("admin:vouchers_refundrequest_decide", args=[refund, "approve"]),
        reverse("admin:vouchers_refundrequest_decide", args=[refund, "reject"]),
        reverse("admin:shop_order_sales"),
        reverse("admin:shop_order_settle", args=[first(Order.objects.all())]),
    ]
    pages += [reverse("admin:vouchers_voucherdefinition_wizard", args=[definition, n]) for n in (1, 2, 3, 4)]
    from finance.models import SettlementStatement

    draft = first(SettlementStatement.objects.filter(status="draft"))
    pages += [
        reverse("admin:finance_settlementstatement_draft"),
        reverse("admin:finance_settlementstatement_approve", args=[draft]),
    ]
    # The Reports section (custom admin views of the reports app), over facts built from the demo data.
    from reports.registry import all_reports

    pages += [reverse("reports:index"), *(reverse("reports:report", args=[r.slug]) for r in all_reports())]
    for action, status in [
        ("activate", "inactive"),
        ("void", "active"),
        ("extend", "active"),
        ("lock", "active"),
    ]:
        pages.append(
            reverse(
                "admin:vouchers_voucher_action", args=[first(Voucher.objects.filter(status=status)), action]
            )
        )
    pages.append(
        reverse(
            "admin:vouchers_voucher_action", args=[first(Voucher.objects.filter(status="locked")), "unlock"]
        )
    )
    return pages


def test_every_back_office_page_speaks_zh_hant(client, superuser_in_chinese):
    seed(members=24, vehicles=36)
    call_command("setup_groups", verbosity=0)
    call_command("setup_schedules", verbosity=0)
    call_command("rebuild_report_facts", verbosity=0)
    left_empty = {m._meta.label_lower for m in admin.site._registry if not m._default_manager.exists()}
    assert left_empty <= FILLED_BY_THE_TEST, "the demo data should fill these back-office lists"
    _fill_what_the_demo_leaves_empty()
    assert Group.objects.exists()
    codes = _choice_codes()
    problems = []
    empty = []
    pages = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        if not model._default_manager.exists():
            empty.append(model._meta.label_lower)
            continue
        pages += _pages(model, model_admin, superuser_in_chinese)
    pages += _custom_pages()
    for url in pages:
        response = client.get(url, follow=True)
        if response.status_code != 200:
            problems.append(f"{url}: status {response.status_code}")
            continue
        texts = _Texts()
        texts.feed(response.content.decode())
        for kind, text in texts.found:
            if kind in ("list cell", "filter choice", "value"):
                if text in codes:
                    problems.append(f"{url}: {kind} shows the code {text!r}")
            elif _untranslated(text):
                problems.append(f"{url}: {kind} {text!r}")
    assert not sorted(set(problems)), "\n".join(sorted(set(problems)))
    assert not empty, f"the demo data leaves these back-office lists empty: {empty}"


@pytest.mark.parametrize(
    ("text", "untranslated"),
    [
        ("Status", True),
        ("狀態", False),
        ("VIN", False),
        ("QR 碼", False),
        ("API key", True),
        ("ID", False),
        ("#", False),
        ("", False),
    ],
)
def test_the_check_tells_english_from_chinese(text, untranslated):
    assert _untranslated(text) is untranslated


def test_the_page_reader_finds_headers_filters_and_labels():
    texts = _Texts()
    texts.feed(
        '<table id="result_list"><thead><tr><th>Status</th></tr></thead>'
        "<tbody><tr><td>active</td></tr></tbody></table>"
        '<div id="changelist-filter"><details data-filter-title="dealer"><summary>以 dealer</summary>'
        "<ul><li><a>sms</a></li></ul>"
        '</details></div><form><label for="x">Name:</label></form>'
    )
    assert texts.found == [
        ("column header", "Status"),
        ("list cell", "active"),
        ("filter title", "dealer"),
        ("filter choice", "sms"),
        ("field label", "Name:"),
    ]
