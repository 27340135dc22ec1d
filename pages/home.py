"""Home: what MNIST Playground is and where to start.  Not for anything that trains or computes."""

import streamlit as st

from ui import figures, frontend
from ui.routing import through_app
from ui.session import sample_size, session, shared_splits
from ui.sidebar import model_block

through_app()  # a first request to a fresh server runs this page on its own: go through app.py

st.title("MNIST Playground")
st.markdown(
    "Watch a small neural network, written from scratch in NumPy, **learn to read handwritten digits** "
    "while you change how it learns. Then look inside it, and draw digits for it to read.")
sample = shared_splits("sample")
st.image(figures.digits.pictures(sample.X_test[figures.digits.one_of_each(sample.y_test)], size=56), width=56)

cards = [
    ("pages/train.py", "Train", "📈", "Pick the layers, the optimiser and the learning rate, press Start training, "
     "and watch the loss fall and the accuracy climb, live. Start here."),
    ("pages/weights.py", "Weights", "🔬", "See what each neuron has learned to look for, and how the weights "
     "change while a run trains."),
    ("pages/draw.py", "Draw", "✍️", "Draw a digit with your mouse or finger and see what the network reads, "
     "and which strokes made it say so."),
    ("pages/lab.py", "Lab", "🧪", "Break a copy of the network, damage the digits it reads, and let it say when "
     "it is not sure."),
]
for column, (page, title, icon, text) in zip(st.columns(len(cards)), cards):
    with column.container(border=True):
        st.page_link(page, label=f"**{title}**", icon=icon)
        st.write(text)

st.caption(f"Works offline: a sample of MNIST ({sample_size()}) ships with the app, and two pretrained models "
           "are ready on every page (convolutional or fully connected: Bundled model, in the sidebar). The full "
           "MNIST (11 MB) is one click away on the Train page.")
model_block(session())
frontend.preload_plotly()
