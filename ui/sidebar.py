"""The sidebar block every page shows: which model is active and on which data."""

import streamlit as st


def model_block(session):
    """Show the active model's architecture, origin and accuracy, and the dataset in use."""
    model = session.model()
    with st.sidebar:
        st.subheader("Model")
        st.markdown(f"**{model.architecture}**  \n{model.source_text}")
        if session.viewing is not None:
            st.info("An attendee's network, read-only: their run goes on untouched.", icon="👀")
            st.button("Back to my own model", key="stop_viewing", on_click=session.stop_viewing)
        acc = model.accuracy
        st.caption(f"Test accuracy: {acc:.2%} on {model.tested_on}" if acc is not None
                   else "Test accuracy: not measured yet (it is, once a run ends)")
        st.subheader("Data")
        st.caption(session.data_name)
