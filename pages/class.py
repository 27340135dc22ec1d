"""The presenter's page, /class: compose the lesson, then watch the class board live.

Only on a server started with ``$PLAYGROUND_PRESENTER_KEY`` (``app.py`` lists it for nobody: the
presenter types its address), and only after the key is typed in this session.  Everything
it shows comes from ``ui.classroom`` through the ``Session``; the board redraws every
``BOARD_SECONDS`` in a fragment, reading the numbers the runs' workers write, so training
never waits for it.  Not for maths or files (``ui.classroom``) nor figures (``ui.figures``).
"""

from dataclasses import asdict
from urllib.parse import urlsplit

import numpy as np
import streamlit as st

from nn.settings import SETTINGS
from ui import classroom, figures, lesson
from ui.routing import through_app
from ui.session import session
from ui.train_controls import settings_widgets

through_app()  # a first request to a fresh server runs this page on its own: go through app.py

BOARD_SECONDS = 2.0  # the board follows the runs at least this often
# The page the board asked to open, switched to by a whole-page run: a switch from inside the board's fragment could
# meet its 2 s timer, whose request, merged with the switch's, reran this page instead and left the new one blank.
OPEN_NEXT = "class_open_next"
LABELS = {f.name: f.metadata["label"] for f in SETTINGS}
me = session()


def key_form():
    """Ask for the presenter key; on the right one, rerun as the presenter."""
    st.caption("This page is for the workshop's presenter. Attendees: the Train page is yours.")
    with st.form("presenter", border=False, clear_on_submit=True):
        typed = st.text_input("Presenter key", type="password", key="presenter_key",
                              help="The key the server was started with ($PLAYGROUND_PRESENTER_KEY).")
        entered = st.form_submit_button("Enter", type="primary")
    if entered:
        why = me.enter_key(typed)
        if why is None:
            st.rerun()
        st.error(why)


def compose():
    """Compose the lesson (settings, locked and hidden controls, a challenge), publish it, show its link and QR."""
    now = me.class_lesson()
    st.caption("Choose the settings the class starts from, which controls it may not change or does not see, and "
               "a challenge. Publishing gives a link for the room; runs are compared with the published lesson.")
    left, right = st.columns(2, gap="large")
    with left:
        config, error = settings_widgets(values=now.values, prefix="lesson_")
        if error:
            st.error(error)
    with right:
        locked = st.multiselect("Locked: shown, not changeable", list(LABELS), default=list(now.locked),
                                format_func=LABELS.get, key="lesson_locked")
        hidden = st.multiselect("Hidden: not shown, the lesson's value is used", list(LABELS),
                                default=list(now.hidden), format_func=LABELS.get, key="lesson_hidden")
        challenge = st.selectbox("Challenge", list(classroom.CHALLENGES), index=list(classroom.CHALLENGES).index(
            now.challenge), format_func=lambda c: classroom.CHALLENGES[c].menu, key="lesson_challenge")
        limit = challenge_limit(challenge, now)
        summary = st.checkbox("Show the board's leaderboard to attendees", value=now.show_summary,
                              key="lesson_summary", help="Nicknames and accuracies only, on their Train page.")
        if st.button("Publish the lesson", key="publish_lesson", type="primary", disabled=config is None):
            now = me.publish_lesson(asdict(config), locked, hidden, challenge, limit, summary)
            st.success("Published: links to an earlier lesson still open, but runs are compared with this one.")
    if now.id:
        address = urlsplit(st.context.url or "http://localhost:8501")
        link = lesson.link(f"{address.scheme}://{address.netloc}/train", now.values, now.locked, now.hidden, now.id)
        st.subheader("The lesson's link")
        st.markdown(f"## `{link}`")
        st.image(figures.qr.qr_png(link), width=360, caption="Point a phone's camera here")


def challenge_limit(challenge, now):
    """Draw the challenge's limit (weights, or a validation accuracy); return it, or None without a challenge."""
    default = classroom.CHALLENGES[challenge].limit
    start = now.limit if now.challenge == challenge and now.limit is not None else default
    if challenge == "small":
        return st.number_input("At most this many weights", 1_000, 10_000_000, int(start), 1_000, key="lesson_limit")
    if challenge == "fast":
        return st.number_input("Validation accuracy to reach (%)", 50.0, 99.9, 100 * start, 0.5,
                               key="lesson_limit_acc") / 100
    return None


def board():
    """Draw the leaderboard, every run's validation curve, and the class's confusion matrix; poll them."""

    @st.fragment(run_every=BOARD_SECONDS)
    def live():
        board_now = me.class_board()
        lesson_now, runs, rows = board_now.lesson, board_now.runs, board_now.rows
        if lesson_now.challenge != "none":
            st.markdown(f"**Challenge:** {lesson_now.challenge_text()}")
        if not rows:
            st.info("No runs on the board yet: attendees who give a nickname on the Train page join it when they "
                    "press Start.", icon="👥")
            return
        st.caption(f"{len(rows)} runs · redrawn every {BOARD_SECONDS:g} s")
        hidden = {"run_id"} | ({"score"} if lesson_now.challenge == "none" else set())
        table = [{k: v for k, v in row.items() if k not in hidden} for row in rows]
        st.dataframe(table, hide_index=True, key="leaderboard", column_config={
            "val acc": st.column_config.NumberColumn(format="percent"),
            "test acc": st.column_config.NumberColumn(format="percent"),
            "weights": st.column_config.NumberColumn(format="localized"),
            "score": st.column_config.NumberColumn(help=lesson_now.challenge_text())})
        st.plotly_chart(figures.training.class_curves(runs, [r["run_id"] for r in rows]), key="class_curves",
                        config=figures.STATIC)
        if board_now.finished:
            st.markdown(f"**The class's confusion matrix**, summed over {board_now.finished} finished runs")
            st.container(key="class_confusion").image(  # large enough for the back of the room
                figures.training.confusion(np.array(board_now.confusion), scale=1.6), output_format="PNG")
        choose(rows)
        st.download_button("Export the board (CSV)", board_now.csv, file_name="class-board.csv",
                           mime="text/csv", key="export_board")

    live()


def choose(rows):
    """Let the presenter open one attendee's network read-only on the Weights and Draw pages."""
    labels = {row["run_id"]: f"{row['nickname']} · {row['status']}" for row in rows}
    nicknames = {row["run_id"]: row["nickname"] for row in rows}
    row = st.container(horizontal=True, vertical_alignment="bottom")
    chosen = row.selectbox("Look at what this network learned", list(labels), format_func=labels.get,
                           key="board_run")
    for label, page in (("Open on Weights", "pages/weights.py"), ("Open on Draw", "pages/draw.py")):
        if row.button(label, key=f"view_{page}"):
            if me.view_run(chosen, nicknames[chosen]) is None:
                st.error("That run cannot be read any more: it was deleted or is still starting.")
            else:
                st.session_state[OPEN_NEXT] = page
                st.rerun()  # the whole page, which switches (below) before the board's timer is set again


if (asked := st.session_state.pop(OPEN_NEXT, None)) is not None:
    st.switch_page(asked)
st.title("👩‍🏫 Class")
if not classroom.enabled():
    st.info("Classroom mode is off: start the server with a presenter key (PLAYGROUND_PRESENTER_KEY) to use it.")
elif not me.presenter:
    key_form()
else:
    board_tab, lesson_tab = st.tabs(["Class board", "Lesson"])
    with board_tab:
        board()
        if st.button("Clear the board for the next group", key="clear_board",
                     help="Takes every run off the board; attendees keep their runs."):
            me.clear_board()
            st.rerun()
    with lesson_tab:
        compose()
