"""Figures and images for the Draw page: probabilities, preprocessing steps, saliency, activations, my digits.

Each function turns numbers the engine computed (``nn.image``, ``nn.saliency``) into a
Plotly figure or a uint8 image for ``st.image``.  No maths beyond laying pixels out, and
no Streamlit calls: the page places what these return.  The figures are rebuilt on every
stroke, so they are written as plain specs and skip Plotly's validation, which would cost
tens of milliseconds per figure.
"""

import math

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale

GREY = "#9aa5b1"
BLUE = "#1f77b4"
MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}
# Colour scales as lists: unvalidated, a name would go to plotly.js, whose "RdBu" runs the other way.
PUSH = get_colorscale("RdBu_r")  # blue against, white nothing, red for
ACTIVE = get_colorscale("Viridis")
INK = [[0.0, "black"], [1.0, "white"]]
IMAGE_AXES = {"xaxis": {"constrain": "domain", "visible": False},
              "yaxis": {"autorange": "reversed", "scaleanchor": "x", "visible": False}}  # square pixels, row 0 on top


def _figure(trace, height, **layout):
    """Return a Figure of one trace (a dict) with this page's margins and height, unvalidated."""
    return go.Figure({"data": [trace], "layout": {"height": height, "margin": MARGIN, **layout}}, _validate=False)


def probability_bars(p, digit):
    """Return a bar chart of the ten class probabilities p (10,), the read digit highlighted."""
    colours = [BLUE if k == digit else GREY for k in range(len(p))]
    bars = {"type": "bar", "x": list(range(len(p))), "y": p, "marker": {"color": colours},
            "hovertemplate": "digit %{x}: %{y:.1%}<extra></extra>"}
    return _figure(bars, 260, xaxis={"tickmode": "linear", "title": {"text": "digit"}},
                   yaxis={"range": [0, 1], "tickformat": ".0%", "title": {"text": "probability"}})


def pixels(a, side=112):
    """Return the image a (h, w) in [0, 1] as a square uint8 image: padded black, enlarged by whole pixels.

    A tall or wide crop keeps its shape inside the square, and a 28×28 image becomes about
    side px with sharp pixels rather than the browser's blur.
    """
    a = np.asarray(a, dtype=np.float32)
    n = max(a.shape)
    square = np.zeros((n, n), dtype=np.float32)
    top, left = (n - a.shape[0]) // 2, (n - a.shape[1]) // 2
    square[top:top + a.shape[0], left:left + a.shape[1]] = a
    k = max(1, side // n)
    return np.kron(np.round(np.clip(square, 0, 1) * 255).astype(np.uint8), np.ones((k, k), dtype=np.uint8))


def saliency_map(m, title):
    """Return a heatmap of a (28, 28) saliency map: red pushed towards the answer, blue against it."""
    limit = float(np.abs(m).max()) or 1.0
    heat = {"type": "heatmap", "z": m, "zmid": 0, "zmin": -limit, "zmax": limit, "colorscale": PUSH,
            "hovertemplate": "row %{y}, column %{x}: %{z:.3f}<extra></extra>"}
    return _figure(heat, 300, title={"text": title}, **IMAGE_AXES)


def activation_grid(a, layer):
    """Return a heatmap of one hidden layer's activations a (units,), laid out as a near-square grid."""
    n = len(a)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    grid = np.full(rows * cols, np.nan)
    grid[:n] = a
    heat = {"type": "heatmap", "z": grid.reshape(rows, cols), "customdata": np.arange(rows * cols).reshape(rows, cols),
            "colorscale": ACTIVE, "hovertemplate": "unit %{customdata}: %{z:.3f}<extra></extra>"}
    return _figure(heat, 300, title={"text": f"Hidden layer {layer}: {n} units"}, **IMAGE_AXES)


def digit_grid(x, y, per_row=10):
    """Return the digits x (n, 28, 28) uint8 as one image in rows of per_row, each labelled y in the corner."""
    n = len(x)
    rows = math.ceil(n / per_row)
    cell = 28 + 2
    sheet = np.zeros((rows * cell - 2, min(n, per_row) * cell - 2))
    for i, image in enumerate(x):
        r, c = divmod(i, per_row)
        sheet[r * cell:r * cell + 28, c * cell:c * cell + 28] = image / 255
    labels = [{"x": i % per_row * cell + 1, "y": i // per_row * cell + 1, "text": str(int(label)),
               "showarrow": False, "xanchor": "left", "yanchor": "top", "font": {"color": "#ffb000", "size": 12}}
              for i, label in enumerate(y)]
    heat = {"type": "heatmap", "z": sheet, "colorscale": INK, "showscale": False, "hoverinfo": "skip"}
    return _figure(heat, 60 + 70 * rows, annotations=labels, **IMAGE_AXES)
