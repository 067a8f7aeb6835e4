import streamlit as st

from trustdesk.moderation import campaign_cases, review, risk
from trustdesk.web import cache, casework, columns, page, session

who = session.require("moderator")
wh = page.start("Campaigns")
page.footer(wh)
FLASH, OUTCOME, PICK, PARAM = "campaigns_flash", "campaign_outcome", "campaign_pick", "campaign"
state = st.session_state
page.flash(FLASH)

board = campaign_cases.board(wh, who, cache.cached)
st.caption(
    f"Accounts that send the same template texts to overlapping recipients, found over "
    f"{risk.span(board.date_from, board.date_to)}; listed while one of their accounts is in the review queue "
    "(up to the last day in the data). Each account is decided on its own case; a campaign decision records "
    "one decision per account."
)

# The campaign comes from the link (?campaign=ID), else from the choice on the page.
requested = st.query_params.get(PARAM)
if requested and state.get("campaign_requested") != requested:
    state["campaign_requested"] = requested
    state[PICK] = requested
options = board.table["campaign_id"].to_list()
if state.get(PICK) and state[PICK] not in options:
    if board.campaign(state[PICK]) is None:
        st.warning(review.refusal(campaign_cases.unknown(state[PICK], board.date_from, board.date_to)))
        del state[PICK]
    else:
        options.insert(0, state[PICK])  # decided since: its accounts left the queue, the campaign stays readable

if board.empty:
    st.info(
        "No coordinated campaign in the current queue: campaigns appear when accounts send the same template "
        "texts to overlapping recipients."
    )
else:
    st.dataframe(
        columns.with_link(board.table, "campaign_id", "campaigns", PARAM, "campaign_link").select(
            *columns.CAMPAIGN_LIST
        ),
        hide_index=True,
        width="stretch",
        column_config=columns.CAMPAIGN_LIST,
    )
if not options:
    st.stop()

sentences = dict(zip(board.table["campaign_id"], board.table["sentence"], strict=True))
chosen = st.selectbox(
    "Campaign",
    options,
    index=None,
    key=PICK,
    format_func=lambda c: f"{c} · {sentences.get(c, 'no account in the queue now')}",
    placeholder="Choose a campaign to open",
)
if chosen != requested and (chosen or requested):
    if chosen:
        st.query_params[PARAM] = chosen
    else:
        del st.query_params[PARAM]
    state["campaign_requested"] = chosen
if not chosen:
    st.stop()

file = board.campaign(chosen)
st.subheader(f"Campaign {file.campaign_id}")
st.markdown(review.plain(file.sentence[:1].upper() + file.sentence[1:]) + ".")
st.markdown(f"**Shared template** `{review.plain(file.template)}`; one of its texts:")
st.text(file.text)
if len(file.templates) > 1:
    st.caption(
        "Other templates its accounts share: "
        + review.plain(", ".join(t for t in file.templates if t != file.template))
    )

st.markdown(f"**Its {file.size:,} accounts**")
st.dataframe(
    columns.with_link(file.accounts, "business_id", "business", "business", "business_link").select(
        *columns.CAMPAIGN_ACCOUNTS
    ),
    hide_index=True,
    width="stretch",
    column_config=columns.CAMPAIGN_ACCOUNTS,
)

last = state.pop(OUTCOME, None)
if last and last[0] == file.campaign_id:
    st.markdown("**What the last campaign decision did**")
    st.dataframe(last[1], hide_index=True, width="stretch", column_config=columns.CAMPAIGN_OUTCOME)

st.subheader("Decide the whole campaign")
if not file.open_cases:
    st.info("None of its accounts has an open case you may decide: each is decided, under appeal or in another queue.")
    st.stop()


def decided(outcome: dict[str, str]) -> tuple[str, str]:
    state[OUTCOME] = (file.campaign_id, campaign_cases.outcome_table(outcome))
    return campaign_cases.outcome_words(state["campaign_action"], outcome)


with st.form("campaign_decision"):
    st.caption(
        f"One decision for each of the {file.size:,} accounts: each open case gets its own decision and audit "
        "line naming the campaign; an account that cannot be decided says why. The strikes ladder counts each "
        "account's own strikes: another step than an account's needs a reason."
    )
    casework.decision_fields(
        "campaign", wh.root, "Every decision but dismiss needs a written rationale; it is recorded on each account"
    )
    st.checkbox(f"Apply to all {file.size:,} accounts", key="campaign_confirm")
    st.form_submit_button(
        "Decide the campaign",
        type="primary",
        key="decide_campaign",
        on_click=lambda: casework.attempt(
            FLASH,
            wh,
            decided,
            campaign_cases.decide_campaign,
            file.campaign_id,
            state["campaign_action"],
            state["campaign_policy"],
            state["campaign_rationale"],
            state["campaign_override"],
            state["campaign_confirm"],
            cache.cached,
        ),
    )
