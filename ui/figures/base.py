"""How every figure is built: the one validation policy, image axes, long histories thinned, pictures' font.

The policy: a figure is plain trace and layout dicts wrapped by ``figure`` in a ``go.Figure``
without Plotly's property validation (``VALIDATE`` off).  Pages redraw figures once a second
while a run trains and on every stroke drawn, in the server process where the training
threads also run; validation costs 30-50 ms of pure Python per figure holding the GIL, the
plain wrap 1 ms.  The tests turn ``VALIDATE`` on and build every figure, so each is still
checked against Plotly's schema.  Long runs are thinned to ``MAX_POINTS`` per curve so what
goes over the network stays small.  A few figures are pictures drawn on the server instead
(uint8 RGB arrays, shown with ``st.image``): the first one a page shows, so a new tab draws it
without starting Plotly's bundle (1.5 s of the browser's time).  Not for colours (``palette.py``)
nor Streamlit calls.
"""

import functools

import numpy as np
import plotly.graph_objects as go
from PIL import ImageFont

VALIDATE = False  # the tests turn this on to check every figure against Plotly's schema
MAX_POINTS = 300
# Square pixels, row 0 on top, no axes: for figures that are pictures.
IMAGE_AXES = {"xaxis": {"visible": False, "constrain": "domain"},
              "yaxis": {"visible": False, "autorange": "reversed", "scaleanchor": "x"}}


def figure(data, layout):
    """Return a Plotly figure of trace dicts and a layout dict, validated only when VALIDATE is on."""
    return go.Figure({"data": data, "layout": layout}, _validate=VALIDATE)


@functools.cache
def font(size=11):
    """Return the font pictures drawn on the server write with (Pillow's own), size px high."""
    return ImageFont.load_default(size=size)


def thin(history, max_points=MAX_POINTS):
    """Return at most about max_points evenly spaced reports of history, always keeping the newest."""
    if len(history) <= max_points:
        return list(history)
    keep = np.unique(np.linspace(0, len(history) - 1, max_points).round().astype(int))
    return [history[i] for i in keep]
