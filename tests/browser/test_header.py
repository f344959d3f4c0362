"""The header holds the modes, the quick search, the bell and the menus on one line at every common
screen width, in every language: no page scrolls sideways because of it."""

import pytest

from policydesk.accounts.choices import Role
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1024, 1366, 1920)


@pytest.mark.parametrize("language", ["ru", "az", "fa", "zh-hans", "en"])
def test_the_header_fits_the_screen_in_every_language(page, signed_in, language):
    # The administrator sees every mode and menu entry: the widest header there is.
    signed_in(UserFactory(username=f"admin-{language}", role=Role.ADMINISTRATOR, language=language,
                          first_name="Konstantin", last_name="Konstantinopolsky"))
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/")
        overflow = page.evaluate("document.documentElement.scrollWidth") - width
        assert overflow <= 0, f"the page is {overflow}px wider than a {width}px screen in {language}"
        # Every mode can still be reached: its link is visible, named by its label.
        assert page.locator("#nav .nav-mode:visible").count() >= 8
