"""A file uploader that reads each new file once and shows its one error, for the pages that take files.

Used for models and datasets on the Train page and for a set of drawn digits on the Draw
page.  What a file may hold is checked by the loader it is given (``nn.modelio``,
``nn.data``, ``nn.finetune``), never here.
"""

import streamlit as st


def uploader(label, key, types, errors, load, help):
    """Draw a file uploader; call load(bytes, file name) once per new file; show its error while that file stays.

    errors is the exception class (or tuple of classes) whose message is shown; load must change
    nothing when it raises one.
    """
    f = st.file_uploader(label, type=types, key=key, help=help)
    if f is None:
        return
    seen = st.session_state.setdefault("uploads", {})
    if seen.get(key, (None,))[0] != f.file_id:
        try:
            load(f.getvalue(), f.name)
            seen[key] = (f.file_id, None)
        except errors as err:
            seen[key] = (f.file_id, str(err))
    if seen[key][1]:
        st.error(seen[key][1])
