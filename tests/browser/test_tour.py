"""Every page, signed in as an admin, opens without an error and is photographed for the README."""

from __future__ import annotations

import re

from tests.browser.conftest import shoot, sign_in, wait_ready
from trustdesk.web.navigation import pages_for


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def test_every_page_opens_for_an_admin(server, page):
    sign_in(page, server.url, "admin")
    for spec in pages_for("admin"):
        page.locator('[data-testid="stSidebarNav"]').get_by_text(spec.title, exact=True).click()
        wait_ready(page)
        errors = page.locator('[data-testid="stException"]')
        assert errors.count() == 0, f"{spec.title}: {errors.first.inner_text()}"
        shoot(page, slug(spec.title))
