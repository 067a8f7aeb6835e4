"""The upload gate's decisions (trustdesk/server.py): who may upload, and how much (issue 15.2).
The browser test replays the anonymous upload against a real server; these cover every branch."""

from __future__ import annotations

import pytest

from trustdesk.accounts import auth
from trustdesk.web import server, uploadgate

PASSWORD = "correct horse battery"


@pytest.fixture
def root(tmp_path, monkeypatch):
    r = tmp_path / "data"
    auth.upsert_account(r, "mona", "moderator", PASSWORD)
    auth.upsert_account(r, "ana", "analyst", PASSWORD)
    monkeypatch.setenv("TRUSTDESK_DATA", str(r))
    yield r
    for sid in uploadgate.known():
        uploadgate.revoke(sid)


def session_of(root, name):
    who, _ = auth.open_session(root, auth.sign_in(root, name, PASSWORD))
    return who


def test_an_unknown_streamlit_session_may_not_upload(root):
    assert server.check_upload("never-signed-in", "PUT", "10")[0] == 403


def test_a_signed_in_moderator_may_upload_within_the_limit(root):
    mona = session_of(root, "mona")
    uploadgate.allow("tab-1", root, mona.session)
    assert server.check_upload("tab-1", "PUT", "1000") is None
    limit = server.upload_limit()
    status, sentence = server.check_upload("tab-1", "PUT", str(limit.request_bytes + 1))
    assert status == 413 and f"{limit.mib:,} MiB" in sentence
    assert server.check_upload("tab-1", "PUT", None)[0] == 411
    assert server.check_upload("tab-1", "PUT", "lots")[0] == 400


def test_uploads_stop_when_the_session_ends_or_the_role_changes(root):
    mona = session_of(root, "mona")
    uploadgate.allow("tab-1", root, mona.session)
    auth.upsert_account(root, "mona", "analyst", actor="admin")
    status, sentence = server.check_upload("tab-1", "PUT", "1000")
    assert status == 403 and "changed" in sentence
    assert uploadgate.lookup("tab-1") is None  # and the permission is gone for good


def test_an_analyst_session_registered_by_mistake_is_still_refused(root):
    ana = session_of(root, "ana")
    uploadgate.allow("tab-2", root, ana.session)
    assert server.check_upload("tab-2", "PUT", "10")[0] == 403


def test_held_bytes_are_bounded_per_session_and_in_total(root, monkeypatch):
    mona = session_of(root, "mona")
    uploadgate.allow("tab-1", root, mona.session)
    limit = server.upload_limit().request_bytes
    held = {"tab-1": limit - 10, None: limit - 10}
    monkeypatch.setattr(server, "_held_bytes", lambda s=None: held.get(s, 0))
    assert server.check_upload("tab-1", "PUT", "100")[0] == 413  # this session holds too much
    uploadgate.allow("tab-3", root, mona.session)
    held[None] = server.TOTAL_UPLOAD_FILES * limit - 10
    assert server.check_upload("tab-3", "PUT", "100")[0] == 503  # the server holds too much
    held[None] = 0
    assert server.check_upload("tab-3", "PUT", "100") is None
