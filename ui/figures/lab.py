"""Figures of the Lab page: which units matter, accuracy under damage, and the accuracy–coverage curve (an SVG).

Each turns numbers from ``nn.explain.lab`` into a figure; the confusion matrix and the
probability bars are the Train and Draw pages' own (``training.confusion``,
``drawing.probability_bars``).  Not for numbers nor Streamlit calls.
"""

import numpy as np

from ui.figures.base import figure
from ui.figures.palette import BLUE, GREY, GRID, LABEL, LAYERS, RED

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
    """Return the accuracy–coverage curve as an SVG picture: share answered across, accuracy on those up.

    thresholds, answered, accuracy: (t,) from ``nn.explain.lab.coverage`` (accuracy NaN where none is
    answered); chosen: the threshold in use, marked with an x.  A picture, as its numbers stand
    beside it on the page: a new tab draws it without starting Plotly's bundle (1.5 s).
    """
    left, right, top, bottom = 70, 580, 50, 270  # the plot area in the 600 × 330 picture
    lo, hi = float(np.nanmin(accuracy)), float(np.nanmax(accuracy))
    step = next(s for s in (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2) if (hi - lo) / s <= 5)
    y_ticks = np.arange(np.floor(lo / step), np.ceil(hi / step) + 1) * step
    y_lo, y_hi = y_ticks[0], max(y_ticks[-1], y_ticks[0] + step)
    x_at = lambda share: left + share / 1.02 * (right - left)  # noqa: E731  (1.02: room for the 100% end)
    y_at = lambda acc: bottom - (acc - y_lo) / (y_hi - y_lo) * (bottom - top)  # noqa: E731
    parts = [f'<line x1="{left}" x2="{right}" y1="{y_at(t):.1f}" y2="{y_at(t):.1f}" stroke="{GRID}"/>'
             f'<text x="{left - 6}" y="{y_at(t):.1f}" text-anchor="end" dominant-baseline="middle">{t:.1%}</text>'
             for t in y_ticks]
    parts += [f'<line x1="{x_at(t):.1f}" x2="{x_at(t):.1f}" y1="{top}" y2="{bottom}" stroke="{GRID}"/>'
              f'<text x="{x_at(t):.1f}" y="{bottom + 16}" text-anchor="middle">{t:.0%}</text>'
              for t in np.linspace(0, 1, 6)]
    everyone = y_at(accuracy[0])
    parts.append(f'<line x1="{x_at(0):.1f}" x2="{x_at(1):.1f}" y1="{everyone:.1f}" y2="{everyone:.1f}" '
                 f'stroke="{GREY}" stroke-width="2" stroke-dasharray="2 4"/>')
    known = ~np.isnan(np.asarray(accuracy, dtype=float))
    for run in np.split(np.arange(len(known)), np.flatnonzero(np.diff(known)) + 1):  # a line per stretch of numbers
        if known[run[0]]:
            points = " ".join(f"{x_at(answered[i]):.1f},{y_at(accuracy[i]):.1f}" for i in run)
            parts.append(f'<polyline points="{points}" fill="none" stroke="{BLUE}" stroke-width="2"/>')
    i = int(np.argmin(np.abs(np.asarray(thresholds) - chosen)))
    if known[i]:
        x, y = x_at(answered[i]), y_at(accuracy[i])
        parts.append(f'<path d="M{x - 6:.1f},{y - 6:.1f}L{x + 6:.1f},{y + 6:.1f}M{x - 6:.1f},{y + 6:.1f}'
                     f'L{x + 6:.1f},{y - 6:.1f}" stroke="{RED}" stroke-width="3"/>')
    legend = [(f'stroke="{GREY}" stroke-width="2" stroke-dasharray="2 4"', "answering every digit"),
              (f'stroke="{BLUE}" stroke-width="2"', "as the threshold moves"),
              (f'stroke="{RED}" stroke-width="3"', f"your threshold {chosen:.2f}")]
    for k, (style, name) in enumerate(legend):
        parts.append(f'<line x1="{left + 190 * k}" x2="{left + 190 * k + 24}" y1="16" y2="16" {style}/>'
                     f'<text x="{left + 190 * k + 30}" y="16" dominant-baseline="middle">{name}</text>')
    parts.append(f'<text x="{(left + right) / 2}" y="{bottom + 40}" text-anchor="middle">'
                 "share of test digits answered (coverage)</text>")
    parts.append(f'<text transform="translate(16 {(top + bottom) / 2}) rotate(-90)" text-anchor="middle">'
                 "accuracy on the answered ones</text>")
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="600" height="330" viewBox="0 0 600 330" '
            f'font-family="sans-serif" font-size="12" fill="{LABEL}">{"".join(parts)}</svg>')
