"""Make every page go through ``app.py``, even as the first request to a fresh server.

Streamlit 1.67 switches on its old folder-based multipage mode at server start when a
``pages/`` folder sits beside the main script (``PagesManager.uses_pages_directory``), and
keeps it on until some script run calls ``st.navigation``.  In that mode the page a person
asked for first runs on its own: no page config, no BLAS setting, Streamlit's own sidebar
listing ``app, draw, home, train, weights``.  ``through_app`` is called first thing by
``app.py`` and by every page: when it finds that mode on, it turns it off and reruns, and
the rerun goes through ``app.py``'s navigation to the same page, with its query string.
Not for anything else; it relies on the one flag above, so the requirements pin Streamlit's
minor version.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

ROUTED = "routed_through_app"  # set in a session once a run of it has gone through app.py


def through_app():
    """Rerun through app.py if Streamlit's folder-based multipage mode ran this session's first script on its own.

    Only a session's first run can be that one, before anything was clicked: a rerun there
    loses no button press.  (Streamlit's AppTest switches the mode on again for every run of
    a test; its session has been routed once, so its pages then run as they are.)
    """
    if PagesManager.uses_pages_directory and not st.session_state.get(ROUTED):
        PagesManager.uses_pages_directory = False  # what st.navigation itself does; app.py calls it on the rerun
        st.rerun()
    st.session_state[ROUTED] = True
