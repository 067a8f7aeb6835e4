"""The moderation pages' widgets that act on cases: the store action each runs from its callback,
and what the next run tells the person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import streamlit as st

from trustdesk.accounts.auth import PermissionDenied, Principal
from trustdesk.moderation import policies, review
from trustdesk.moderation.cases import ACTION_WORDS, ACTIONS, ModerationError
from trustdesk.web import business_picker, columns, session
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
    state = f"claimed by {row['claimed_by']}" if row["claimed_by"] else row["status"]
    if row["claimed_by"] and row["status"] == "appealed":
        state = f"appealed, claimed by {row['claimed_by']}"
    return f"case {case_id} · {row['business_id']} · {row.get('name') or ''} ({state})"


def decision_fields(
    prefix: str, root: Path, rationale_help: str | None = None, proposed: str | None = None, likely: str | None = None
) -> None:
    """A decision form's decision, policy, rationale and reason for leaving the ladder, under
    `{prefix}_action`, `_policy`, `_rationale` and `_override`. Policies show their titles, and what
    each covers is one click away."""
    chosen = policies.listed(root)
    live = [p for p in chosen if p.active]
    st.selectbox(
        "Decision",
        ACTIONS,
        index=ACTIONS.index(proposed) if proposed in ACTIONS else None,
        format_func=lambda a: ACTION_WORDS[a] + (" (the ladder's next step)" if a == proposed else ""),
        key=f"{prefix}_action",
        placeholder="Choose a decision",
    )
    codes = [p.code for p in live]
    st.selectbox(
        "Policy",
        codes,
        index=codes.index(likely) if likely in codes else None,
        format_func={p.code: p.title for p in chosen}.get,
        key=f"{prefix}_policy",
        placeholder="Choose the policy broken (not needed to dismiss)",
        help=" ".join(f"**{p.title}**: {p.description}" for p in live),
    )
    with st.expander("What each policy covers"):
        for p in live:
            st.markdown(f"**{review.plain(p.title)}** — {review.plain(p.description)}")
    st.text_area("Rationale", key=f"{prefix}_rationale", help=rationale_help)
    st.text_input(
        "Why not the ladder's step (only when you choose another action than it proposes)",
        key=f"{prefix}_override",
        help="The strikes ladder is warn → restrict → pause templates → suspend → ban, one step per live strike",
    )


VERDICTS = {"Uphold the decision": "upheld", "Overturn the decision": "overturned"}
# The case ids of the Review queue's current view (None: no filter), for the next case after a decision.
VIEW_CASES = "view_case_ids"


def open_next(root: Path, who: Principal, done: str) -> tuple[str, str]:
    """After a decision: claim the next case and make it the business the page opens, when the
    person wants that (their setting); the message says what happened."""
    if not review.next_after_decision(root, who):
        return "success", done
    # Within the view the person chose on the Review queue, when they chose one.
    nxt = review.next_case(root, who, st.session_state.get(VIEW_CASES))
    if nxt is None:
        return "success", done + " No other case is waiting."
    business_picker.select(nxt["business_id"])
    return "success", done + review.plain(f" Next: case {nxt['id']} ({nxt['business_id']}), claimed for you.")


def strikes_line(cases: review.CaseFile) -> str:
    n = len(cases.strikes)
    live = ", ".join(f"{ACTION_WORDS[s['action']]} {store_moment(s['decided_at'])[:10]}" for s in cases.strikes)
    head = f"{n} live {'strike' if n == 1 else 'strikes'}" + (f" ({live})" if n else "")
    return f"{head}; the ladder proposes **{ACTION_WORDS[cases.proposed]}**."


def case_panel(flash: str, root: Path, who: Principal, cases: review.CaseFile, as_of: date | None) -> dict | None:
    """The business's case and what the person may do with it: claim it, decide it (holding it),
    escalate, reassign or hold it, decide its appeal, or record an appeal against its last decision.
    Returns the active case."""
    case = cases.active

    def act(success, fn, *args) -> None:
        attempt(flash, root, success, fn, *args)

    st.markdown("Strikes: " + strikes_line(cases))
    if case is None and cases.hidden:
        st.info("This business has a case in a queue you do not work; a moderator of that queue decides it.")
        return None
    if case is not None and case["status"] in ("open", "claimed"):
        _open_case(flash, root, who, cases, case, as_of, act)
    elif case is not None and case["status"] == "appealed":
        _appeal_panel(cases, case, act, who)
    else:
        _decided(cases, act)
    return case


def _open_case(flash, root, who, cases: review.CaseFile, case: dict, as_of, act) -> None:
    state = st.session_state
    holder = cases.claimed_by(case)
    st.caption(
        f"Case {case['id']} in the {case['queue']} queue, opened {store_moment(case['opened_at'])} UTC, first "
        f"flagged on {case['flagged_on']}; risk score {case['risk_score'] or 0:.1f} when last seen in the queue."
    )
    st.text(f"Reasons: {case['reasons'] or '–'}")
    if case["held_at"]:
        st.warning(
            review.plain(
                f"On hold since {store_moment(case['held_at'])} UTC by {case['held_by']}: {case['hold_reason']}"
            )
        )
        st.button(
            "Resume the case",
            icon=":material/play_circle:",
            key="resume_case",
            on_click=act,
            args=(f"Case {case['id']} is back in the queue.", review.resume, case["id"]),
        )
    if case["held_at"]:
        pass  # resume it first: a case on hold is nobody's to claim
    elif holder is None:
        st.info(f"Case {case['id']} is open and nobody is working on it: claim it to decide it.")
        st.button(
            f"Claim case {case['id']}",
            type="primary",
            icon=":material/pan_tool:",
            key="claim_case",
            shortcut="Alt+K",
            help="Shortcut: Alt+K",
            on_click=act,
            args=(f"You claimed case {case['id']}.", review.claim, case["id"]),
        )
    elif holder != who.name:
        st.warning(review.plain(f"Case {case['id']} is being worked on by {holder}; it is theirs to decide."))
    else:
        # Each case's form has its own fields, so the next case never opens with this one's answers.
        key = f"case{case['id']}"

        def decided(_, case_id=case["id"]):
            done = f"Case {case_id}: {ACTION_WORDS[state[key + '_action']]} recorded."
            return open_next(root, who, done)

        with st.form("decision"):
            st.caption(
                f"You have claimed case {case['id']}. Every decision but dismiss needs a policy and a rationale "
                "(the likely policy is chosen for you; check it). Ctrl+Enter records it."
            )
            decision_fields(key, root, proposed=cases.proposed, likely=case["suggested_policy"])
            st.form_submit_button(
                "Record the decision",
                type="primary",
                key="decide",
                shortcut="Ctrl+Enter",
                on_click=lambda case_id=case["id"]: act(
                    decided,
                    review.decide,
                    case_id,
                    state[key + "_action"],
                    state[key + "_policy"],
                    state[key + "_rationale"],
                    as_of,
                    state[key + "_override"],
                ),
            )
        st.toggle(
            "Open the next case after a decision",
            value=cases.next_after_decision,
            key="next_after_decision",
            on_change=lambda: review.set_next_after_decision(root, session.principal(), state["next_after_decision"]),
        )
        st.button(
            "Release the case",
            icon=":material/undo:",
            key="release_case",
            shortcut="Alt+L",
            help="Shortcut: Alt+L",
            on_click=act,
            args=(f"Case {case['id']} is back in the queue.", review.release, case["id"]),
        )
    _route_forms(cases, case, holder, who, act)


def _route_forms(cases: review.CaseFile, case: dict, holder: str | None, who: Principal, act) -> None:
    """Escalate, reassign or hold: for the case's holder, anyone while it is unclaimed, and admins."""
    if holder not in (None, who.name) and who.role != "admin":
        return
    state = st.session_state
    others = [q for q in cases.queues if q["name"] != case["queue"]]
    with st.expander("Escalate, reassign or put on hold"):
        esc, give, hold = st.tabs(["Escalate", "Reassign", "Hold"])
        with esc:
            if not others:
                st.caption("There is no other queue to escalate to: an admin adds queues on the Queues page.")
            else:
                with st.form("escalate"):
                    st.selectbox(
                        "To the queue",
                        [q["name"] for q in others],
                        format_func={q["name"]: q["title"] for q in others}.get,
                        key="escalate_queue",
                    )
                    st.text_area("Why (a note on the case)", key="escalate_note")
                    st.form_submit_button(
                        "Escalate",
                        icon=":material/trending_up:",
                        key="escalate",
                        on_click=lambda case_id=case["id"]: act(
                            f"Case {case_id} is escalated to the {state['escalate_queue']} queue.",
                            review.escalate,
                            case_id,
                            state["escalate_note"],
                            state["escalate_queue"],
                        ),
                    )
        with give:
            people = [p for p in cases.workers if p != holder]
            if not people:
                st.caption("Nobody else may work this case's queue.")
            else:
                with st.form("reassign"):
                    st.selectbox("To", people, index=None, key="reassign_to", placeholder="Choose a moderator")
                    st.form_submit_button(
                        "Reassign",
                        icon=":material/person_pin:",
                        key="reassign",
                        on_click=lambda case_id=case["id"]: act(
                            lambda _: f"Case {case_id} is now {state['reassign_to']}'s.",
                            review.reassign,
                            case_id,
                            state["reassign_to"],
                        ),
                    )
        with hold:
            if case["held_at"]:
                st.caption("The case is on hold; resume it above.")
            else:
                with st.form("hold"):
                    st.text_input("Why (e.g. waiting for the business's documents)", key="hold_reason")
                    st.form_submit_button(
                        "Put on hold",
                        icon=":material/pause_circle:",
                        key="hold",
                        on_click=lambda case_id=case["id"]: act(
                            f"Case {case_id} is on hold; Next case skips it until someone resumes it.",
                            review.hold,
                            case_id,
                            state["hold_reason"],
                        ),
                    )


