"""The sidebar block every page shows: which model is active, which bundled model the session uses, which data."""

import streamlit as st

from ui.session import BUNDLED, bundled_label

BUNDLED_KEY = "bundled_model"


def model_block(session):
    """Show the active model's architecture, origin and accuracy, the bundled-model chooser, and the dataset in use."""
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
        names = list(BUNDLED)
        # The Session owns the choice: the widget starts from it on every page and hands each change to it.
        st.radio("Bundled model", names, index=names.index(session.bundled), key=BUNDLED_KEY,
                 format_func=bundled_label, on_change=lambda: session.choose_bundled(st.session_state[BUNDLED_KEY]),
                 help="The pretrained model that ships with the app, tested on the 10,000 MNIST test digits: the "
                      "one in use until you train or upload a model, and the one the Draw and Lab pages mean by "
                      "\"Pretrained model\". The convolutional one reads drawn digits best; the fully connected "
                      "one shows each first-layer neuron as a 28×28 picture on the Weights page.")
        st.subheader("Data")
        st.caption(session.data_name)
