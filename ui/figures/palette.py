"""The one palette: every colour and colour scale a figure uses, each defined once here.

Scales are lists of [position, colour], never names: figures are not validated at run time
(``base.py``), so a name would go to plotly.js, whose scales differ from Plotly.py's of the
same name.  Red means positive and blue negative on every page.  Not for layout or sizes
(the figure modules) nor for the app's theme (Streamlit's).
"""

import numpy as np
from plotly.colors import get_colorscale, hex_to_rgb, qualitative, unlabel_rgb

BLUE = "#1f77b4"  # the training curve, the digit read, activations, the first layer
ORANGE = "#ff7f0e"  # the validation curve
GREEN, CRIMSON, PURPLE = "#2ca02c", "#d62728", "#9467bd"  # the third to fifth layers
GREY = "#9aa5b1"  # what is shown for comparison: other digits, Z under A, weights at initialisation, guides
DARK_GREY = "#7f7f7f"  # the learning rate
RED = "#c0392b"  # weights now
GAP = "#c8ccd0"  # the empty cells between unit tiles
LABEL = "#222"  # unit numbers on their tiles
OUTLINE = "#111"  # the frame round the chosen unit
AMBER = "#ffb000"  # labels over the digits a person drew, readable on black and white
GRID = "rgba(128, 128, 128, 0.2)"  # reads on light and dark themes alike

TRAIN, VALIDATION, LEARNING_RATE = BLUE, ORANGE, DARK_GREY
RUNS = qualitative.Dark24  # one colour per run on the class board: 24 that stay apart, then round again
LAYERS = [BLUE, ORANGE, GREEN, CRIMSON, PURPLE]  # one colour per layer, in order
DIGITS = qualitative.D3  # one colour per digit 0..9 on the activation map: ten that stay apart
MISREAD = "#111"  # the x over a digit the network misreads

DIVERGING = get_colorscale("RdBu_r")  # blue at the low end, white in the middle, red at the high end
ACTIVITY = get_colorscale("Viridis")  # hidden activations, dark (silent) to yellow (strong)
INK_ON_PAPER = get_colorscale("Greys")  # white at 0 to black at 1: a digit printed dark on white
INK_ON_SLATE = [[0.0, "black"], [1.0, "white"]]  # black at 0 to white at 1: a digit as drawn, white on black
# Confusion counts: deep blue for few digits to light grey for many (plotly.js's "Blues", which the chart has used).
COUNTS = [[0, "rgb(5,10,172)"], [0.35, "rgb(40,60,190)"], [0.5, "rgb(70,100,245)"], [0.6, "rgb(90,120,245)"],
          [0.7, "rgb(106,137,247)"], [1, "rgb(220,220,220)"]]


def rgb(colour):
    """Return a colour of this palette ("#rrggbb" or "rgb(r,g,b)") as (r, g, b), for pictures drawn on the server."""
    return tuple(int(v) for v in (hex_to_rgb(colour) if colour.startswith("#") else unlabel_rgb(colour)))


def paint(scale, t):
    """Return the colours of colour scale at positions t (any shape, 0..1) as uint8 RGB, t's shape + (3,).

    The same linear blend between a scale's stops as plotly.js draws, so a picture and a chart on
    one scale agree.
    """
    stops = np.array([p for p, _ in scale], dtype=np.float32)
    colours = np.array([rgb(c) for _, c in scale], dtype=np.float32)
    t = np.clip(np.asarray(t, dtype=np.float32), 0, 1)
    return np.stack([np.interp(t, stops, colours[:, i]) for i in range(3)], axis=-1).round().astype(np.uint8)
