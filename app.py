"""MNIST Playground: watch a NumPy neural network learn handwritten digits.

This file only routes; each page lives in ``pages/``.  Run with ``streamlit run app.py``.
"""

import streamlit as st

st.set_page_config(page_title="MNIST Playground", page_icon="✍️", layout="wide")

pages = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/train.py", title="Train", icon="📈", url_path="train"),
    st.Page("pages/weights.py", title="Weights", icon="🔬", url_path="weights"),
    st.Page("pages/draw.py", title="Draw", icon="✍️", url_path="draw"),
]
st.navigation(pages).run()
