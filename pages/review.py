"""Review queue: addresses where what partners noticed meets an early-warning rule, for a person to decide."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import review
from dashboard.auth import log_once
from dashboard.context import ensure_shell, get_store
from dashboard.downloads import export_button, reason_input
from dashboard.messages import markdown_literal, show_error
from geo.access.roles import can
from geo.core.errors import NestwatchError

session = ensure_shell("review")

st.title("Review queue")
st.caption(
    "Addresses where what partners noticed (lock changes, repairs, neighbours' complaints, visits with no access) "
    "meets an early-warning rule and that are not flagged yet. Nestwatch never flags an address by itself: "
    "you flag it, dismiss it or book a joint visit, with a reason. OFFICIAL-SENSITIVE: for the operational team."
)
done: review.Done | None = st.session_state.pop("rv_done", None)
if done is not None:
    (st.success if done.ok else st.error)(markdown_literal(done.text))  # an address is partner text

try:
    found = review.queue()
except NestwatchError as exc:
    show_error(exc)
    st.stop()
if found.as_of is None:
    st.info(
        "No partner signals are loaded: import a housing repairs export or a complaints log "
        "(`python -m geo import signals FILE.csv`, or the Load data page)."
    )
    st.stop()
log_once(session, action="view_layer", target="review:queue", rows=len(found.queue))
st.caption(f"On {found.basis}.")

with st.expander("The rules, and how often each has been met", expanded=found.queue.empty):
    st.dataframe(review.rules_table(found), hide_index=True, width="stretch")
    st.caption(
        "An address is on the queue when a rule is met on the queue's day: the signals dated in the rule's "
        "window up to and including it meet the count. Weight: 2 for each rule met, 2 in or next to a hot spot, "
        "1 in or next to an emerging hot spot, 1 within 100 m of a closure order granted in the last year."
    )

if found.queue.empty:
    st.info("No address meets a rule today that is not already flagged, dismissed or decided.")
    st.stop()

n = len(found.queue)
st.subheader(f"{n} address{'es' if n != 1 else ''} to review")
st.table(review.table(found))

st.subheader("Decide")
# offered by their keys: an address that has left the queue (flagged, dismissed) cannot stay chosen
names = dict(zip(found.queue["key"], review.labels(found.queue), strict=True))
choice = st.selectbox("Address", list(names), format_func=names.__getitem__, key="rv_address", help="Heaviest first.")
row: pd.Series = found.queue[found.queue["key"] == choice].iloc[0]
facts = {
    "Why it is here": row["rules"],
    "Signals": row["signals"],  # sources and addresses are partner text: shown character for character
    "Around it": row["context"],
    "Status": row["status"],
    "A flag would record": review.indicator_words(row["indicators"]),
}
for heading, text in facts.items():
    if text:
        st.markdown(f"**{heading}:** {markdown_literal(str(text))}")
reason = st.text_input(
    "Reason",
    key="rv_reason",
    placeholder="e.g. agreed at the Tuesday partnership meeting",
    help="Every decision is logged with its reason.",
).strip()


def _decide(action: str) -> None:
    # a button's callback: runs before the next script run, with the reason box's value in place
    text = str(st.session_state.get("rv_reason") or "").strip()
    st.session_state["rv_done"] = review.decide(row, action, reason=text, user=session.user, role=session.role.name)
    if st.session_state["rv_done"].ok:
        st.session_state["rv_reason"] = ""


for column, (action, words) in zip(st.columns(3), review.BUTTONS.items(), strict=True):
    column.button(
        words,
        key=f"rv_{action}",
        on_click=_decide,
        args=(action,),
        disabled=not reason,
        type="primary" if action == "flagged" else "secondary",
        width="stretch",
    )
if not reason:
    st.caption("Give a reason to decide.")

st.subheader("Take the agenda to the meeting")
if not can(session.role, "export:review_agenda"):
    st.caption("Your role cannot export the agenda.")
    st.stop()
why = reason_input(
    "Why are you taking the agenda away?",
    key="rv_export_reason",
    placeholder="e.g. weekly partnership meeting",
    help="The agenda names addresses: every export is logged with this reason.",
)
export_button(st, review.agenda(found), reason=why, session=session, store=get_store())
