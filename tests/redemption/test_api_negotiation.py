"""The partner views' negotiation (redemption.api.negotiation) answers as DRF's default does for
every Accept header and format override, and skips DRF's ranking only where the answer is known."""

import pytest
from django.http import Http404
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from redemption.api.negotiation import SingleRendererNegotiation

ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "application/json; indent=4",
    "application/*",
    "*/*;q=0.8",
    "text/html",
    "text/html, application/json;q=0.9",
    "application/problem+json",
    "",
]


def _chosen(negotiation, accept, *, query="", renderers=(JSONRenderer,), suffix=None):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(f"/api/v1/vouchers{query}", **headers))
    try:
        renderer, media_type = negotiation.select_renderer(
            request, [r() for r in renderers], format_suffix=suffix
        )
    except NotAcceptable:
        return "406"
    except Http404:  # a format no renderer has
        return "404"
    return type(renderer), media_type


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("query", ["", "?format=json", "?format=api", "?page=2"])
def test_it_chooses_what_drf_chooses(accept, query):
    ours = _chosen(SingleRendererNegotiation(), accept, query=query)
    assert ours == _chosen(DefaultContentNegotiation(), accept, query=query)


@pytest.mark.parametrize("suffix", [None, "json", "api"])
def test_several_renderers_or_a_suffix_go_through_drf(suffix):
    both = (JSONRenderer, BrowsableAPIRenderer)
    for accept in ACCEPTS:
        assert _chosen(SingleRendererNegotiation(), accept, renderers=both, suffix=suffix) == _chosen(
            DefaultContentNegotiation(), accept, renderers=both, suffix=suffix
        )


def test_accepting_anything_or_json_skips_drfs_ranking(monkeypatch):
    monkeypatch.setattr(
        DefaultContentNegotiation, "select_renderer", lambda *a, **k: pytest.fail("ranked by DRF")
    )
    for accept in (None, "*/*", "application/json"):
        assert _chosen(SingleRendererNegotiation(), accept) == (JSONRenderer, "application/json")
