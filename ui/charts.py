"""Figures of the Train page: learning curves, the runs compared, the confusion matrix, misread digits.

The live chart is rebuilt about once a second per watching session, in the server
process where the training threads also run, so figures are plain dicts wrapped
without Plotly's property validation (``_validate=False``: 1 ms instead of 30-50 ms of
pure Python holding the GIL); the tests build every figure here once with validation
on.  Long runs are thinned to ``MAX_POINTS`` per curve so what goes over the network
stays small.  ``live_chart`` draws a figure that changes every second in place.  Not for
numbers: they come from ``nn/`` and ``ui/runs.py``.
"""

import json
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

MAX_POINTS = 300
TRAIN, VAL, LR = "#1f77b4", "#ff7f0e", "#7f7f7f"
VALIDATE = False  # the tests turn this on to check every figure against Plotly's schema
DIGITS = [str(d) for d in range(10)]
GRID = "rgba(128, 128, 128, 0.2)"  # reads on light and dark themes alike
# Streamlit's own Plotly bundle, which the browser fetches for any Plotly chart anyway; importing it defines Plotly.
PLOTLY_BUNDLE = next(Path(st.__file__).parent.glob("static/static/js/PlotlyChart.*.js"), None)
LIVE_JS = """
export default function ({ parentElement, data }) {
  const div = parentElement.querySelector(".live-chart");
  const style = getComputedStyle(parentElement);
  const layout = {...data.figure.layout, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
                  font: {family: style.fontFamily, color: style.color}};
  div.style.minHeight = layout.height + "px";  // keeps its place while the bundle loads
  const draw = () => window.Plotly.react(div, data.figure.data, layout, {displayModeBar: false, responsive: true});
  if (window.Plotly) draw();
  else import(new URL("static/js/" + data.bundle, document.baseURI).href).then(draw);
}
"""
# Streamlit loads its Plotly bundle (4.7 MB) only when a page first shows a chart, which then waits
# 1.5-2 s on a small machine.  The home page has no chart: it fetches and runs the bundle while the
# person reads, and every later page finds it loaded (the same URL is the same module).
PRELOAD_JS = """<script>
(() => {
  const load = () => import(new URL("static/js/%s", document.baseURI).href);
  (window.requestIdleCallback || setTimeout)(load);
})();
</script>"""
_live = st.components.v2.component("mnist_playground.live_chart", html='<div class="live-chart"></div>', js=LIVE_JS,
                                   isolate_styles=False)  # Plotly's stylesheet is global: no shadow DOM


def thin(history, max_points=MAX_POINTS):
    """Return at most about max_points evenly spaced reports of history, always keeping the newest."""
    if len(history) <= max_points:
        return list(history)
    keep = np.unique(np.linspace(0, len(history) - 1, max_points).round().astype(int))
    return [history[i] for i in keep]


def column(rows, key):
    """Return the values of key in rows as float32 (n,), which Plotly sends compactly."""
    return np.array([m[key] for m in rows], dtype=np.float32)


def _line(rows, key, name, color, axes, **kw):
    """Return a scatter trace of key over epochs on axes ('x', 'y') style names."""
    return {"type": "scatter", "mode": "lines", "x": column(rows, "epoch"), "y": column(rows, key), "name": name,
            "line": {"color": color, "width": 2, **kw.pop("line", {})}, "xaxis": axes[0], "yaxis": axes[1], **kw}


def _layout(height, revision, **extra):
    """Return a compact layout with a legend on top; revision keeps the user's zoom across live updates.

    extra holds more layout keys; each axis among them (xaxis=..., yaxis2=...) gets a faint grid
    and margins that fit its labels.
    """
    for name in extra:
        if name.startswith(("xaxis", "yaxis")):
            extra[name] = {"automargin": True, "gridcolor": GRID, "zeroline": False, **extra[name]}
    return {"height": height, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "uirevision": revision,
            "legend": {"orientation": "h", "y": 1.15, "x": 0}, "hovermode": "x unified", **extra}


