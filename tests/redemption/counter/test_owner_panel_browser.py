"""The owner panel in a real browser: shown with the car, accessible (axe), and it never takes the
focus from the search box (the counter is keyboard and scanner first)."""

import pytest

from tests.browser_checks import assert_accessible

from .test_browser import sign_in
from .test_owner_panel import car, full_panel, owner  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_owner_panel_is_accessible_and_leaves_the_focus_to_the_search_box(
    page,
    screenshot,
    advisor,
    car,  # noqa: F811
    full_panel,  # noqa: F811
):
    sign_in(page, advisor)
    page.goto(page.base_url + f"/counter/vehicles/{car.pk}/")
    panel = page.locator('[data-testid="owner-panel"]')
    panel.wait_for()

    assert page.evaluate("document.activeElement.id") == "counter-q"
    assert page.locator('[data-testid="owner-points"]').inner_text() == "1,250"
    assert panel.locator('[data-testid^="recent-"]').count() == 3
    screenshot(page, "owner-panel")
    assert_accessible(page)
