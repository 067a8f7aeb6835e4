"""A moderator's journey in a real browser: queue, top business, reveal, decide, audit log; the
decision survives the server being killed and started again."""

from __future__ import annotations

from tests.browser.conftest import choose, shoot, sign_in, wait_ready


def nav(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    wait_ready(page)


def main_text(page) -> str:
    """All text of the main area, the data grids' (hidden, accessible) cells included."""
    return page.locator('[data-testid="stMain"]').text_content()


def test_moderator_decides_and_the_decision_survives_a_restart(server, page):
    sign_in(page, server.url, "moderator")
    nav(page, "Review queue")
    page.get_by_text("per 1,000", exact=False).first.wait_for(state="attached", timeout=60_000)
    text = main_text(page)
    # the reasons explain each row in numbers, each naming the days it covers
    assert "per 1,000" in text and " over the " in text

    page.get_by_role("button", name="Next case").click()
    page.wait_for_url("**/business**")
    wait_ready(page)
    business = page.url.split("business=")[1].split("&")[0]
    assert page.get_by_role("button", name="Record the decision").count() == 1

    page.get_by_role("tab", name="Reported messages").click()
    reveal = page.get_by_text("Reveal the", exact=False)
    if reveal.count():
        reveal.first.click()
        wait_ready(page)
    shoot(page, "business-case")

    choose(page, "Decision", "Suspend")
    choose(page, "Policy", "Spam and unsolicited marketing")
    page.get_by_role("textbox", name="Rationale").fill("Cold marketing at scale; users report spam.")
    # Suspend is past the ladder's first step (a warning): the form asks why.
    page.get_by_role("textbox", name="Why not the ladder's step", exact=False).fill("A campaign, not a slip.")
    page.get_by_role("button", name="Record the decision").click()
    wait_ready(page)
    page.get_by_text("recorded", exact=False).first.wait_for()

    nav(page, "Audit log")
    page.get_by_text("decision: suspend", exact=True).first.wait_for(state="attached")
    log = main_text(page)
    assert "decision: suspend" in log and business in log

    # Kill the server outright and start it again: the confirmed decision is still there.
    server.kill()
    server.start()
    # The session lives in the moderation store and the browser kept its cookie: still signed in.
    page.goto(server.url)
    page.wait_for_selector('[data-testid="stSidebarNav"]')
    wait_ready(page)
    nav(page, "Audit log")
    page.get_by_text("decision: suspend", exact=True).first.wait_for(state="attached")
    log = main_text(page)
    assert "decision: suspend" in log and business in log


def test_moderator_tabs_show_html_names_as_text(server, page, world):
    import polars as pl

    truth = pl.read_csv(world / "w" / "truth.csv")
    names = pl.read_csv(world / "w" / "businesses.csv", infer_schema=False)
    planted = names.filter(pl.col("name").str.contains("<script>"))
    assert planted.height, "the generator plants a business whose name is HTML"
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, server.url, "moderator")
    page.goto(f"{server.url}/business?business={planted['business_id'][0]}")
    wait_ready(page)
    if page.get_by_role("textbox", name="Password").count():
        sign_in(page, f"{server.url}/business?business={planted['business_id'][0]}", "moderator")
    assert "<script>" in main_text(page) or page.get_by_text("<script>", exact=False).count()
    assert dialogs == []  # nothing ran
    assert truth.height