def curves_figure(history, revision="live"):
    """Return loss (with the learning rate on a log axis) and accuracy side by side, over epochs."""
    rows = thin(history)
    data = [
        _line(rows, "train_loss", "train", TRAIN, ("x", "y"), legendgroup="train"),
        _line(rows, "val_loss", "validation", VAL, ("x", "y"), legendgroup="val"),
        _line(rows, "lr", "learning rate", LR, ("x", "y3"), line={"dash": "dot", "shape": "hv", "width": 1.5}),
        _line(rows, "train_acc", "train", TRAIN, ("x2", "y2"), legendgroup="train", showlegend=False),
        _line(rows, "val_acc", "validation", VAL, ("x2", "y2"), legendgroup="val", showlegend=False),
    ]
    layout = _layout(
        340, revision,
        xaxis={"domain": [0, 0.4], "title": {"text": "epoch"}, "rangemode": "tozero"},
        yaxis={"title": {"text": "loss"}, "rangemode": "tozero"},
        # One tick per power of ten, and no title: the legend names the dotted line, the panels stay apart.
        yaxis3={"overlaying": "y", "side": "right", "type": "log", "showgrid": False, "tickformat": "~g", "dtick": 1,
                "tickfont": {"color": LR}},
        xaxis2={"domain": [0.6, 1], "title": {"text": "epoch"}, "rangemode": "tozero"},
        yaxis2={"anchor": "x2", "title": {"text": "accuracy"}, "tickformat": ".0%"},
    )
    return figure(data, layout)


def compare_figure(runs):
    """Return the validation accuracy of each (name, history) in runs, overlaid."""
    data = [_line(thin(h), "val_acc", name, None, ("x", "y")) for name, h in runs if h]
    layout = _layout(320, "compare", showlegend=True, xaxis={"title": {"text": "epoch"}, "rangemode": "tozero"},
                     yaxis={"title": {"text": "validation accuracy"}, "tickformat": ".0%"})
    return figure(data, layout)


def confusion_figure(confusion):
    """Return a heatmap of confusion (10, 10) counts: true digit down, the network's answer across."""
    heat = {"type": "heatmap", "z": confusion.tolist(), "x": DIGITS, "y": DIGITS, "colorscale": "Blues",
            "texttemplate": "%{z}", "showscale": False,
            "hovertemplate": "true %{y}, network said %{x}: %{z} digits<extra></extra>"}
    layout = _layout(420, "confusion", xaxis={"title": {"text": "the network said"}, "side": "top", "type": "category"},
                     yaxis={"title": {"text": "true digit"}, "autorange": "reversed", "type": "category"})
    return figure([heat], layout)


def figure(data, layout):
    """Return a Plotly figure of trace dicts and a layout dict, validated only when VALIDATE is on."""
    return go.Figure({"data": data, "layout": layout}, _validate=VALIDATE)


def live_chart(figure, key):
    """Draw figure; later calls with the same key redraw it in place (Plotly.react) without a blink.

    st.plotly_chart gives a chart a new identity whenever its data changes (Streamlit 1.67 hashes
    the figure into the element id), so the browser builds a new chart every update and it blinks
    once a second while training.  Falls back to st.plotly_chart if Streamlit's Plotly bundle is not found.
    """
    if PLOTLY_BUNDLE is None:
        st.plotly_chart(figure, key=key, config={"displayModeBar": False})
    else:
        _live(key=key, data={"figure": json.loads(figure.to_json()), "bundle": PLOTLY_BUNDLE.name})


def preload_plotly():
    """Have the browser load Streamlit's Plotly bundle in the background, so the first page with charts draws sooner."""
    if PLOTLY_BUNDLE is not None:
        st.html(PRELOAD_JS % PLOTLY_BUNDLE.name, unsafe_allow_javascript=True)


def digit_pictures(X, scale=3):
    """Return inputs X (k, 784) in [0, 1] as uint8 images (k, 28*scale, 28*scale), enlarged with sharp pixels."""
    images = (np.asarray(X).reshape(-1, 28, 28) * 255).round().astype(np.uint8)
    return images.repeat(scale, axis=1).repeat(scale, axis=2)


def digit_examples(X, y):
    """Return the first picture of each digit 0..9 in X (n, 784), y (n,), as digit_pictures does."""
    return digit_pictures(X[[int((y == d).argmax()) for d in range(10)]], scale=2)
