"""Figures of the Train page's Tune section: the trials' settings against their validation accuracy.

Not for choosing or scoring trials (``nn.tune``, ``ui.tuning``) nor for Streamlit calls.
"""

import math

from ui.figures.base import figure
from ui.figures.palette import ACTIVITY

LOG_AXES = {"lr", "l2"}  # settings spanning decades: their axis shows log10 of the value


def parallel(rows, names):
    """Return parallel coordinates of each trial's settings (names) and validation accuracy, coloured by it.

    rows: the trials' flat rows, a value for each name and "val acc" (None before a report;
    such trials are left out).  Text settings (the optimiser) get one tick per value.
    """
    rows = [r for r in rows if r["val acc"] is not None and not math.isnan(r["val acc"])]
    dimensions = [_dimension(name, [r[name] for r in rows]) for name in names]
    accs = [r["val acc"] for r in rows]
    dimensions.append({"label": "validation accuracy", "values": accs, "tickformat": ".0%"})
    data = [{"type": "parcoords", "dimensions": dimensions,
             "line": {"color": accs, "colorscale": ACTIVITY, "showscale": True,
                      "colorbar": {"title": {"text": "val acc"}, "tickformat": ".0%"}}}]
    layout = {"title": {"text": "Settings tried against validation accuracy"}, "height": 360,
              "margin": {"l": 60, "r": 40, "t": 70, "b": 30}}
    return figure(data, layout)


def _dimension(name, values):
    """Return one axis of the parallel coordinates for a setting's values."""
    if any(isinstance(v, str) for v in values):
        kinds = sorted(set(values))
        return {"label": name, "values": [kinds.index(v) for v in values], "tickvals": list(range(len(kinds))),
                "ticktext": kinds}
    if name in LOG_AXES and values and min(values) > 0:
        return {"label": f"log10 {name}", "values": [math.log10(v) for v in values]}
    return {"label": name, "values": values}
