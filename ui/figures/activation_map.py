"""The activation map: test digits as points in 2-D, one colour per label, an x over each misread one.

One scatter trace per digit class (so the legend can hide a class), then one trace of x
marks over the misread digits.  Coordinates travel as float32 (Plotly sends them as base64),
about 16 kB for 2,000 digits, as a live page redraws the map every 2 s.  ``uirevision`` keeps a
person's zoom and hidden classes while the points move under them.  Hovering a point tells its
test-digit number, its label and what the network read; the picture itself is the page's job
(Plotly's hover can show no image).  Not for the maths (``nn.explain.projection``).
"""

import numpy as np

from ui.figures.base import figure
from ui.figures.palette import DIGITS, GRID, MISREAD

HOVER = "test digit %{customdata[0]}<br>label %{customdata[1]}, read as %{customdata[2]}<extra></extra>"


def digit_map(points, labels, predicted, index, title, axis_titles=("axis 1", "axis 2")):
    """Return the map of points (n, 2), coloured by labels (n,), with an x over each digit whose predicted (n,) differs.

    index (n,): each point's number among the test digits, shown on hover and returned by a selection.
    """
    points = np.asarray(points, dtype=np.float32)
    labels, predicted, index = np.asarray(labels), np.asarray(predicted), np.asarray(index)
    custom = np.stack([index, labels, predicted], axis=1).astype(np.int32)
    traces = []
    for d in range(10):
        mine = labels == d
        traces.append({"type": "scattergl", "mode": "markers", "name": str(d), "x": points[mine, 0],
                       "y": points[mine, 1], "customdata": custom[mine], "hovertemplate": HOVER,
                       "marker": {"color": DIGITS[d], "size": 5, "opacity": 0.75}})
    wrong = labels != predicted
    traces.append({"type": "scattergl", "mode": "markers", "name": "misread", "x": points[wrong, 0],
                   "y": points[wrong, 1], "customdata": custom[wrong], "hovertemplate": HOVER,
                   "marker": {"color": MISREAD, "symbol": "x-thin-open", "size": 8, "line": {"width": 1.5}}})
    axis = {"showgrid": True, "gridcolor": GRID, "zeroline": False, "showticklabels": False}
    # The legend in rows under the map: beside it, it would take a third of a narrow column.
    layout = {"template": {}, "height": 560, "margin": {"l": 30, "r": 10, "t": 40, "b": 90},
              "title": {"text": title, "font": {"size": 14}}, "uirevision": "map", "dragmode": "pan",
              "legend": {"orientation": "h", "x": 0, "y": -0.04, "yanchor": "top", "itemsizing": "constant",
                         "font": {"size": 11}},
              "xaxis": {**axis, "title": {"text": axis_titles[0], "standoff": 0}},
              "yaxis": {**axis, "title": {"text": axis_titles[1]}}}
    return figure(traces, layout)
