"""Outbound webhooks: registration over the API, signed deliveries to a local HTTP server, who
receives which events, retries with back-off, and the delivery log."""

import json
import socket
import ssl
import subprocess
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from redemption.partner_models import IdempotencyRecord, WebhookDelivery, WebhookEndpoint
from redemption.services import redemption_redeem
from redemption.webhooks import sending
from redemption.webhooks.signing import signature_header, signature_verify
from redemption.webhooks.targets import webhook_url_refusal
from redemption.webhooks.tasks import webhooks_retry_due
from tests.factories import DefinitionFactory, OwnedVehicleFactory, issue_voucher
from vouchers.models import Voucher
from vouchers.services import vouchers_expire_due

from .api_support import client_for, make_key, post, problem, scene

pytestmark = pytest.mark.django_db


class Receiver:
    """A partner's server on loopback: records each request and answers the next queued status."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status in (301, 302):
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/vouchers"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[str]:
        return [json.loads(r["body"])["type"] for r in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def run_tasks(monkeypatch, django_capture_on_commit_callbacks):
    """Run django-q2 tasks in-process when their transaction commits, as a worker would."""
    for module in ("events", "tasks", "sending"):
        monkeypatch.setattr(
            f"redemption.webhooks.{module}.async_task", lambda func, *args: import_string(func)(*args)
        )
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def partner(receiver):
    """A partner key with a webhook endpoint registered over the API; yields (client, secret)."""
    api_key, plaintext = make_key("shop")
    client = client_for(plaintext)
    response = post(client, "/api/v1/webhooks", {"url": receiver.url, "description": "shop"})
    assert response.status_code == 201, response.content
    return client, response.json()["secret"], api_key


# --- signing ----------------------------------------------------------------------------------------


def test_signature_verifies_and_refuses_tampering_and_old_timestamps():
    body = b'{"type":"voucher.redeemed"}'
    header = signature_header("whsec_test", 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert signature_verify("whsec_test", header, body, now=1_700_000_100)
    assert not signature_verify("whsec_test", header, body + b" ", now=1_700_000_100)
    assert not signature_verify("other", header, body, now=1_700_000_100)
    assert not signature_verify("whsec_test", header, body, now=1_700_000_000 + 301)
    assert not signature_verify("whsec_test", "garbage", body)


# --- registration -----------------------------------------------------------------------------------


def test_register_list_and_remove_endpoints(partner, receiver):
    client, secret, _api_key = partner
    assert secret.startswith("whsec_") and len(secret) > 32
    listed = client.get("/api/v1/webhooks").json()
    assert [e["url"] for e in listed] == [receiver.url]
    assert "secret" not in listed[0] and listed[0]["events"] == []
    endpoint_id = listed[0]["id"]
    _other, other_plaintext = make_key()
    other = client_for(other_plaintext)
    assert other.get("/api/v1/webhooks").json() == []
    assert problem(other.delete(f"/api/v1/webhooks/{endpoint_id}"))["code"] == "not_found"
    assert problem(other.get(f"/api/v1/webhooks/{endpoint_id}/deliveries"))["code"] == "not_found"
    assert client.delete(f"/api/v1/webhooks/{endpoint_id}").status_code == 204
    assert client.get("/api/v1/webhooks").json() == []
    assert client.delete(f"/api/v1/webhooks/{endpoint_id}").status_code == 404


def test_a_retried_registration_whose_answer_was_lost_registers_once(receiver, settings):
    """The endpoint was created but the answer never stored (the worker died): the retry with the
    same Idempotency-Key answers that endpoint and its secret instead of registering a second one,
    whose deliveries the partner could not verify."""
    api_key, plaintext = make_key("dms")
    client = client_for(plaintext)
    body = {"url": receiver.url, "events": ["voucher.redeemed"]}
    first = post(client, "/api/v1/webhooks", body, key="hook-1")
    assert first.status_code == 201
    IdempotencyRecord.objects.filter(api_key=api_key, key="hook-1").update(
        status=IdempotencyRecord.Status.PROCESSING,
        locked_at=timezone.now() - timedelta(seconds=settings.API_IDEMPOTENCY_LOCK_SECONDS + 1),
    )

    retry = post(client, "/api/v1/webhooks", body, key="hook-1")

    assert retry.status_code == 201
    assert (retry.json()["id"], retry.json()["secret"]) == (first.json()["id"], first.json()["secret"])
    assert WebhookEndpoint.objects.filter(api_key=api_key).count() == 1


def test_a_url_is_registered_once_per_key_until_removed(partner, receiver):
    """A retried POST without an Idempotency-Key must not make every event arrive twice."""
    client, _secret, api_key = partner
    first = WebhookEndpoint.objects.get(api_key=api_key)

    again = post(client, "/api/v1/webhooks", {"url": receiver.url, "events": ["voucher.redeemed"]})

    assert again.status_code == 409
    assert problem(again)["code"] == "webhook_endpoint_exists"
    assert str(first.pk) in problem(again)["detail"]
    assert WebhookEndpoint.objects.filter(api_key=api_key).count() == 1
    _other_key, other_plaintext = make_key()
    assert post(client_for(other_plaintext), "/api/v1/webhooks", {"url": receiver.url}).status_code == 201
    assert client.delete(f"/api/v1/webhooks/{first.pk}").status_code == 204
    assert post(client, "/api/v1/webhooks", {"url": receiver.url}).status_code == 201


def test_the_database_refuses_a_second_live_endpoint_for_one_url(partner, receiver):
    _client, _secret, api_key = partner
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookEndpoint.objects.create(api_key=api_key, url=receiver.url, secret="s" * 40)


def test_register_with_own_secret_and_event_filter(receiver):
    _key, plaintext = make_key()
    response = post(
        client_for(plaintext),
        "/api/v1/webhooks",
        {"url": receiver.url, "secret": "s" * 40, "events": ["voucher.redeemed"]},
    )
    assert response.status_code == 201
    assert response.json()["secret"] == "s" * 40
    assert WebhookEndpoint.objects.get().events == ["voucher.redeemed"]


@pytest.mark.parametrize(
    ("body", "finer"),
    [
        ({"url": "http://127.0.0.1:8000/hook"}, "webhook_endpoint_invalid"),
        ({"url": "https://127.0.0.1/hook"}, "webhook_endpoint_invalid"),
        ({"url": "https://localhost/hook"}, "webhook_endpoint_invalid"),
        ({"url": "https://10.0.0.8/hook"}, "webhook_endpoint_invalid"),
        ({"url": "ftp://partner.example/hook"}, "webhook_endpoint_invalid"),
        ({"url": "https://partner.example/h", "events": ["voucher.eaten"]}, "invalid_choice"),
        ({"url": "https://partner.example/h", "secret": "short"}, "min_length"),
    ],
)
def test_register_refuses_unsafe_or_malformed_endpoints(settings, body, finer):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    _key, plaintext = make_key()
    response = post(client_for(plaintext), "/api/v1/webhooks", body)
    assert response.status_code == 400
    assert problem(response)["errors"][0]["code"] == finer
    assert not WebhookEndpoint.objects.exists()


# --- delivery ---------------------------------------------------------------------------------------


def _verify(request: dict, secret: str) -> dict:
    headers = request["headers"]
    assert signature_verify(secret, headers["Webhook-Signature"], request["body"])
    payload = json.loads(request["body"])
    assert headers["Webhook-Id"] == payload["id"]
    assert headers["Webhook-Event"] == payload["type"]
    assert headers["Content-Type"] == "application/json"
    return payload


def test_issue_redeem_reverse_are_delivered_signed(partner, receiver, run_tasks):
    client, secret, _key = partner
    DefinitionFactory(code="wash-hook")
    vehicle = OwnedVehicleFactory()
    dealer = scene().dealer
    with run_tasks():
        issued = post(
            client, "/api/v1/vouchers/issue", {"definition": "wash-hook", "vehicle": {"vin": vehicle.vin}}
        )
    code = issued.json()["vouchers"][0]["code"]
    with run_tasks():
        redeemed = post(
            client, f"/api/v1/vouchers/{code}/redeem", {"dealer": dealer.code, "vin": vehicle.vin}
        )
    redemption_id = redeemed.json()["redemption"]["id"]
    with run_tasks():
        post(client, f"/api/v1/redemptions/{redemption_id}/reverse", {"reason": "mistake"})

    assert receiver.events() == ["voucher.issued", "voucher.redeemed", "voucher.reversed"]
    assert {r["path"] for r in receiver.requests} == {"/hooks/vouchers"}
    issued_event, redeemed_event, reversed_event = (_verify(r, secret) for r in receiver.requests)
    assert issued_event["data"]["voucher"]["code"] == code
    assert redeemed_event["data"]["redemption"]["id"] == redemption_id
    assert redeemed_event["data"]["voucher"]["uses_left"] == 0
    assert reversed_event["data"]["redemption"]["status"] == "reversed"
    assert reversed_event["data"]["voucher"]["uses_left"] == 1
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}

    endpoint_id = WebhookEndpoint.objects.get().pk
    log = client.get(f"/api/v1/webhooks/{endpoint_id}/deliveries").json()
    assert log["count"] == 3
    assert [d["event"] for d in log["results"]] == ["voucher.reversed", "voucher.redeemed", "voucher.issued"]
    assert {d["last_status_code"] for d in log["results"]} == {200}


def test_expiry_is_delivered(partner, receiver, run_tasks):
    client, secret, _key = partner
    DefinitionFactory(code="wash-expire")
    vehicle = OwnedVehicleFactory()
    with run_tasks():
        code = post(
            client, "/api/v1/vouchers/issue", {"definition": "wash-expire", "vehicle": {"vin": vehicle.vin}}
        ).json()["vouchers"][0]["code"]
    now = timezone.now()
    Voucher.objects.filter(code=code).update(
        valid_from=now - timedelta(days=9), valid_until=now - timedelta(days=1)
    )
    with run_tasks():
        assert vouchers_expire_due(now=now) == 1
    assert receiver.events() == ["voucher.issued", "voucher.expired"]
    payload = _verify(receiver.requests[-1], secret)
    assert payload["data"]["voucher"] == {**payload["data"]["voucher"], "code": code, "status": "expired"}


def test_endpoints_hear_only_about_their_own_vouchers_unless_operations_widen_them(partner, receiver):
    _client, _secret, _api_key = partner
    definition = DefinitionFactory()
    vehicle = OwnedVehicleFactory()
    issue_voucher(definition, vehicle=vehicle)  # issued in the back office, not by this partner
    assert not WebhookDelivery.objects.exists()
    WebhookEndpoint.objects.update(all_vouchers=True)
    issue_voucher(definition, vehicle=vehicle)
    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == ["voucher.issued"]


def test_event_filter_and_counter_redemptions(partner, receiver):
    client, _secret, _api_key = partner
    WebhookEndpoint.objects.update(events=["voucher.redeemed"])
    DefinitionFactory(code="wash-filter", uses_per_voucher=2)
    s = scene()
    code = post(
        client, "/api/v1/vouchers/issue", {"definition": "wash-filter", "vehicle": {"vin": s.vehicle.vin}}
    ).json()["vouchers"][0]["code"]
    assert not WebhookDelivery.objects.exists()  # voucher.issued is not wanted
    voucher = Voucher.objects.get(code=code)
    redemption_redeem(voucher=voucher, vehicle=s.vehicle, dealer=s.dealer, idempotency_key="counter-1")
    # Redeemed at the counter, but the voucher is the partner's: it hears about it.
    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == ["voucher.redeemed"]


def test_a_rolled_back_change_sends_nothing(partner, receiver):
    _client, _secret, _api_key = partner
    WebhookEndpoint.objects.update(all_vouchers=True)
    definition = DefinitionFactory()
    vehicle = OwnedVehicleFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        issue_voucher(definition, vehicle=vehicle)
        raise RuntimeError("the caller's transaction fails after the issue")
    assert not WebhookDelivery.objects.exists()


def _one_delivery(partner) -> WebhookDelivery:
    WebhookEndpoint.objects.update(all_vouchers=True)
    issue_voucher(DefinitionFactory(), vehicle=OwnedVehicleFactory())
    return WebhookDelivery.objects.get()


def test_failures_are_retried_with_back_off_then_given_up(partner, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    delivery = _one_delivery(partner)
    receiver.statuses = [500, 503, 500]
    now = timezone.now()
    assert sending.webhook_deliver(delivery_id=delivery.pk, now=now) == "pending"
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (1, 500)
    assert delivery.next_attempt_at == now + timedelta(seconds=30)
    # Not due yet: nothing is sent.
    assert sending.webhook_deliver(delivery_id=delivery.pk, now=now + timedelta(seconds=10)) == "pending"
    assert len(receiver.requests) == 1
    later = now + timedelta(seconds=31)
    assert sending.webhook_deliver(delivery_id=delivery.pk, now=later) == "pending"
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == later + timedelta(seconds=120)
    assert sending.webhook_deliver(delivery_id=delivery.pk, now=later + timedelta(seconds=121)) == "failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(receiver.requests)) == ("failed", 3, 3)
    # Every attempt carried the same event id, so the partner can de-duplicate.
    assert len({r["headers"]["Webhook-Id"] for r in receiver.requests}) == 1


def test_retry_job_sends_what_is_due(partner, receiver, run_tasks):
    delivery = _one_delivery(partner)
    receiver.statuses = [500]
    sending.webhook_deliver(delivery_id=delivery.pk)
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert webhooks_retry_due() == {"enqueued": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert webhooks_retry_due() == {"enqueued": 0}


def test_a_leased_delivery_is_not_sent_twice(partner, receiver):
    delivery = _one_delivery(partner)
    now = timezone.now()
    assert sending._lease(delivery.pk, now)
    assert sending.webhook_deliver(delivery_id=delivery.pk, now=now) == "pending"
    assert receiver.requests == []


def test_redirects_and_unreachable_servers_are_failed_attempts(partner, receiver):
    delivery = _one_delivery(partner)
    receiver.statuses = [302]
    sending.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == ("pending", 302)
    WebhookEndpoint.objects.update(url="http://127.0.0.1:9/closed")
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    sending.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.last_status_code is None and delivery.last_error


def test_a_disabled_endpoint_gives_up_at_once(partner, receiver):
    delivery = _one_delivery(partner)
    WebhookEndpoint.objects.update(is_active=False)
    assert sending.webhook_deliver(delivery_id=delivery.pk) == "failed"
    assert receiver.requests == []


def test_operations_can_retry_a_failed_delivery(partner, receiver, run_tasks):
    delivery = _one_delivery(partner)
    WebhookDelivery.objects.update(status="failed", attempts=8)
    with run_tasks():
        assert sending.webhook_delivery_retry(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)


def test_retry_and_prune_jobs_are_scheduled():
    from campaigns.schedules import JOBS

    jobs = {job.func: job.cron for job in JOBS}
    assert jobs["redemption.webhooks.tasks.webhooks_retry_due"] == "* * * * *"
    assert "redemption.api.idempotency.prune" in jobs
    for func in jobs:
        assert callable(import_string(func))


class FakeDns:
    """Answers for one host name, in turn (the last answer repeats; "a,b" is an answer with two
    addresses); other names resolve for real."""

    def __init__(self, monkeypatch, host: str, *answers: str):
        self.host, self.answers, self.asked = host, list(answers), 0
        real = socket.getaddrinfo

        def getaddrinfo(name, port, *args, **kwargs):
            if name != self.host:
                return real(name, port, *args, **kwargs)
            answer = self.answers[min(self.asked, len(self.answers) - 1)]
            self.asked += 1
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in answer.split(",")
            ]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_delivery_connects_to_the_address_it_checked_not_a_rebound_one(
    partner, receiver, settings, monkeypatch
):
    """DNS rebinding: the name answers a public address to the check and loopback a moment later.
    The delivery must go to the checked address; resolving again would reach the inside."""
    delivery = _one_delivery(partner)
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    WebhookEndpoint.objects.update(url="https://hooks.partner.example/vouchers")
    dns = FakeDns(monkeypatch, "hooks.partner.example", "93.184.216.34", "127.0.0.1")
    connected = []

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("refused (test)")

    monkeypatch.setattr(socket, "create_connection", create_connection)

    assert sending.webhook_deliver(delivery_id=delivery.pk) == "pending"

    assert connected == [("93.184.216.34", 443)]
    assert dns.asked == 1
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert "refused" in delivery.last_error and delivery.attempts == 1


def test_a_delivery_by_host_name_keeps_the_name_in_the_host_header(partner, receiver, monkeypatch):
    delivery = _one_delivery(partner)
    port = receiver.server.server_address[1]
    WebhookEndpoint.objects.update(url=f"http://receiver.partner.test:{port}/hooks/vouchers?v=2")
    FakeDns(monkeypatch, "receiver.partner.test", "127.0.0.1")

    assert sending.webhook_deliver(delivery_id=delivery.pk) == "delivered"

    (request,) = receiver.requests
    assert request["headers"]["Host"] == f"receiver.partner.test:{port}"
    assert request["path"] == "/hooks/vouchers?v=2"


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
        "64:ff9b:1::a00:1",  # local-use NAT64
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "::a00:1",  # IPv4-compatible 10.0.0.1
    ],
)
def test_ipv6_addresses_that_carry_an_ipv4_one_are_refused(settings, monkeypatch, address):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    FakeDns(monkeypatch, "hooks.partner.example", address)
    assert webhook_url_refusal("https://hooks.partner.example/h") is not None
    FakeDns(monkeypatch, "hooks.partner.example", "2606:4700::6810:84e5")  # an ordinary global one
    assert webhook_url_refusal("https://hooks.partner.example/h") is None


def test_a_delivery_tries_the_next_checked_address_when_one_does_not_answer(partner, receiver, monkeypatch):
    """Dual-stack partner whose first address is unreachable: the next checked one is used, and
    the name is never looked up again."""
    delivery = _one_delivery(partner)
    port = receiver.server.server_address[1]
    WebhookEndpoint.objects.update(url=f"http://receiver.partner.test:{port}/hooks/vouchers")
    dns = FakeDns(monkeypatch, "receiver.partner.test", "192.0.2.1,127.0.0.1", "10.9.9.9")
    real = socket.create_connection
    tried = []

    def create_connection(address, *args, **kwargs):
        tried.append(address[0])
        if address[0] == "192.0.2.1":
            raise ConnectionRefusedError("refused (test)")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)

    assert sending.webhook_deliver(delivery_id=delivery.pk) == "delivered"
    assert tried == ["192.0.2.1", "127.0.0.1"] and dns.asked == 1
    assert len(receiver.requests) == 1


class TlsReceiver(Receiver):
    """The loopback receiver behind TLS, with a self-signed certificate for `name`."""

    def __init__(self, tmp_path, name: str):
        super().__init__()
        self.cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
                *("-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"),
                *("-keyout", str(key), "-out", str(self.cert)),
            ],
            check=True,
            capture_output=True,
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)


@pytest.mark.parametrize(
    ("certificate_for", "delivered"), [("hooks.partner.test", True), ("evil.test", False)]
)
def test_https_deliveries_verify_the_certificate_for_the_host_name(
    partner, tmp_path, monkeypatch, certificate_for, delivered
):
    """Connecting to the pinned address must not weaken TLS: the certificate is checked against the
    URL's host name (SNI), so a certificate for another name is refused."""
    delivery = _one_delivery(partner)
    tls = TlsReceiver(tmp_path, certificate_for)
    try:
        port = tls.server.server_address[1]
        WebhookEndpoint.objects.update(url=f"https://hooks.partner.test:{port}/hooks/vouchers")
        FakeDns(monkeypatch, "hooks.partner.test", "127.0.0.1")
        trusting = ssl.create_default_context(cafile=str(tls.cert))  # this test's CA only
        monkeypatch.setattr(sending.ssl, "create_default_context", lambda: trusting)

        status = sending.webhook_deliver(delivery_id=delivery.pk)

        delivery.refresh_from_db()
        if delivered:
            assert status == "delivered" and len(tls.requests) == 1
        else:
            assert status == "pending" and tls.requests == []
            assert "hostname" in delivery.last_error.lower() or "certificate" in delivery.last_error.lower()
    finally:
        tls.close()


def test_vouchers_a_campaign_issues_in_a_batch_are_announced(partner, receiver):
    from campaigns.models import Campaign, Segment
    from campaigns.services import campaign_schedule, campaigns_run_due

    WebhookEndpoint.objects.update(all_vouchers=True)
    cars = [OwnedVehicleFactory(), OwnedVehicleFactory()]
    definition = DefinitionFactory()
    campaign = Campaign.objects.create(
        name="batch", segment=Segment.objects.create(name="all"), definition=definition, send_message=False
    )
    campaign_schedule(campaign=campaign)
    campaigns_run_due(now=timezone.now())
    deliveries = WebhookDelivery.objects.filter(event="voucher.issued")
    codes = {d.payload["data"]["voucher"]["code"] for d in deliveries}
    assert codes == set(Voucher.objects.filter(vehicle__in=cars).values_list("code", flat=True))
