"""Figures of the Lab page: which units matter, accuracy under damage, and the accuracy–coverage curve.

Each turns numbers from ``nn.explain.lab`` into a figure; the confusion matrix and the
probability bars are the Train and Draw pages' own (``training.confusion``,
``drawing.probability_bars``).  Not for numbers nor Streamlit calls.
"""

import numpy as np

from ui.figures.base import figure
from ui.figures.palette import BLUE, GREY, GRID, LAYERS, RED

MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
TOP_UNITS = 30  # bars in the "which units matter?" chart: the rest matter less


def unit_drops(drops, layer):
    """Return bars of the TOP_UNITS units of hidden layer ``layer`` whose loss costs most accuracy; drops (units,)."""
    order = np.argsort(-drops, kind="stable")[:TOP_UNITS]
    bars = {"type": "bar", "x": [f"unit {j}" for j in order], "y": drops[order], "marker": {"color": BLUE},
            "hovertemplate": "%{x} off: accuracy falls by %{y:.2%}<extra></extra>"}
    return figure([bars], {"height": 320, "margin": MARGIN,
                           "title": {"text": f"Hidden layer {layer}: the {len(order)} units that matter most"},
                           "xaxis": {"type": "category", "tickangle": -45, "automargin": True},
                           "yaxis": {"title": {"text": "accuracy lost with it off"}, "tickformat": ".1%",
                                     "gridcolor": GRID, "automargin": True}})


def damage_curves(curves, damages):
    """Return one small chart per damage: test accuracy against strength, one line per model.

    curves: {model name: {damage: accuracies (s,)}}; damages: {damage: (strengths (s,), undamaged, unit)}
    as ``nn.digits.augment.DAMAGES``.
    """
    kinds, cols = list(damages), 3
    rows = -(-len(kinds) // cols)
    data, layout = [], {"height": 280 * rows, "margin": MARGIN, "showlegend": True,
                        "legend": {"orientation": "h", "y": 1.08, "x": 0}, "hovermode": "x unified"}
    for i, kind in enumerate(kinds):
        strengths, _, unit = damages[kind]
        axis = "" if i == 0 else str(i + 1)
        r, c = divmod(i, cols)
        for m, (name, per_kind) in enumerate(curves.items()):
            data.append({"type": "scatter", "mode": "lines+markers", "x": list(strengths), "y": per_kind[kind],
                         "name": name, "legendgroup": name, "showlegend": i == 0,
                         "line": {"color": LAYERS[m % len(LAYERS)]}, "xaxis": f"x{axis}", "yaxis": f"y{axis}",
                         "hovertemplate": f"{name}: %{{y:.1%}}<extra></extra>"})
        gap = 0.08
        layout[f"xaxis{axis}"] = {"domain": [c / cols + gap / 2, (c + 1) / cols - gap / 2], "anchor": f"y{axis}",
                                  "title": {"text": f"{kind} ({unit})", "font": {"size": 11}}, "gridcolor": GRID}
        layout[f"yaxis{axis}"] = {"domain": [1 - (r + 1) / rows + gap, 1 - r / rows - gap / 2], "anchor": f"x{axis}",
                                  "range": [0, 1.02], "tickformat": ".0%", "gridcolor": GRID}
    return figure(data, layout)


def coverage(thresholds, answered, accuracy, chosen):
    """Return the accuracy–coverage curve: share answered across, accuracy on those up, the chosen threshold marked.

    thresholds, answered, accuracy: (t,) from ``nn.explain.lab.coverage``; chosen: the threshold in use.
    """
    line = {"type": "scatter", "mode": "lines", "x": answered, "y": accuracy, "name": "as the threshold moves",
            "line": {"color": BLUE, "width": 2}, "customdata": thresholds,
            "hovertemplate": "threshold %{customdata:.2f}: answers %{x:.1%}, right on %{y:.2%}<extra></extra>"}
    i = int(np.argmin(np.abs(np.asarray(thresholds) - chosen)))
    mark = {"type": "scatter", "mode": "markers", "x": [answered[i]], "y": [accuracy[i]],
            "name": f"your threshold {chosen:.2f}", "marker": {"color": RED, "size": 12, "symbol": "x"},
            "hovertemplate": "answers %{x:.1%}, right on %{y:.2%}<extra></extra>"}
    everyone = {"type": "scatter", "mode": "lines", "x": [0, 1], "y": [accuracy[0], accuracy[0]],
                "name": "answering every digit", "line": {"color": GREY, "dash": "dot"}, "hoverinfo": "skip"}
    return figure([everyone, line, mark], {
        "height": 360, "margin": MARGIN, "legend": {"orientation": "h", "y": 1.12, "x": 0},
        "xaxis": {"title": {"text": "share of test digits answered (coverage)"}, "tickformat": ".0%",
                  "range": [0, 1.02], "gridcolor": GRID},
        "yaxis": {"title": {"text": "accuracy on the answered ones"}, "tickformat": ".1%", "gridcolor": GRID,
                  "automargin": True}})

