"""The moderation pages' widgets that act on cases: the store action each runs from its callback,
and what the next run tells the person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import streamlit as st

from trustdesk.accounts.auth import PermissionDenied, Principal
from trustdesk.moderation import review
from trustdesk.moderation.cases import ACTION_WORDS, ACTIONS, POLICIES, ModerationError
from trustdesk.web import session
from trustdesk.web.formats import store_moment


def attempt(flash: str, root: Path, success: str | Callable, fn: Callable, *args) -> None:
    """Run a store action from a widget's callback, so it acts on what the person saw when they
    clicked (someone may have changed the case since: the refusal says who); the message for the
    next run goes under `flash`. `success` is the message, or makes it (a text, or a (kind, text)
    pair) from the action's result."""
    try:
        result = fn(root, session.principal(), *args)
    except (ModerationError, PermissionDenied) as exc:
        st.session_state[flash] = ("warning", review.refusal(exc))
        return
    said = success(result) if callable(success) else success
    st.session_state[flash] = said if isinstance(said, tuple) else ("success", said)


def bulk_outcome(action: str, outcome: dict[int, str]) -> tuple[str, str]:
    """What deciding several cases did: which were decided, and why the others were refused."""
    decided = [c for c, result in outcome.items() if result == "decided"]
    refused = [result for result in outcome.values() if result != "decided"]
    cases = "case" if len(outcome) == 1 else "cases"
    text = f"{ACTION_WORDS[action]}: {len(decided):,} of {len(outcome):,} {cases} decided"
    text += f" ({', '.join(map(str, decided))})." if decided else "."
    if refused:
        return "warning", text + " Refused: " + " ".join(review.refusal(why) for why in refused)
    return "success", text


def case_label(case_id: int, row: dict) -> str:
    holder = f", claimed by {row['claimed_by']}" if row["claimed_by"] else ""
    return f"case {case_id} · {row['business_id']} · {row.get('name') or ''} ({row['status']}{holder})"


def decision_fields(prefix: str, rationale_help: str | None = None) -> None:
    """A decision form's decision, policy and rationale, under `{prefix}_action`, `_policy` and `_rationale`."""
    st.selectbox(
        "Decision",
        ACTIONS,
        index=None,
        format_func=ACTION_WORDS.get,
        key=f"{prefix}_action",
        placeholder="Choose a decision",
    )
    st.selectbox(
        "Policy",
        POLICIES,
        index=None,
        key=f"{prefix}_policy",
        placeholder="Choose the policy broken (not needed to dismiss)",
    )
    st.text_area("Rationale", key=f"{prefix}_rationale", help=rationale_help)


VERDICTS = {"Uphold the decision": "upheld", "Overturn the decision": "overturned"}


def case_panel(flash: str, root: Path, who: Principal, cases: review.CaseFile, as_of: date | None) -> dict | None:
    """The business's case and what the person may do with it: claim it, decide it (holding it),
    decide its appeal, or record an appeal against its last decision. Returns the active case."""
    state = st.session_state
    case = cases.active

    def act(success, fn, *args) -> None:
        attempt(flash, root, success, fn, *args)

    if case is not None and case["status"] in ("open", "claimed"):
        holder = cases.claimed_by(case)
        st.caption(
            f"Case {case['id']} opened {store_moment(case['opened_at'])} UTC, first flagged on "
            f"{case['flagged_on']}; risk score {case['risk_score'] or 0:.1f} when last seen in the queue."
        )
        st.text(f"Reasons: {case['reasons'] or '–'}")
        if holder is None:
            st.info(f"Case {case['id']} is open and nobody is working on it: claim it to decide it.")
            st.button(
                f"Claim case {case['id']}",
                type="primary",
                icon=":material/pan_tool:",
                key="claim_case",
                on_click=act,
                args=(f"You claimed case {case['id']}.", review.claim, case["id"]),
            )
        elif holder != who.name:
            st.warning(review.plain(f"Case {case['id']} is being worked on by {holder}; it is theirs to decide."))
        else:
            with st.form("decision"):
                st.caption(f"You hold case {case['id']}. Every decision but dismiss needs a policy and a rationale.")
                decision_fields("decision")
                st.form_submit_button(
                    "Record the decision",
                    type="primary",
                    key="decide",
                    on_click=lambda case_id=case["id"]: act(
                        lambda _: f"Case {case_id}: {ACTION_WORDS[state['decision_action']]} recorded.",
                        review.decide,
                        case_id,
                        state["decision_action"],
                        state["decision_policy"],
                        state["decision_rationale"],
                        as_of,
                    ),
                )
            st.button(
                "Release the case",
                icon=":material/undo:",
                key="release_case",
                on_click=act,
                args=(f"Case {case['id']} is back in the queue.", review.release, case["id"]),
            )
    elif case is not None and case["status"] == "appealed":
        first = cases.first_decision(case["id"]) or {}
        st.info(
            review.plain(
                f"Case {case['id']} is under appeal. The first decision, {ACTION_WORDS.get(first.get('action'), '?')} "
                f"by {first.get('decided_by', '?')}, is decided again by another moderator."
            )
        )
        with st.form("appeal_decision"):
            st.radio("The appeal", list(VERDICTS), key="appeal_verdict")
            st.text_area("Rationale", key="appeal_rationale")
            st.form_submit_button(
                "Decide the appeal",
                type="primary",
                key="decide_appeal",
                on_click=lambda case_id=case["id"]: act(
                    f"The appeal of case {case_id} is decided: the decision is {VERDICTS[state['appeal_verdict']]}.",
                    review.decide_appeal,
                    case_id,
                    state["appeal_verdict"].startswith("Overturn"),
                    state["appeal_rationale"],
                ),
            )
    else:
        _decided(cases, act)
    return case


def _decided(cases: review.CaseFile, act: Callable) -> None:
    decided = cases.latest_decided
    if decided is None:
        st.info("This business has no open case: it is not flagged now, or it was decided and not flagged since.")
        return
    first = cases.first_decision(decided["id"]) or {}
    st.info(
        review.plain(
            f"Case {decided['id']} was decided: {ACTION_WORDS.get(first.get('action'), '?')} by "
            f"{first.get('decided_by', '?')} on {store_moment(first.get('decided_at'))} UTC."
        )
    )
    with st.expander("Record an appeal from the business"), st.form("appeal"):
        st.text_area("What the business appeals against, in its words", key="appeal_text")
        st.form_submit_button(
            "Record the appeal",
            key="record_appeal",
            on_click=lambda case_id=decided["id"]: act(
                f"The appeal of case {case_id} is recorded; another moderator decides it.",
                review.appeal,
                case_id,
                st.session_state["appeal_text"],
            ),
        )


def note_form(flash: str, root: Path, case_id: int) -> None:
    with st.form("note", clear_on_submit=True):
        st.text_area(f"Add a note to case {case_id}", key="note_text")
        st.form_submit_button(
            "Add the note",
            key="add_note",
            on_click=lambda: attempt(
                flash, root, f"Note added to case {case_id}.", review.add_note, case_id, st.session_state["note_text"]
            ),
        )
