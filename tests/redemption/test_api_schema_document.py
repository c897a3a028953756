"""The OpenAPI document itself: the same in every language, and usable by code generators."""

import json
import re

import pytest
from django.core.management import call_command
from django.test import Client

SCHEMA = "/api/schema/?format=json"
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def _schema(**headers) -> tuple[dict, object]:
    response = Client().get(SCHEMA, **headers)
    assert response.status_code == 200
    return json.loads(response.content), response


def _titles(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["title"]] if isinstance(node.get("title"), str) else []
        return found + [t for value in node.values() for t in _titles(value)]
    if isinstance(node, list):
        return [t for value in node for t in _titles(value)]
    return []


def _enum_names(document: dict) -> list[str]:
    return sorted(name for name, schema in document["components"]["schemas"].items() if "enum" in schema)


def _operation_ids(document: dict) -> list[str]:
    return sorted(op["operationId"] for methods in document["paths"].values() for op in methods.values())


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ACCEPT_LANGUAGE": "zh-Hant"},
        {"HTTP_ACCEPT_LANGUAGE": "zh-TW,zh;q=0.9"},
        {"QUERY_STRING": "format=json&lang=zh-hant"},
    ],
)
def test_the_schema_does_not_follow_the_request_language(headers):
    english, _ = _schema(HTTP_ACCEPT_LANGUAGE="en")
    other, response = _schema(**headers)

    assert sorted(other["components"]["schemas"]) == sorted(english["components"]["schemas"])
    assert _titles(other) == _titles(english)
    assert _enum_names(other) == _enum_names(english)
    assert _operation_ids(other) == _operation_ids(english)
    # Descriptions too: the document is generated in English whatever was asked.
    assert other == english
    assert response["Content-Language"] == "en"


def test_titles_and_names_are_english_identifiers():
    document, _ = _schema(HTTP_ACCEPT_LANGUAGE="zh-Hant")
    titles = _titles(document)

    assert len(titles) > 5
    assert not [title for title in titles if CJK.search(title) or not title.isascii()]
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name) for name in document["components"]["schemas"])
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", op_id) for op_id in _operation_ids(document))


def test_the_management_command_writes_the_same_english_schema(tmp_path):
    out = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--lang", "zh-hant", "--file", str(out))
    served, _ = _schema(HTTP_ACCEPT_LANGUAGE="en")

    written = json.loads(out.read_text())
    assert _titles(written) == _titles(served)
    assert written["components"]["schemas"]["Problem"] == served["components"]["schemas"]["Problem"]


def test_each_path_placeholder_is_declared_exactly_once():
    document, _ = _schema()
    checked = 0
    for path, methods in document["paths"].items():
        placeholders = re.findall(r"{([^}]+)}", path)
        for method, operation in methods.items():
            declared = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            assert sorted(declared) == sorted(placeholders), (method, path, declared)
            checked += bool(placeholders)
    assert checked >= 8  # the webhook, voucher, redemption, vehicle and problem paths


def test_filter_values_use_the_shared_enums():
    document, _ = _schema()
    operation = document["paths"]["/api/v1/vehicles/{vin}/vouchers"]["get"]
    items = {p["name"]: p["schema"].get("items") for p in operation["parameters"] if p["in"] == "query"}

    assert items["status"] == {"$ref": "#/components/schemas/VoucherStatusEnum"}
    assert items["category"] == {"$ref": "#/components/schemas/CategoryEnum"}
