import streamlit as st

from trustdesk.moderation import policies, review
from trustdesk.web import casework, page, session

viewer = session.require("admin")
root = session.data_root()
st.title("Policies")
st.caption(
    "The policies a moderator names when deciding a case. Moderators see each policy's title wherever they choose "
    "one, and its description one click away, so write the description for them: what the policy covers and the "
    "signals to look for. The DSA category and ground are what the transparency export reports for decisions under "
    "the policy. A policy is never deleted, only retired: decisions already taken keep it."
)
FLASH = "policies_flash"
state = st.session_state
page.flash(FLASH)

catalogue = policies.listed(root)
st.dataframe(
    [
        {
            "code": p.code,
            "title": p.title,
            "state": "active" if p.active else "retired",
            "description": p.description,
            "category": policies.DSA_CATEGORIES.get(p.dsa_category, p.dsa_category),
            "ground": p.dsa_ground,
            "legal_ground": p.legal_ground,
        }
        for p in catalogue
    ],
    hide_index=True,
    width="stretch",
    column_config={
        "code": st.column_config.TextColumn("Code", help="What decisions and the export record"),
        "title": st.column_config.TextColumn("Title", help="What moderators see where they choose a policy"),
        "state": st.column_config.TextColumn("State", help="Only active policies can be chosen for a new decision"),
        "description": st.column_config.TextColumn("Description", width="large"),
        "category": st.column_config.TextColumn("DSA category"),
        "ground": st.column_config.TextColumn("DSA ground", help="illegal content, or incompatible with the terms"),
        "legal_ground": st.column_config.TextColumn("Legal ground", help="For illegal content: the law relied on"),
    },
)

NEW = "(a new policy)"
codes = [p.code for p in catalogue]
titles = {p.code: p.label for p in catalogue}
chosen = st.selectbox("Change", [*codes, NEW], format_func=lambda c: titles.get(c, c), key="policy_pick")
current = next((p for p in catalogue if p.code == chosen), None) or policies.Policy(
    "", "", "", "STATEMENT_CATEGORY_OTHER_VIOLATION_TC", "incompatible", "", True
)
categories = list(policies.DSA_CATEGORIES)
# Keys carry the policy's code, so choosing another policy shows its own saved values.
key = f"policy_{chosen}"


def save() -> None:
    code = state[f"{key}_code"].strip() if chosen == NEW else chosen
    if chosen == NEW and code in codes:
        state[FLASH] = (
            "warning",
            review.plain(f"There is a policy {code} already; choose it under Change to edit it."),
        )
        return
    casework.attempt(
        FLASH,
        root,
        review.plain(f"Policy {code} saved."),
        policies.save,
        code,
        state[f"{key}_title"],
        state[f"{key}_description"],
        state[f"{key}_category"] or "",
        state[f"{key}_ground"],
        state[f"{key}_legal"],
        state[f"{key}_active"],
    )
    if chosen == NEW and state[FLASH][0] == "success":
        # show the new policy as saved, and an empty form the next time a new one is started
        state["policy_pick"] = code
        for field in ("code", "title", "description", "category", "ground", "legal", "active"):
            state.pop(f"{key}_{field}", None)


with st.form(key):
    st.text_input(
        "Code (lowercase letters, digits, _; cannot change later)",
        current.code,
        key=f"{key}_code",
        disabled=chosen != NEW,
    )
    st.text_input("Title", current.title, key=f"{key}_title", max_chars=policies.TITLE_MAX)
    st.text_area(
        "Description for moderators", current.description, key=f"{key}_description", max_chars=policies.DESCRIPTION_MAX
    )
    st.selectbox(
        "DSA category (statement of reasons)",
        categories,
        index=categories.index(current.dsa_category) if current.dsa_category in categories else None,
        format_func=policies.DSA_CATEGORIES.get,
        key=f"{key}_category",
    )
    st.radio(
        "DSA ground",
        policies.GROUNDS,
        index=policies.GROUNDS.index(current.dsa_ground),
        format_func=policies.GROUND_WORDS.get,
        key=f"{key}_ground",
    )
    st.text_input(
        "Legal ground (for illegal content: the law and article relied on)",
        current.legal_ground,
        key=f"{key}_legal",
        max_chars=policies.LEGAL_GROUND_MAX,
    )
    st.checkbox("Active: moderators may choose it for new decisions", current.active, key=f"{key}_active")
    st.form_submit_button("Save the policy", type="primary", on_click=lambda: save())
