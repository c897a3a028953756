"""The problem catalogue (/api/problems/) is built from the exception classes: every code the API can
answer with has a page, in both languages, and the schema and docs name only catalogued codes."""

import ast
import gc
import importlib
import json
import re
from pathlib import Path

import grimp
import pytest
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions

import redemption.api.problems as problems_module
from config.errors import DomainError
from redemption.api.problems import (
    API_REACHABLE_APPS,
    FALLBACK_TITLE,
    catalogue,
    domain_problem_types,
    problem_from_exception,
)
from vouchers.eligibility import Reason
from vouchers.exceptions import VoucherNotUsable

from .api_support import client_for, make_key, post, problem

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff]")
DOCUMENTED_CODES = re.compile(r"code: ((?:`[a-z_]+`(?:, )?)+)")


def _api_import_closure() -> set[str]:
    """Every module the partner API imports, directly or not (static, so imports inside functions too)."""
    graph = grimp.build_graph(*sorted(API_REACHABLE_APPS | {"campaigns", "portal"}), cache_dir=None)
    return graph.find_upstream_modules("redemption.api", as_package=True) | graph.find_descendants(
        "redemption.api"
    )


def _reachable_domain_codes() -> dict[str, tuple[int, type]]:
    """code -> (status, class) for every DomainError defined in a module the API imports."""
    closure = _api_import_closure()
    for module in closure:
        importlib.import_module(module)
    found = {}
    for module in closure:
        for value in vars(importlib.import_module(module)).values():
            if not (isinstance(value, type) and issubclass(value, DomainError) and value is not DomainError):
                continue
            if value.__module__ != module or value.http_status == 400:
                continue
            codes = (
                [reason.value for reason in Reason] if issubclass(value, VoucherNotUsable) else [value.code]
            )
            found.update(dict.fromkeys(codes, (value.http_status, value)))
    return found


def _codes_emitted_by_the_api_layer() -> set[str]:
    """Codes the handlers give literally: `Problem(status, code, ...)` anywhere under redemption/api."""
    codes = set()
    for path in (ROOT / "redemption" / "api").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            is_problem = isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Problem"
            if not is_problem or len(node.args) < 2:
                continue
            code = node.args[1]
            if isinstance(code, ast.Constant):
                codes.add(code.value)
            elif isinstance(code, ast.Name) and code.id.isupper():
                codes.add(getattr(problems_module, code.id))
    return codes


def test_every_domain_error_the_api_can_reach_is_catalogued():
    reachable = _reachable_domain_codes()

    assert {"webhook_endpoint_exists", "voucher_expired", "idempotency_request_in_progress"} <= set(reachable)
    missing = {code: cls.__name__ for code, (_status, cls) in reachable.items() if code not in catalogue()}
    assert not missing
    wrong_status = {code for code, (status, _cls) in reachable.items() if catalogue()[code].status != status}
    assert not wrong_status


def test_every_code_the_api_layer_answers_with_is_catalogued():
    raised = [
        exceptions.APIException(),
        exceptions.ValidationError({"field": ["bad"]}),
        exceptions.ParseError(),
        exceptions.AuthenticationFailed(),
        exceptions.NotAuthenticated(),
        exceptions.PermissionDenied(),
        exceptions.NotFound(),
        exceptions.MethodNotAllowed("PATCH"),
        exceptions.NotAcceptable(),
        exceptions.UnsupportedMediaType("text/plain"),
        exceptions.Throttled(3),
        Http404(),
        DjangoPermissionDenied(),
        RequestDataTooBig(),
        SuspiciousOperation(),
    ]
    # Every DRF exception class is in the list above (a new one in an upgrade must be added).
    drf_classes = {
        c for c in vars(exceptions).values() if isinstance(c, type) and issubclass(c, exceptions.APIException)
    }
    assert drf_classes <= {type(exc) for exc in raised}

    answered = [problem_from_exception(exc) for exc in raised]
    for answer in answered:
        assert answer.code in catalogue(), answer
        assert catalogue()[answer.code].status == answer.status, answer
    literal = _codes_emitted_by_the_api_layer()
    assert {"payload_too_large", "validation_error"} <= literal
    assert literal <= set(catalogue())
    assert "server_error" in catalogue()  # what a bug answers (problem_exception_handler)


