"""The JavaScript the pages run in the browser: real .js files beside this module, and the calls that run them.

- ``live_chart.js``: the Train page's live chart, redrawn in place (``live_chart``).
- ``preload_plotly.js``: the home and Train pages load Plotly in the background (on Train, for the first
  run's live chart), the Weights page at once when its section has charts (``preload_plotly``).
- ``canvas_fixes.js``: the Draw page's canvas keeps its toolbar out of the way and sends
  each stroke once, the moment the pen lifts (``fix_canvas``).
- ``touch.css``, ``draw_layout.css``, ``train_layout.css`` (``page_styles``): on a touch screen, no page
  shows Plotly's mode bar over its charts; on a phone, the Draw page shows the digit read above the canvas,
  and the Train page its buttons and chart above the settings.
- ``remember.js``: the browser keeps its id (so a plain link finds its runs) and its nickname in cookies (``remember``).

Scripts run through ``st.html(..., unsafe_allow_javascript=True)``; each such file is one
function expression, called with JSON arguments (``_js``) that cannot close the ``<script>``
they sit in, whatever text they hold (a nickname is typed by a person).  The live chart is a
Streamlit component, so its file is an ES module.  Not for
building figures (``ui.figures``).
"""

import json
from pathlib import Path

import streamlit as st

from ui import figures

HERE = Path(__file__).parent
# Streamlit's own Plotly bundle, which the browser fetches for any Plotly chart anyway; importing it defines Plotly.
PLOTLY_BUNDLE = next(Path(st.__file__).parent.glob("static/static/js/PlotlyChart.*.js"), None)
_live = st.components.v2.component("mnist_playground.live_chart", html='<div class="live-chart"></div>',
                                   js=(HERE / "live_chart.js").read_text(),
                                   isolate_styles=False)  # Plotly's stylesheet is global: no shadow DOM


def live_chart(figure, key):
    """Draw figure; later calls with the same key redraw it in place (Plotly.react) without a blink.

    st.plotly_chart gives a chart a new identity whenever its data changes (Streamlit 1.67 hashes
    the figure into the element id), so the browser builds a new chart every update and it blinks
    once a second while training.  Falls back to st.plotly_chart if Streamlit's Plotly bundle is not found.
    """
    if PLOTLY_BUNDLE is None:
        st.plotly_chart(figure, key=key, config=figures.STATIC)
    else:
        _live(key=key, data={"figure": json.loads(figure.to_json()), "bundle": PLOTLY_BUNDLE.name})


def preload_plotly(now=False):
    """Have the browser load Streamlit's Plotly bundle in the background, so the first page with charts draws sooner.

    now: at once, for a page whose own charts follow (else when the browser is idle).
    """
    if PLOTLY_BUNDLE is not None:
        st.html(_script("preload_plotly.js", PLOTLY_BUNDLE.name, now), unsafe_allow_javascript=True)


def fix_canvas():
    """Keep the Draw page canvas's toolbar out of a stroke's way, and send each stroke the moment the pen lifts."""
    st.html(_script("canvas_fixes.js"), unsafe_allow_javascript=True)


# touch.css is for every page; each layout file's rules name the keyed container of its page, so all go everywhere.
# Read once, when the server starts: every script run of every page draws them.
STYLES = "<style>" + "".join((HERE / name).read_text() for name in ("touch.css", "train_layout.css",
                                                                     "draw_layout.css")) + "</style>"


def page_styles():
    """Style every page: on a touch screen no Plotly mode bar (it covers titles and legends for good); on a phone,
    the Train and Draw pages laid out with what people look at first on top.

    One element for all of it, drawn by app.py: each element a new tab draws costs it time.
    """
    st.html(STYLES)


def remember(cookie, value, days=365):
    """Have the browser keep value (a browser id, a nickname) in a first-party cookie for days."""
    st.html(_script("remember.js", cookie, value, days), unsafe_allow_javascript=True)


def _script(name, *args):
    """Return a <script> that calls the function in file name with args, each written as JSON."""
    return f"<script>({(HERE / name).read_text()})({', '.join(_js(a) for a in args)});</script>"


def _js(value):
    """Return value as a JavaScript literal that cannot end the <script> it sits in, whatever text it holds."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
