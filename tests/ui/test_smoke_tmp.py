import pytest
from tests.ui.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.postgres]


def test_smoke(stack, browser):
    page = login(browser, stack)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    screenshot(page, "smoke-list")
    page.goto(f"{stack.url}/dags/ui_demo")
    screenshot(page, "smoke-dag")
    page.goto(f"{stack.url}/dags/ui_demo?tab=code")
    screenshot(page, "smoke-code")
    assert not errors, errors
