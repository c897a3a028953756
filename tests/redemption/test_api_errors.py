"""Every API error is application/problem+json, titled in the request's language; the schema and docs."""

import json
import re

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils.translation import trans_real
from rest_framework.test import APIClient

from redemption.api.problems import catalogue

from .api_support import client_for, make_key, post, problem, scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    _key, plaintext = make_key()
    return client_for(plaintext)


@pytest.fixture
def zh_hant_title():
    """A zh-Hant catalogue entry for one title (the real catalogues are built by the lead)."""
    catalog = trans_real.translation("zh-hant")._catalog._catalogs[0]
    had = "Voucher not found" in catalog
    old = catalog.get("Voucher not found")
    catalog["Voucher not found"] = "找不到票券"
    yield "找不到票券"
    if had:
        catalog["Voucher not found"] = old
    else:
        del catalog["Voucher not found"]


def _unknown_code(partner):
    from vouchers.codes import _check_char

    body = "1" * 15
    return partner.get(f"/api/v1/vouchers/{body}{_check_char(body)}", HTTP_ACCEPT_LANGUAGE="en")


def test_problem_has_every_member(partner):
    response = _unknown_code(partner)
    body = problem(response)
    assert body["type"] == "http://testserver/api/problems/voucher_not_found"
    assert body["title"] == "Voucher not found"
    assert body["code"] == "voucher_not_found"
    assert body["status"] == 404
    assert body["detail"] == "No voucher has this code."
    assert body["instance"].startswith("/api/v1/vouchers/")


def test_title_follows_accept_language(partner, zh_hant_title):
    from vouchers.codes import _check_char

    url = f"/api/v1/vouchers/{'1' * 15}{_check_char('1' * 15)}"
    assert problem(partner.get(url, HTTP_ACCEPT_LANGUAGE="zh-Hant"))["title"] == zh_hant_title
    assert problem(partner.get(url, HTTP_ACCEPT_LANGUAGE="zh-TW,zh;q=0.9"))["title"] == zh_hant_title
    assert problem(partner.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.8"))["title"] == "Voucher not found"


def test_the_problem_type_uri_describes_the_code():
    client = APIClient()
    body = client.get("/api/problems/voucher_expired", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body == {"code": "voucher_expired", "status": 409, "title": "Expired"}
    listed = client.get("/api/problems/").json()
    assert [entry["code"] for entry in listed] == list(catalogue())
    assert problem(client.get("/api/problems/nonsense"))["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing",
        "/api/v1/vouchers/a/b/c",
        "/api/",
        "/api/v2/vouchers/issue",
        "/api/v1/webhooks/c%C3%B8%0A",  # an encoded newline: still under /api/, still a problem
    ],
)
def test_unknown_paths_are_problem_404s(path):
    response = APIClient().get(path)
    assert response.status_code == 404
    assert problem(response)["code"] == "not_found"


def test_wrong_method_is_405_with_allow(partner):
    s = scene()
    response = partner.delete(f"/api/v1/vouchers/{s.voucher.code}")
    assert response.status_code == 405
    assert problem(response)["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_non_json_body_is_415(partner):
    response = partner.post(
        "/api/v1/vouchers/issue",
        "definition=x",
        content_type="application/x-www-form-urlencoded",
        HTTP_IDEMPOTENCY_KEY="k-415",
    )
    assert response.status_code == 415
    assert problem(response)["code"] == "unsupported_media_type"


def test_malformed_json_is_a_validation_error(partner):
    response = partner.post(
        "/api/v1/vouchers/issue", "{not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-json"
    )
    assert response.status_code == 400
    body = problem(response)
    assert body["code"] == "validation_error" and body["errors"][0]["pointer"] == "#"


def test_a_json_array_body_is_a_validation_error(partner):
    response = post(partner, "/api/v1/vouchers/issue", ["definition"])
    assert response.status_code == 400
    assert problem(response)["code"] == "validation_error"


def test_html_only_client_gets_406_as_problem(partner):
    s = scene()
    response = partner.get(f"/api/v1/vouchers/{s.voucher.code}", HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert problem(response)["code"] == "not_acceptable"


def test_a_bug_is_a_problem_500_not_an_html_page(partner, monkeypatch):
    s = scene()

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("redemption.api.views.vouchers.voucher_from_path", explode)
    _key, plaintext = make_key()
    client = client_for(plaintext)
    client.raise_request_exception = False
    response = client.get(f"/api/v1/vouchers/{s.voucher.code}")
    assert response.status_code == 500
    body = problem(response)
    assert body["code"] == "server_error" and "boom" not in json.dumps(body)


def test_schema_documents_every_endpoint_and_its_problems():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    expected = {
        ("/api/v1/vouchers/issue", "post"),
        ("/api/v1/vouchers/{code}", "get"),
        ("/api/v1/vouchers/{code}/activate", "post"),
        ("/api/v1/vouchers/{code}/redeem", "post"),
        ("/api/v1/redemptions/{id}/reverse", "post"),
        ("/api/v1/vehicles/{vin}/vouchers", "get"),
    }
    assert expected <= {(p, m) for p, ops in paths.items() for m in ops}
    assert "Problem" in schema["components"]["schemas"]
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    redeem = paths["/api/v1/vouchers/{code}/redeem"]["post"]["responses"]
    for status in ("400", "401", "403", "404", "409", "422", "429"):
        assert redeem[status]["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }
    for code in ("voucher_exhausted", "voucher_expired", "vehicle_mismatch", "model_not_allowed"):
        assert code in redeem["409"]["description"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            errors = [s for s in operation["responses"] if s.startswith(("4", "5"))]
            assert errors, f"{method} {path} documents no error"


@pytest.mark.parametrize("path", ["/api/docs/", "/api/docs/redoc/"])
def test_docs_pages_load_their_scripts_from_our_own_static_files(path):
    """No CDN: the pages work offline and under a strict Content-Security-Policy."""
    page = APIClient().get(path)
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert any(src.endswith(".js") for src in sources), sources
    for src in sources:
        assert src.startswith(settings.STATIC_URL) or src.startswith("/" + settings.STATIC_URL), src
        assert finders.find(src.split(settings.STATIC_URL, 1)[1]), f"{src} is not among our static files"


def test_options_is_not_offered(partner):
    s = scene()
    response = partner.options(f"/api/v1/vouchers/{s.voucher.code}/activate")
    assert response.status_code == 405
    assert problem(response)["code"] == "method_not_allowed"


def test_lists_without_pagination_are_plain_arrays(partner):
    assert partner.get("/api/v1/webhooks", {"page": "x"}).json() == []


def test_a_body_over_the_upload_limit_is_413(partner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(partner, "/api/v1/vouchers/issue", {"definition": "x" * 2000})
    assert response.status_code == 413
    assert problem(response)["code"] == "payload_too_large"