@pytest.mark.django_db
def test_each_catalogued_code_has_a_page_in_both_languages():
    client = Client()
    for code, entry in catalogue().items():
        english = client.get(f"/api/problems/{code}", HTTP_ACCEPT_LANGUAGE="en")
        chinese = client.get(f"/api/problems/{code}", HTTP_ACCEPT_LANGUAGE="zh-Hant")

        assert english.status_code == chinese.status_code == 200, code
        with translation.override("en"):
            assert english.json() == {"code": code, "status": entry.status, "title": str(entry.title)}
        assert english.json()["title"] != str(FALLBACK_TITLE), code
        assert CJK.search(chinese.json()["title"]), (code, chinese.json())
    listed = client.get("/api/problems/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert [entry["code"] for entry in listed] == list(catalogue())


@pytest.mark.django_db
def test_a_refusal_names_a_type_that_can_be_fetched(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    _key, plaintext = make_key()
    client = client_for(plaintext)
    body = {"url": "http://127.0.0.1:9/hook"}
    assert post(client, "/api/v1/webhooks", body).status_code == 201

    refused = problem(post(client, "/api/v1/webhooks", body, HTTP_ACCEPT_LANGUAGE="en"))

    assert refused["code"] == "webhook_endpoint_exists"
    page = Client().get(refused["type"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.json()["title"] == refused["title"] == "Webhook endpoint already registered"


@pytest.mark.django_db
def test_the_schema_documents_only_catalogued_codes_under_their_status():
    schema = json.loads(Client().get("/api/schema/?format=json").content)
    documented = 0
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                match = DOCUMENTED_CODES.search(response["description"])
                assert match, (method, path, status)
                for code in re.findall(r"`([a-z_]+)`", match.group(1)):
                    assert code in catalogue(), (method, path, code)
                    assert catalogue()[code].status == int(status), (method, path, code)
                    documented += 1
    assert documented > 50


def test_the_docs_list_the_catalogue():
    text = (ROOT / "docs" / "api.md").read_text()
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \| ([^|]+) \|$", text, re.M)
    expected = []
    with translation.override("en"):
        for code, entry in sorted(catalogue().items(), key=lambda item: (item[1].status, item[0])):
            expected.append((code, str(entry.status), str(entry.title)))

    assert [(code, status, title.strip()) for code, status, title in rows] == expected


def _throwaway(module: str, **attributes) -> type:
    return type("Throwaway", (DomainError,), {"__module__": module, **attributes})


def test_a_new_domain_error_is_catalogued_without_being_listed():
    served = catalogue()  # cached before the throwaway classes exist
    cls = _throwaway(
        "redemption.somewhere", code="brand_new_refusal", title=_("Something new"), http_status=409
    )
    outside = _throwaway("portal.somewhere", code="portal_only_refusal", http_status=409)
    bad_request = _throwaway("vouchers.somewhere", code="finer_400_code", http_status=400)
    try:
        built = catalogue.__wrapped__()
        assert built["brand_new_refusal"].status == 409
        assert "portal_only_refusal" not in built
        assert "finer_400_code" not in built
        assert built == {**served, "brand_new_refusal": built["brand_new_refusal"]}
    finally:
        del cls, outside, bad_request
        gc.collect()
    assert "brand_new_refusal" not in {p.code for p in domain_problem_types()}


def test_one_code_with_two_statuses_is_refused():
    catalogue()  # cached before the clashing class exists
    clash = _throwaway("vouchers.somewhere", code="voucher_not_found", http_status=409)
    try:
        with pytest.raises(ImproperlyConfigured, match="voucher_not_found"):
            catalogue.__wrapped__()
    finally:
        del clash
        gc.collect()
