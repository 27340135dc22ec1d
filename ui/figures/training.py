"""Figures of the Train page: learning curves, the runs compared, the class board's curves, the confusion matrix.

The learning curves are rebuilt about once a second per watching session while a run
trains, so they are cheap dicts built by ``base.figure`` from thinned histories; the confusion
matrix is a picture drawn on the server.  Not for numbers (``nn/`` and ``ui/runs.py``) nor for
drawing them live (``ui.frontend.live_chart``).
"""

import html

import numpy as np
from PIL import Image, ImageDraw

from ui.figures.base import figure, font, thin
from ui.figures.palette import COUNTS, GRID, LABEL, LEARNING_RATE, RUNS, TRAIN, VALIDATION, paint, rgb

DIGITS = [str(d) for d in range(10)]
CELL = 34  # pixels of a confusion matrix's cell
LEADERS = 3  # on the class board the best runs are drawn thicker, so the projector shows who leads
PERCENT = "~%"  # as many decimals as the ticks need: 90.5%, 91% (".0%" makes 90.5 and 91 both "90%"/"91%" twins)


def curves(history, revision="live"):
    """Return loss (with the learning rate on a log axis) and accuracy side by side, over epochs."""
    rows = thin(history)
    data = [
        _line(rows, "train_loss", "train", TRAIN, ("x", "y"), legendgroup="train"),
        _line(rows, "val_loss", "validation", VALIDATION, ("x", "y"), legendgroup="val"),
        _line(rows, "lr", "learning rate", LEARNING_RATE, ("x", "y3"),
              line={"dash": "dot", "shape": "hv", "width": 1.5}),
        _line(rows, "train_acc", "train", TRAIN, ("x2", "y2"), legendgroup="train", showlegend=False),
        _line(rows, "val_acc", "validation", VALIDATION, ("x2", "y2"), legendgroup="val", showlegend=False),
    ]
    layout = _layout(
        340, revision,
        xaxis={"domain": [0, 0.4], "title": {"text": "epoch"}, "rangemode": "tozero"},
        yaxis={"title": {"text": "loss"}, "rangemode": "tozero"},
        # One tick per power of ten, and no title: the legend names the dotted line, the panels stay apart.
        yaxis3={"overlaying": "y", "side": "right", "type": "log", "showgrid": False, "tickformat": "~g", "dtick": 1,
                "tickfont": {"color": LEARNING_RATE}},
        xaxis2={"domain": [0.6, 1], "title": {"text": "epoch"}, "rangemode": "tozero"},
        yaxis2={"anchor": "x2", "title": {"text": "accuracy"}, "tickformat": PERCENT},
    )
    return figure(data, layout)


def compare(runs):
    """Return the validation accuracy of each (name, history) in runs, overlaid (coloured by the theme, run by run)."""
    data = [_line(thin(h), "val_acc", name, None, ("x", "y")) for name, h in runs if h]
    layout = _layout(320, "compare", showlegend=True, xaxis={"title": {"text": "epoch"}, "rangemode": "tozero"},
                     yaxis={"title": {"text": "validation accuracy"}, "tickformat": PERCENT})
    return figure(data, layout)


def class_curves(runs, order):
    """Return the validation accuracy of every class board run overlaid (``ui.classroom.BoardRun``s).

    order: their run ids best first (the leaderboard's): the leaders are drawn thick and on top.
    Thirty curves stay readable: each run keeps its colour, the legend names it, hovering a
    line names it too.  Nicknames are typed by attendees and Plotly reads a few HTML tags in
    text, so they are escaped.
    """
    rank = {run_id: i for i, run_id in enumerate(order)}
    data = []
    for i, run in sorted(enumerate(runs), key=lambda item: -rank.get(item[1].run_id, len(order))):
        curve = run.numbers.get("curve") or {}
        if not curve.get("epoch"):
            continue
        keep = thin(range(len(curve["epoch"])))
        name, lead = html.escape(run.nickname), rank.get(run.run_id, LEADERS) < LEADERS
        data.append({"type": "scatter", "mode": "lines", "name": name, "opacity": 1.0 if lead else 0.7,
                     "x": np.array(curve["epoch"], np.float32)[keep], "y": np.array(curve["val_acc"], np.float32)[keep],
                     "line": {"color": RUNS[i % len(RUNS)], "width": 3.5 if lead else 1.5},
                     "hovertemplate": f"{name}<br>epoch %{{x:.1f}}: %{{y:.1%}}<extra></extra>"})
    layout = _layout(460, "class", showlegend=True, hovermode="closest",
                     xaxis={"title": {"text": "epoch"}, "rangemode": "tozero"},
                     yaxis={"title": {"text": "validation accuracy"}, "tickformat": PERCENT},
                     legend={"orientation": "v", "x": 1.02, "y": 1, "font": {"size": 11}})
    return figure(data, layout)


def confusion(counts, scale=1.0):
    """Return confusion counts (10, 10) as a picture, uint8 RGB: true digit down, the network's answer across.

    Each cell shows its count, on the counts' scale (deep blue for none, light grey for the most:
    the diagonal of a network that reads well).  A picture, as nothing in it needs a pointer: the
    Lab page shows it first, and a new tab draws it without starting Plotly.  scale enlarges it,
    text and all, for a projector (the class board).
    """
    n, cell, text = len(counts), round(CELL * scale), font(round(11 * scale))
    side = n * cell
    left, top = 2 * cell, 2 * cell  # room for the labels: "true digit" and the digits; the network's answers
    image = Image.new("RGB", (left + side + 8, top + side + 8), "white")
    pen = ImageDraw.Draw(image)
    colours = paint(COUNTS, np.asarray(counts, dtype=np.float32) / max(int(np.max(counts)), 1))
    for r in range(n):
        for c in range(n):
            x, y = left + c * cell, top + r * cell
            pen.rectangle([x, y, x + cell - 1, y + cell - 1], fill=tuple(int(v) for v in colours[r, c]))
            dark = colours[r, c] @ [0.299, 0.587, 0.114] < 140  # white numbers on dark cells
            pen.text((x + cell / 2, y + cell / 2), str(int(counts[r, c])), font=text, anchor="mm",
                     fill="white" if dark else rgb(LABEL))
        pen.text((left - cell / 4, top + r * cell + cell / 2), DIGITS[r], font=text, anchor="rm", fill=rgb(LABEL))
        pen.text((left + r * cell + cell / 2, top - cell / 6), DIGITS[r], font=text, anchor="mb", fill=rgb(LABEL))
    pen.text((left + side / 2, top - cell * 0.75), "the network said", font=text, anchor="mb", fill=rgb(LABEL))
    label = Image.new("L", (side, round(16 * scale)), 0)  # "true digit", written sideways up the left edge
    ImageDraw.Draw(label).text((side / 2, label.height / 2), "true digit", font=text, anchor="mm", fill=255)
    image.paste(rgb(LABEL), (left - round(cell * 1.2), top), label.rotate(90, expand=True))
    return np.asarray(image)


def _column(rows, key):
    """Return the values of key in rows as float32 (n,), which Plotly sends compactly."""
    return np.array([m[key] for m in rows], dtype=np.float32)


def _line(rows, key, name, color, axes, **kw):
    """Return a scatter trace of key over epochs on axes ('x', 'y') style names."""
    return {"type": "scatter", "mode": "lines", "x": _column(rows, "epoch"), "y": _column(rows, key), "name": name,
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
            "legend": {"orientation": "h", "y": 1.15, "x": 0}, "hovermode": "x unified"} | extra