def _first_decision_words(first: dict) -> str:
    return (
        f"{ACTION_WORDS.get(first.get('action'), '?')} under {first.get('policy') or 'no policy'} by "
        f"{first.get('decided_by', '?')} on {store_moment(first.get('decided_at'))} UTC"
    )


def _appeal_panel(cases: review.CaseFile, case: dict, act, who: Principal) -> None:
    state = st.session_state
    first = cases.first_decision(case["id"]) or {}
    st.info(
        review.plain(
            f"Case {case['id']} is under appeal since {store_moment(case['appealed_at'])} UTC. The first decision, "
            f"{_first_decision_words(first)}, is decided again by another moderator."
        )
    )
    st.markdown("**What the business says**")
    st.text(case["appeal_text"] or "(the appeal was recorded before its text was kept: see the audit log)")
    st.markdown("**The first decision's rationale**")
    st.text(first.get("rationale") or "–")
    earlier = cases.earlier_decisions(case["id"])
    st.markdown("**The business's earlier decisions**")
    if earlier.is_empty():
        st.caption("None: this is its first decided case.")
    else:
        st.dataframe(earlier, hide_index=True, width="stretch", column_config=columns.DECISIONS)
    if first.get("decided_by") == who.name:
        st.caption("You took the first decision: another moderator decides this appeal.")
        return
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


def _decided(cases: review.CaseFile, act: Callable) -> None:
    decided = cases.latest_decided
    if decided is None:
        st.info("This business has no open case: it is not flagged now, or it was decided and not flagged since.")
        return
    first = cases.first_decision(decided["id"]) or {}
    st.info(review.plain(f"Case {decided['id']} was decided: {_first_decision_words(first)}."))
    outcome = cases.appeal_decision(decided["id"])
    if outcome is not None:
        verdict = "overturned" if outcome["overturned"] else "upheld"
        (st.success if outcome["overturned"] else st.warning)(
            review.plain(
                f"The business appealed ({decided['appeal_text'] or 'text not kept'}). The appeal was decided "
                f"on {store_moment(outcome['decided_at'])} UTC by {outcome['decided_by']}: the decision is "
                f"{verdict}. {outcome['rationale']}"
            )
        )
        return
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
