"""Every surface answers with the Content-Security-Policy and a nonce of its own for each response;
inline <script>/<style> in what we render carry that nonce, and no element has a style attribute."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from config.csp import policy_for
from tests.factories import (
    DealerStaffFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    issue_voucher,
)
from tests.factories.staff import staff_user
from tests.portal.conftest import sign_in as owner_signed_in

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]{22,})'")


@pytest.fixture
def surfaces(settings):
    """(name, client, path) for a page of every surface, plus the error pages and the API."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    member = MemberFactory()
    owner_vehicle = OwnedVehicleFactory(owner=member)
    voucher = issue_voucher(DefinitionFactory(card_colour="#1F3A5F"), vehicle=owner_vehicle)
    owner = owner_signed_in(Client(), member)
    operator = Client()
    operator.force_login(staff_user("Operations", superuser=True))
    counter = Client()
    counter.force_login(DealerStaffFactory().user)
    anonymous = Client()
    definition = voucher.definition
    return [
        ("home", anonymous, "/"),
        ("portal sign-in", anonymous, reverse("portal:sign_in")),
        ("portal vehicle", owner, reverse("portal:vehicle", args=[owner_vehicle.pk])),
        ("portal voucher", owner, reverse("portal:voucher", args=[voucher.pk])),
        ("counter log-in", anonymous, reverse("counter:login")),
        ("counter vehicle", counter, reverse("counter:vehicle", args=[owner_vehicle.pk])),
        ("admin log-in", anonymous, reverse("admin:login")),
        ("admin list", operator, reverse("admin:vouchers_voucher_changelist")),
        ("admin change", operator, reverse("admin:vouchers_voucherdefinition_change", args=[definition.pk])),
        ("wizard", operator, reverse("admin:vouchers_voucherdefinition_wizard", args=[definition.pk, 4])),
        ("bulk issue", operator, reverse("admin:vouchers_voucherdefinition_bulk", args=[definition.pk])),
        ("swagger ui", anonymous, reverse("api:docs")),
        ("redoc", anonymous, reverse("api:redoc")),
        ("openapi schema", anonymous, reverse("api:schema")),
        ("api refusal", anonymous, reverse("api:voucher-detail", args=["NO-KEY"])),
        ("not found", anonymous, "/no-such-page/"),
        ("bad request", operator, reverse("admin:index") + "?q=%00"),
    ]


def header_nonce(response) -> str:
    policy = response["Content-Security-Policy"]
    nonces = set(NONCE.findall(policy))
    assert len(nonces) == 1, policy
    return nonces.pop()


def test_every_surface_has_the_policy_with_a_new_nonce_per_response(surfaces):
    for name, client, path in surfaces:
        first, second = client.get(path), client.get(path)
        assert first.status_code < 500, name
        policy = first["Content-Security-Policy"]
        directives = dict(part.split(" ", 1) for part in policy.split("; "))
        assert directives["default-src"] == "'self'", name
        assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'", name
        assert directives["frame-ancestors"] == "'none'" and directives["form-action"] == "'self'", name
        assert directives["img-src"] == "'self' data:", name
        nonce = header_nonce(first)
        assert f"'nonce-{nonce}'" in directives["script-src"], name
        assert f"'nonce-{nonce}'" in directives["style-src"], name
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, name
        assert header_nonce(second) != nonce, name


def test_inline_scripts_and_styles_we_render_carry_the_nonce_and_nothing_has_a_style_attribute(surfaces):
    for name, client, path in surfaces:
        response = client.get(path)
        if not response["Content-Type"].startswith("text/html"):
            continue
        html = response.content.decode()
        nonce = header_nonce(response)
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
            if "src=" not in tag and 'type="application/json"' not in tag:
                assert f'nonce="{nonce}"' in tag, (name, tag)
        assert not re.search(r"<[^>]+\sstyle=", html), name


def test_the_server_error_page_has_the_policy_too(settings):
    settings.ROOT_URLCONF = "tests.config.failing_urls"
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert header_nonce(response)


def test_debug_error_pages_go_without_it_as_they_inline_their_css_and_js(settings):
    settings.DEBUG = True
    assert "Content-Security-Policy" not in Client().get("/no-such-page/")
    assert "Content-Security-Policy" in Client().get(reverse("portal:sign_in"))


def test_only_redoc_gets_its_additions():
    assert "worker-src" in policy_for("/api/docs/redoc/")
    assert "worker-src" not in policy_for("/api/docs/")
    assert policy_for("/portal/")["style-src"] == ["'self'", "'nonce'"]


def test_no_template_has_inline_style_or_an_inline_script_without_the_nonce():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"\sstyle=", text), template
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", text):
            if "src=" not in tag:
                assert 'nonce="{{ request.csp_nonce }}"' in tag, (template, tag)
