"""Partner API keys: creation (printed once, stored hashed), Bearer authentication, scopes,
revocation, and the per-key rate limit."""

import hashlib
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.utils import translation

from members.models import RateLimitBucket
from redemption.admin.partners import ApiKeyAdmin
from redemption.api_keys import ApiKeyInvalid, api_key_authenticate, api_key_create, api_key_revoke
from redemption.partner_models import ApiKey
from tests.factories import DealerFactory, UserFactory

from .api_support import client_for, make_key, post, problem, scene

pytestmark = pytest.mark.django_db


def test_create_api_key_prints_the_key_once_and_stores_only_a_hash():
    DealerFactory(code="TPE01")
    out = StringIO()
    call_command(
        "create_api_key", "--name", "dms", "--scopes", "read,redeem", "--dealers", "TPE01", stdout=out
    )
    plaintext = next(line for line in out.getvalue().splitlines() if line.startswith("svk_"))
    api_key = ApiKey.objects.get(name="dms")
    assert api_key.scopes == ["read", "redeem"]
    assert [d.code for d in api_key.dealers.all()] == ["TPE01"]
    secret = plaintext.split("_", 2)[2]
    assert api_key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiKey.objects.filter(pk=api_key.pk).values().get())
    assert api_key_authenticate(plaintext) == api_key


def test_create_api_key_quiet_prints_only_the_key():
    out = StringIO()
    call_command(
        "create_api_key", "--name", "ci", "--scopes", "read", "--rate-limit", "5", "--quiet", stdout=out
    )
    assert out.getvalue().strip().startswith("svk_")
    assert ApiKey.objects.get(name="ci").rate_limit_per_minute == 5


@pytest.mark.parametrize(
    "arguments",
    [
        ["--name", "x", "--scopes", "read,write"],
        ["--name", "x", "--scopes", ""],
        ["--name", "x", "--scopes", "read", "--dealers", "NOPE"],
        ["--name", "x", "--scopes", "read", "--rate-limit", "0"],
    ],
)
def test_create_api_key_refuses_bad_input(arguments):
    with pytest.raises(CommandError):
        call_command("create_api_key", *arguments, stdout=StringIO())
    assert not ApiKey.objects.exists()


def test_key_names_are_unique():
    make_key("shop")
    with pytest.raises(ApiKeyInvalid):
        api_key_create(name="shop", scopes=["read"])


def test_authenticate_refuses_near_misses():
    _key, plaintext = make_key()
    mark, prefix, secret = plaintext.split("_", 2)
    assert api_key_authenticate(f"{mark}_{prefix}_{secret}x") is None
    assert api_key_authenticate(f"{mark}_{prefix}0_{secret}") is None
    assert api_key_authenticate(f"other_{prefix}_{secret}") is None
    assert api_key_authenticate(secret) is None
    assert api_key_authenticate("") is None


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer svk_nothing_here", "Basic dXNlcjpwYXNz", "Bearer a b", "Token svk_x_y"],
)
def test_missing_or_wrong_key_is_401(authorization):
    s = scene()
    client = client_for(None)
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    response = client.get(f"/api/v1/vouchers/{s.voucher.code}")
    assert response.status_code == 401
    assert problem(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_revoked_key_is_401_and_its_webhooks_stop():
    s = scene()
    api_key, plaintext = make_key()
    api_key.webhook_endpoints.create(url="https://partner.example/hook", secret="s" * 32)
    client = client_for(plaintext)
    assert client.get(f"/api/v1/vouchers/{s.voucher.code}").status_code == 200
    api_key_revoke(api_key=api_key, reason="leaked")
    response = client.get(f"/api/v1/vouchers/{s.voucher.code}")
    assert response.status_code == 401
    assert not api_key.webhook_endpoints.filter(is_active=True).exists()


def test_admin_action_revokes_keys():
    api_key, plaintext = make_key()
    model_admin = ApiKeyAdmin(ApiKey, admin.site)
    request = RequestFactory().post("/")
    request.user = UserFactory(is_staff=True, is_superuser=True, username="ops-lin")
    request._messages = type("M", (), {"add": lambda *a, **k: None})()
    with translation.override("en"):
        model_admin.revoke(request, ApiKey.objects.filter(pk=api_key.pk))
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert api_key.revoked_reason == "由 ops-lin 於後台撤銷。"
    assert api_key_authenticate(plaintext) is None


@pytest.mark.parametrize(
    ("scopes", "method", "path_kind"),
    [
        (["issue", "redeem"], "get", "voucher"),
        (["read", "redeem"], "post", "issue"),
        (["read", "redeem"], "post", "activate"),
        (["read", "issue"], "post", "redeem"),
        (["read", "issue"], "post", "reverse"),
        (["issue", "redeem"], "get", "vehicle"),
    ],
)
def test_missing_scope_is_403(scopes, method, path_kind):
    s = scene()
    paths = {
        "voucher": f"/api/v1/vouchers/{s.voucher.code}",
        "issue": "/api/v1/vouchers/issue",
        "activate": f"/api/v1/vouchers/{s.voucher.code}/activate",
        "redeem": f"/api/v1/vouchers/{s.voucher.code}/redeem",
        "reverse": "/api/v1/redemptions/1/reverse",
        "vehicle": f"/api/v1/vehicles/{s.vehicle.vin}/vouchers",
    }
    _key, plaintext = make_key(scopes=scopes)
    client = client_for(plaintext)
    response = client.get(paths[path_kind]) if method == "get" else post(client, paths[path_kind], {})
    assert response.status_code == 403
    assert problem(response)["code"] == "permission_denied"


@pytest.mark.usefixtures("one_rate_limit_window")
def test_rate_limit_per_key_answers_429_with_retry_after():
    s = scene()
    _key, plaintext = make_key(rate_limit=3)
    client = client_for(plaintext)
    url = f"/api/v1/vouchers/{s.voucher.code}"
    remaining = [client.get(url)["RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    response = client.get(url)
    assert response.status_code == 429
    assert problem(response)["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another key has its own budget.
    _other, other_plaintext = make_key(rate_limit=3)
    assert client_for(other_plaintext).get(url).status_code == 200


@pytest.mark.usefixtures("one_rate_limit_window")
def test_rate_limit_default_comes_from_settings(settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    s = scene()
    _key, plaintext = make_key()
    client = client_for(plaintext)
    assert client.get(f"/api/v1/vouchers/{s.voucher.code}").status_code == 200
    assert client.get(f"/api/v1/vouchers/{s.voucher.code}").status_code == 429


@pytest.mark.usefixtures("one_rate_limit_window")
def test_failed_authentications_are_rate_limited_per_address(settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    client = client_for("svk_abc_wrong")
    codes = [client.get("/api/v1/webhooks").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    assert RateLimitBucket.objects.filter(key__startswith="api-auth-failed:").exists()


def test_admin_pages_for_keys_and_webhooks_render(client):
    api_key, _plaintext = make_key()
    endpoint = api_key.webhook_endpoints.create(url="https://partner.example/hook", secret="s" * 32)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for path in (
        "/admin/redemption/apikey/",
        f"/admin/redemption/apikey/{api_key.pk}/change/",
        "/admin/redemption/webhookendpoint/",
        f"/admin/redemption/webhookendpoint/{endpoint.pk}/change/",
        "/admin/redemption/webhookdelivery/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert api_key.secret_hash not in response.content.decode()
    change_page = client.get(f"/admin/redemption/webhookendpoint/{endpoint.pk}/change/").content.decode()
    assert "s" * 32 not in change_page
    assert client.get("/admin/redemption/apikey/add/").status_code == 403
