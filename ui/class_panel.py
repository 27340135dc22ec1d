"""The Train page's Class section, for attendees: a nickname, the run on the board or off it, the challenge.

Drawn by one call from ``pages/train.py``, only on a server with a presenter key
(``ui.classroom.enabled``); every widget key starts with ``class_``.  An attendee sees their own
runs and, when the presenter shows it, the board's leaderboard without anyone's run or browser
id.  Not for the presenter's page (``pages/class.py``) nor the board's files (``ui.classroom``).
"""

import streamlit as st

from ui import classroom
from ui.lesson import markdown_text


def class_section(me):
    """Draw the Class section for Session me."""
    if not classroom.enabled():
        return
    board = me.class_board()
    lesson, rows = board.lesson, board.rows
    st.subheader("Class")
    if lesson.challenge != "none":
        st.info(f"**Challenge:** {lesson.challenge_text()}", icon="🏆")
    if me.lesson_id and me.lesson_id != lesson.id:
        st.caption("This link is not the class's current lesson: its settings apply, the board compares runs with "
                   "the current one.")
    st.text_input("Nickname", value=me.nickname, max_chars=classroom.NICKNAME_CHARS, key="class_nickname",
                  on_change=lambda: me.set_nickname(st.session_state.class_nickname),
                  help="Your runs join the class board under this name when you press Start; leave it empty to "
                       "stay off. The presenter sees your runs' settings and accuracy, nothing else of yours.")
    run, mine = me.run, me.on_board()
    if run is not None and run.id in mine:
        st.caption(f"This run is on the class board as {markdown_text(mine[run.id])}.")
        if st.button("Take this run off the board", key="class_leave"):
            me.leave_board(run.id)
            st.rerun()
    elif run is not None and me.nickname and st.button("Put this run on the board", key="class_join"):
        me.join_board(run.id)
        st.rerun()
    if lesson.show_summary:
        with st.expander("The class board"):
            shown = [{k: v for k, v in row.items() if k != "score" or lesson.challenge != "none"} for row in rows]
            st.dataframe(shown, hide_index=True, key="class_summary", column_config={
                "val acc": st.column_config.NumberColumn(format="percent"),
                "test acc": st.column_config.NumberColumn(format="percent")})
