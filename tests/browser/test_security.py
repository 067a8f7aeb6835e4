"""The security review's attacks, replayed against `trustdesk serve` on loopback (issue 15), and the
session a person keeps across reloads and tabs (issue 10)."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, Server, sign_in, wait_ready
from tests.worlds import td
from trustdesk.accounts import auth


def signed_out(page) -> None:
    expect(page.get_by_role("textbox", name="Password")).to_be_visible()
    expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)


def nav(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    wait_ready(page)


# ----------------------------------------------------------------------------- sessions


def test_a_reload_and_a_new_tab_stay_signed_in_until_sign_out(server, page):
    sign_in(page, server.url + "/spam_reports", "analyst")
    # The cookie arrives just after sign-in; it is HttpOnly and SameSite=Strict.
    for _ in range(600):  # Playwright has no waiter for cookies
        cookies = {c["name"]: c for c in page.context.cookies()}
        if auth.SESSION_COOKIE in cookies:
            break
        page.wait_for_timeout(100)
    cookie = cookies[auth.SESSION_COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("() => document.cookie").find(auth.SESSION_COOKIE) == -1

    page.reload()
    wait_ready(page)
    assert page.locator("h1").first.inner_text().strip() == "Spam reports"
    expect(page.get_by_text("Signed in as analyst (analyst)")).to_be_visible()

    other = page.context.new_page()
    other.goto(server.url + "/overview")
    wait_ready(other)
    assert other.locator("h1").first.inner_text().strip() == "Overview"

    page.get_by_role("button", name="Sign out").click()
    signed_out(page)
    page.reload()
    wait_ready(page)
    signed_out(page)
    # The other tab is signed out at its next interaction, and stays so after a reload.
    other.reload()
    wait_ready(other)
    signed_out(other)


def test_a_removed_admin_cannot_create_an_admin_from_an_open_tab(server, page):
    root = server.root
    auth.upsert_account(root, "temp-admin", "admin", PASSWORD)
    sign_in(page, server.url, "temp-admin")
    nav(page, "Accounts")
    assert td(root, "users", "remove", "temp-admin").returncode == 0
    page.get_by_role("textbox", name="Name", exact=True).fill("sneaky-admin")
    page.get_by_role("textbox", name="Password (leave empty", exact=False).fill("a long password 123")
    page.get_by_role("button", name="Save").click()
    signed_out(page)
    expect(page.get_by_text("Your account was removed")).to_be_visible()
    assert "sneaky-admin" not in [a["name"] for a in auth.list_accounts(root)]


def test_a_demoted_moderator_loses_the_queue_in_an_open_tab(server, page):
    root = server.root
    auth.upsert_account(root, "temp-mod", "moderator", PASSWORD)
    sign_in(page, server.url, "temp-mod")
    nav(page, "Audit log")
    auth.upsert_account(root, "temp-mod", "analyst", actor="test")
    page.reload()
    wait_ready(page)
    signed_out(page)
    sign_in(page, server.url, "temp-mod")
    nav_text = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Review queue" not in nav_text and "Audit log" not in nav_text
    auth.remove_account(root, "temp-mod")


# ----------------------------------------------------------------------------- uploads


async def _anonymous_session(url: str) -> tuple[str, str]:
    """Open Streamlit's websocket as a script would, never signing in: (session id, xsrf cookie)."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    with urllib.request.urlopen(url + "/_stcore/health", timeout=30) as r:
        xsrf = [
            h.split(";")[0].split("=", 1)[1] for h in r.headers.get_all("set-cookie") if h.startswith("_streamlit_xsrf")
        ][0]
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(
        ws_url, subprotocols=["streamlit", xsrf], origin=url, additional_headers={"Cookie": f"_streamlit_xsrf={xsrf}"}
    ) as ws:
        back = BackMsg()
        back.rerun_script.query_string = ""
        await ws.send(back.SerializeToString())
        for _ in range(200):
            msg = ForwardMsg()
            msg.ParseFromString(await asyncio.wait_for(ws.recv(), 60))
            if msg.WhichOneof("type") == "new_session":
                return msg.new_session.initialize.session_id, xsrf
    raise AssertionError("no new_session message")


def _put(url: str, session_id: str, xsrf: str, size: int) -> tuple[int, str]:
    boundary = "trustdesk-test"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n"
        ).encode()
        + b"x" * size
        + f"\r\n--{boundary}--\r\n".encode()
    )
    req = urllib.request.Request(
        f"{url}/_stcore/upload_file/{session_id}/file-1",
        data=body,
        method="PUT",
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-Xsrftoken": xsrf,
            "Cookie": f"_streamlit_xsrf={xsrf}",
            "Origin": url,
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_a_session_that_never_signed_in_cannot_upload(server):
    # Playwright's sync API owns this thread's event loop: the client runs in a thread of its own.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        session_id, xsrf = pool.submit(asyncio.run, _anonymous_session(server.url)).result(120)
    status, body = _put(server.url, session_id, xsrf, 200_000)
    assert status == 403, body
    assert "signed-in moderator" in json.loads(body)["error"]


# ----------------------------------------------------------------------------- headers and errors


def test_pages_send_framing_and_sniffing_protection(server):
    with urllib.request.urlopen(server.url + "/", timeout=30) as r:
        headers = {k.lower(): v for k, v in r.headers.items()}
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_another_site_cannot_frame_the_sign_in_form(server, page):
    page.set_content(f'<iframe id="f" src="{server.url}/" width="800" height="600"></iframe>')
    page.wait_for_timeout(3000)  # give a frame every chance to render; then nothing must be in it
    frame = page.frame_locator("#f")
    assert frame.locator("input[type=password]").count() == 0


@pytest.fixture
def broken_server(tmp_path):
    from etl import store
    from tests.worlds import BUSINESSES, MESSAGES, build

    root, _ = build(tmp_path, businesses=BUSINESSES, messages=MESSAGES)
    auth.upsert_account(root, "analyst", "analyst", PASSWORD)
    assert store.read_pointer(root) is not None
    # A warehouse file that is not a database (a disk fault, a bad copy): no page can draw.
    for wh in (root / "warehouse").glob("wh-*.duckdb"):
        wh.write_bytes(b"this is not a duckdb file" * 200)
    srv = Server(root)
    srv.start()
    yield srv
    srv.kill()


def test_a_page_error_shows_an_id_and_no_traceback(broken_server, page):
    srv = broken_server
    page.goto(srv.url + "/spam_reports")
    page.get_by_role("textbox", name="Name").fill("analyst")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Something went wrong on this page (error", exact=False)).to_be_visible()
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "Traceback" not in body and ".py" not in body and 'File "' not in body
    error_id = body.split("(error ")[1].split(")")[0]
    for _ in range(100):
        if f"page error {error_id}" in srv.log.read_text():
            break
        page.wait_for_timeout(100)
    assert f"page error {error_id}" in srv.log.read_text()
