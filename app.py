"""MNIST Playground: watch a NumPy neural network learn handwritten digits.

This file only routes; each page lives in ``pages/``.  Run with ``streamlit run app.py``.
Beside the main script, a ``pages/`` folder switches Streamlit 1.x to its old folder-based
multipage mode on a fresh server: ``ui.routing.through_app`` sends such a first request through
this file.  The presenter's page ``/class`` exists only when the server has a presenter key, and is
listed for nobody.
"""

import os

# One BLAS thread per process: each worker process (ui/runs/pool.py) already has a core of its own,
# and processes each asking BLAS for every core make a small machine many times slower.  The workers
# inherit this.  It must happen before NumPy is first imported, which this script is the first to do.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")


def main():
    """Route this script run to its page, with the app's page config, styles and navigation."""
    import pandas  # noqa: F401  (Plotly looks pandas up half-imported when many sessions draw at once)
    import streamlit as st

    from ui import classroom, frontend
    from ui.routing import through_app
    from ui.runs import pool

    through_app()

    st.set_page_config(page_title="MNIST Playground", page_icon="✍️", layout="wide")
    frontend.page_styles()

    pages = [
        st.Page("pages/home.py", title="Home", icon="🏠", default=True),
        st.Page("pages/train.py", title="Train", icon="📈", url_path="train"),
        st.Page("pages/weights.py", title="Weights", icon="🔬", url_path="weights"),
        st.Page("pages/draw.py", title="Draw", icon="✍️", url_path="draw"),
        st.Page("pages/lab.py", title="Lab", icon="🧪", url_path="lab"),
    ]
    if classroom.enabled():
        pages.append(st.Page("pages/class.py", title="Class", icon="👩‍🏫", url_path="class", visibility="hidden"))
    pool.warm_up()  # the worker processes that train runs start while the first visitor reads the home page
    st.navigation(pages).run()


# Streamlit runs this file as __main__.  The worker pool starts its processes while a script run has put this
# file in sys.modules["__main__"], so multiprocessing's spawn runs it again in each worker, as __mp_main__: there
# it must do nothing (it used to start a second pool's scheduler in every worker, and import the web app).
if __name__ == "__main__":
    main()
