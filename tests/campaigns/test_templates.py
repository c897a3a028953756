"""Message templates: seeded in both languages, editable, validated, rendered in a sandbox."""

import pytest

from campaigns.messages import MessageTemplateError, default_keys, message_render, template_check
from campaigns.models import MessageTemplate
from campaigns.services import message_template_save, message_templates_seed

pytestmark = pytest.mark.django_db


def test_every_message_has_a_seeded_template_in_both_languages():
    keys = {k for k, _ in default_keys()}
    assert keys >= {
        "login_code",
        "expiry_reminder",
        "unused_value",
        "service_reminder",
        "birthday",
        "win_back",
    }
    for key in keys:
        assert set(MessageTemplate.objects.filter(key=key).values_list("language", flat=True)) == {
            "zh-hant",
            "en",
        }


def test_an_edited_template_is_what_owners_get():
    row = MessageTemplate.objects.get(key="unused_value", language="zh-hant")
    message_template_save(template=row, subject="未使用", body="{{ name }}：還有 {{ count }} 張")
    rendered = message_render(key="unused_value", language="zh-hant", context={"name": "陳", "count": 3})
    assert (rendered.subject, rendered.body) == ("未使用", "陳：還有 3 張")


def test_invalid_template_refused_and_nothing_saved():
    row = MessageTemplate.objects.get(key="unused_value", language="en")
    before = row.body
    with pytest.raises(MessageTemplateError):
        message_template_save(template=row, subject="x", body="{% if %}")
    row.refresh_from_db()
    assert row.body == before


@pytest.mark.parametrize(
    "source", ['{% include "base.html" %}', "{% load static %}{% static 'x' %}", '{% extends "base.html" %}']
)
def test_sandbox_cannot_load_files_or_libraries(source):
    with pytest.raises(MessageTemplateError):
        template_check(source)
        message_render(key="x", language="en", context={}, source=("", source))


def test_no_html_escaping_in_text_messages():
    rendered = message_render(
        key="x", language="en", context={"name": "A & B <C>"}, source=("", "{{ name }}")
    )
    assert rendered.body == "A & B <C>"


def test_seed_restores_missing_and_with_reset_edited_defaults():
    MessageTemplate.objects.filter(key="birthday", language="en").delete()
    row = MessageTemplate.objects.get(key="birthday", language="zh-hant")
    row.body = "edited"
    row.save()
    assert message_templates_seed() == (1, 0)
    assert MessageTemplate.objects.get(pk=row.pk).body == "edited"
    assert message_templates_seed(reset=True) == (0, 1)
    assert MessageTemplate.objects.get(pk=row.pk).body != "edited"


@pytest.mark.parametrize("active", [None, "zh-hant", "en"])
def test_each_message_is_rendered_in_its_owners_language_whatever_is_active(active):
    """Dates and the text follow the owner's language whether the job runs with no language, the
    same one or another active; the active language is as it was afterwards."""
    from datetime import date

    from django.utils import translation

    from campaigns.messages import date_text, in_language

    source = ("", "{{ when|date }}")
    context = {"when": date(2026, 12, 31)}
    with translation.override(active):
        zh = message_render(key="k", language="zh-hant", context=context, source=source).body
        en = message_render(key="k", language="en", context=context, source=source).body
        with in_language("en"):
            assert translation.get_language() == "en"
        assert translation.get_language() == active
    assert zh == "2026年12月31日"
    assert en == "Dec. 31, 2026"
    assert date_text(date(2026, 12, 31), "zh-hant") == "2026/12/31"


def test_no_language_switch_for_the_language_already_in_use():
    from unittest import mock

    from django.utils import translation

    with (
        translation.override("en"),
        mock.patch.object(translation, "activate", wraps=translation.activate) as switched,
    ):
        message_render(key="k", language="en", context={}, source=("", "{{ site_url }}"))
        assert switched.call_count == 0
        message_render(key="k", language="zh-hant", context={}, source=("", "{{ site_url }}"))
        assert switched.call_count == 2  # there and back
