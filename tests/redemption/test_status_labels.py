"""Redemption.status_label_of: the label get_status_display() writes, in the active language."""

import pytest
from django.utils import translation

from redemption.models import Redemption


@pytest.mark.parametrize("language", ["zh-hant", "en"])
def test_every_status_has_the_label_get_status_display_writes_in_the_active_language(language):
    with translation.override(language):
        for value, _label in Redemption.Status.choices:
            assert Redemption.status_label_of(value) == Redemption(status=value).get_status_display()


def test_the_labels_follow_the_language_switched_to_after_a_first_use():
    with translation.override("en"):
        english = Redemption.status_label_of(Redemption.Status.COMPLETED)
    with translation.override("zh-hant"):
        chinese = Redemption.status_label_of(Redemption.Status.COMPLETED)
        assert chinese == Redemption(status=Redemption.Status.COMPLETED).get_status_display()
    with translation.override("en"):
        again = Redemption.status_label_of(Redemption.Status.COMPLETED)
    assert english == again == "Completed"
    assert chinese != english


def test_a_status_outside_the_choices_is_written_as_stored():
    with translation.override("en"):
        assert Redemption.status_label_of("migrated") == "migrated"
        assert Redemption.status_label_of("migrated") == Redemption(status="migrated").get_status_display()
