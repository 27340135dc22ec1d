"""The sidebar block every page shows: which model is active, which bundled model the session uses, which data."""

import streamlit as st

from ui.session import BUNDLED, bundled_label

BUNDLED_KEY = "bundled_model"


def model_block(session):
    """Show the active model's architecture, origin and accuracy, the bundled-model chooser, and the dataset in use."""
    model = session.model()
    acc = model.accuracy
    tested = (f"Test accuracy: {acc:.2%} on {model.tested_on_text}" if acc is not None
              else "Test accuracy: not measured yet (it is, once a run ends)")
    with st.sidebar:
        # One Markdown element for heading, model and accuracy (each element a new tab draws costs it time); what
        # an upload names (its file, its data) is escaped, so that it shows as written and cannot end the markup.
        st.markdown(f"### Model\n**{model.architecture}**  \n{model.source_text}  \n:gray[:small[{tested}]]")
        if session.viewing is not None:
            st.info("An attendee's network, read-only: their run goes on untouched.", icon="👀")
            st.button("Back to my own model", key="stop_viewing", on_click=session.stop_viewing)
        names = list(BUNDLED)
        # The Session owns the choice: the widget starts from it on every page and hands each change to it.
        st.radio("Bundled model", names, index=names.index(session.bundled), key=BUNDLED_KEY,
                 format_func=bundled_label, on_change=lambda: session.choose_bundled(st.session_state[BUNDLED_KEY]),
                 help="The pretrained model that ships with the app, tested on the 10,000 MNIST test digits: the "
                      "one in use until you train or upload a model, and the one the Draw and Lab pages mean by "
                      "\"Pretrained model\". The convolutional one reads drawn digits best; the fully connected "
                      "one shows each first-layer neuron as a 28×28 picture on the Weights page.")
        st.markdown(f"### Data\n:gray[:small[{session.data_name_text}]]")
