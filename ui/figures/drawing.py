"""Figures of the Draw page: the ten probabilities, saliency, hidden activations, the digits a person drew.

Each function turns numbers the engine computed (``nn.digits``, ``nn.explain.saliency``)
into a figure, rebuilt on every stroke.  The probability bars also show the forward pass's
answer on the Weights page.  Not for the preprocessing steps' pictures (``digits.py``) nor
Streamlit calls: the page places what these return.
"""

import math

import numpy as np

from ui.figures.base import IMAGE_AXES, figure
from ui.figures.digits import SIDE, pictures
from ui.figures.palette import ACTIVITY, AMBER, BLUE, DIVERGING, GREY, INK_ON_SLATE

MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}
GRID_GAP = 2  # pixels between a person's digits


def probability_bars(p, digit):
    """Return a bar chart of the ten class probabilities p (10,), the read digit highlighted."""
    colours = [BLUE if k == digit else GREY for k in range(len(p))]
    bars = {"type": "bar", "x": list(range(len(p))), "y": p, "marker": {"color": colours},
            "hovertemplate": "digit %{x}: %{y:.1%}<extra></extra>"}
    return _figure(bars, 260, xaxis={"tickmode": "linear", "title": {"text": "digit"}},
                   yaxis={"range": [0, 1], "tickformat": ".0%", "title": {"text": "probability"}})


def saliency_map(m, title):
    """Return a heatmap of a (28, 28) saliency map: red pushed towards the answer, blue against it."""
    limit = float(np.abs(m).max()) or 1.0
    heat = {"type": "heatmap", "z": m, "zmid": 0, "zmin": -limit, "zmax": limit, "colorscale": DIVERGING,
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
            "colorscale": ACTIVITY, "hovertemplate": "unit %{customdata}: %{z:.3f}<extra></extra>"}
    return _figure(heat, 300, title={"text": f"Hidden layer {layer}: {n} units"}, **IMAGE_AXES)


def digit_grid(x, y, per_row=10):
    """Return the digits x (n, 28, 28) uint8 in rows of per_row, each labelled y in the corner."""
    cell = SIDE + GRID_GAP
    rows = math.ceil(len(x) / per_row)
    labels = [{"x": i % per_row * cell + 1, "y": i // per_row * cell + 1, "text": str(int(label)),
               "showarrow": False, "xanchor": "left", "yanchor": "top", "font": {"color": AMBER, "size": 12}}
              for i, label in enumerate(y)]
    heat = {"type": "heatmap", "z": pictures(x, per_row=per_row, gap=GRID_GAP), "colorscale": INK_ON_SLATE,
            "showscale": False, "hoverinfo": "skip"}
    return _figure(heat, 60 + 70 * rows, annotations=labels, **IMAGE_AXES)


def _figure(trace, height, **layout):
    """Return a figure of one trace (a dict) with this page's margins and height."""
    return figure([trace], {"height": height, "margin": MARGIN, **layout})
