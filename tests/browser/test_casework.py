"""A team's day in a real browser: a moderator escalates a case with a note and can no longer work
it; an admin (who works the senior queue) sees the strikes ladder's proposal, decides, and the next
case opens by itself; the admin's Queues page names who may work each queue, and a moderator is
refused it."""

from __future__ import annotations

import re

from tests.browser.conftest import choose, shoot, sign_in, wait_ready
from tests.browser.test_moderator import main_text, nav


def open_next_case(page) -> str:
    page.get_by_role("button", name="Next case").click()
    page.wait_for_url("**/business**")
    wait_ready(page)
    return page.url.split("business=")[1].split("&")[0]


def test_escalate_then_a_senior_decides_and_the_next_case_opens(server, page, browser):
    sign_in(page, server.url, "moderator")
    nav(page, "Review queue")
    business = open_next_case(page)
    page.get_by_text("the ladder proposes", exact=False).first.wait_for()
    page.get_by_text("Escalate, reassign or put on hold", exact=True).click()
    page.get_by_role("textbox", name="Why (a note on the case)").fill("Looks like a coordinated ring.")
    page.get_by_role("button", name="Escalate").click()
    wait_ready(page)
    page.get_by_text("is escalated to the senior queue", exact=False).first.wait_for()
    # The senior queue is the admins' by default: the moderator may no longer work the case.
    page.goto(f"{server.url}/business?business={business}")
    wait_ready(page)
    page.get_by_text("This business has a case in a queue you do not work", exact=False).first.wait_for()
    assert page.get_by_role("button", name="Record the decision").count() == 0

    admin = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    admin.set_default_timeout(90_000)
    sign_in(admin, f"{server.url}/business?business={business}", "admin")
    admin.goto(f"{server.url}/business?business={business}")
    wait_ready(admin)
    admin.get_by_text("in the senior queue", exact=False).first.wait_for()
    admin.get_by_role("button", name=re.compile(r"^Claim case \d+")).click()
    wait_ready(admin)
    # The form proposes the ladder's next step (a first strike is a warning) and shows policy titles.
    assert "the ladder's next step" in admin.get_by_role("combobox", name="Decision", exact=True).input_value()
    choose(admin, "Policy", "Scams and fraud")
    admin.get_by_role("textbox", name="Rationale").fill("Same fake-prize texts as the ring we banned.")
    shoot(admin, "business-escalated-case")
    admin.get_by_role("button", name="Record the decision").click()
    wait_ready(admin)
    admin.get_by_text("Warn recorded. Next: case", exact=False).first.wait_for()
    # The page now shows the next case's business.
    admin.wait_for_function("b => !location.search.includes('business=' + b)", arg=business)

    nav(admin, "Audit log")
    admin.get_by_text("case escalated", exact=True).first.wait_for(state="attached")
    log = main_text(admin)
    assert "Looks like a coordinated ring." in log and "decision: warn" in log

    nav(admin, "Queues")
    admin.get_by_text("Escalated cases", exact=False).first.wait_for(state="attached")
    page.goto(f"{server.url}/queues")
    wait_ready(page)
    assert "Escalated cases" not in main_text(page)
    admin.context.close()
