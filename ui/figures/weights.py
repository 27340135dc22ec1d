"""Figures of the Weights page, cheap to build and small to send: a live page redraws them every 2 s.

Each figure has an empty template: Plotly's default one is 3.7 kB a figure and most of
the time it takes to build and send one, and the browser styles the charts with the app's
theme anyway.  The big heatmaps (a page of unit images, a weight matrix) travel as one
byte per cell: weights map to colour codes 1..255 (128 is zero) and code 0 marks the empty
cells between tiles.  A conv layer's channels are one picture (``channel_grid``), drawn on the
server: the browser shows it without a chart library.  Red is positive and blue negative, as on
the Draw page.  Not for Streamlit calls nor maths beyond laying numbers out:
``nn/explain/inspection.py`` computes them.
"""

import numpy as np
from PIL import Image, ImageDraw

from nn.explain.inspection import SIDE, grid_columns
from ui.figures.base import IMAGE_AXES, figure, font
from ui.figures.digits import pictures
from ui.figures.palette import BLUE, DIVERGING, GAP, GREY, INK_ON_PAPER, LABEL, LAYERS, OUTLINE, RED, paint, rgb

# Code 0 is the gap colour; codes 1..255 spread the diverging scale, so code 128 is a weight of zero.
CODED = [[0.0, GAP]] + [[(1 + 254 * p) / 255, c] for p, c in DIVERGING]
STRIP_GAP = 4  # pixels between the top digits
# The pictures of conv channels (``channel_grid``): sizes in screen pixels.
CHANNEL_PX = 60  # about how wide one channel is drawn
TILE_GAP, LABEL_PX, MARGIN = 6, 15, 8  # between two channels side by side; above a row, for their numbers; round all
BAR_PX, BAR_SPACE = 14, 80  # the colour bar's width; the room right of the grid for it and its numbers


def unit_grid(tiles, scale, cols, first, count, selected=None):
    """Return one heatmap of a page of unit images (``inspection.tile``), each numbered in its corner."""
    step = SIDE + 1
    labels = _tile_labels([str(first + i) for i in range(count)], cols)
    shapes = []
    if selected is not None and first <= selected < first + count:
        r, c = divmod(selected - first, cols)
        shapes.append({"type": "rect", "x0": c * step - 0.5, "x1": c * step + SIDE - 0.5, "y0": r * step - 0.5,
                       "y1": r * step + SIDE - 0.5, "line": {"color": OUTLINE, "width": 3}})
    rows = tiles.shape[0] // step + 1
    return _figure([_coded_heatmap(tiles, scale, hoverinfo="skip"), labels], 60 + 50 * rows, shapes=shapes,
                   **IMAGE_AXES)


def channel_grid(maps, scale, name="weight", tick="+.2f"):
    """Return per-channel images maps (channels, side, side) as one picture, uint8 RGB (height, width, 3).

    For a conv layer's filters, its feature maps or their gradients: a near-square grid of the
    channels, each numbered above, on the diverging scale ±scale as units are (red positive: a
    weight answering ink, a map firing), beside a colour bar in ``name``'s units.  A picture rather
    than a chart: nothing in it answers a pointer, and the browser draws it without Plotly, whose
    bundle takes 1.5 s to start in a new tab (this is the Weights page's first figure for the
    default, convolutional, model).  Each value is a square of whole pixels, so the weights stay sharp.
    """
    count, side = len(maps), maps.shape[-1]
    cols = grid_columns(count)
    rows = -(-count // cols)
    px = max(2, round(CHANNEL_PX / side))  # screen pixels a value
    tile = side * px
    step_x, step_y = tile + TILE_GAP, tile + LABEL_PX
    grid_w, grid_h = cols * step_x - TILE_GAP, rows * step_y
    bar_x, bar_y = MARGIN + grid_w + 14, MARGIN + LABEL_PX + 10  # room above the bar for its name
    bar_h = max(MARGIN + grid_h - bar_y, 100)
    picture = np.full((max(MARGIN + grid_h, bar_y + bar_h) + MARGIN, bar_x + BAR_SPACE, 3), rgb(GAP), dtype=np.uint8)
    colours = paint(DIVERGING, (np.asarray(maps, dtype=np.float32) / scale + 1) / 2).repeat(px, 1).repeat(px, 2)
    pen = ImageDraw.Draw(image := Image.fromarray(picture))
    for i in range(count):
        r, c = divmod(i, cols)
        x, y = MARGIN + c * step_x, MARGIN + r * step_y + LABEL_PX
        image.paste(Image.fromarray(colours[i]), (x, y))
        pen.text((x + tile / 2, y - 2), str(i), fill=rgb(LABEL), font=font(), anchor="mb")
    image.paste(Image.fromarray(paint(DIVERGING, np.linspace(1, 0, bar_h))[:, None].repeat(BAR_PX, 1)), (bar_x, bar_y))
    pen.text((bar_x, bar_y - 9), name, fill=rgb(LABEL), font=font(), anchor="lb")
    for t in (1, 0.5, 0, -0.5, -1):
        y = bar_y + round((1 - t) / 2 * (bar_h - 1))
        pen.line([(bar_x + BAR_PX, y), (bar_x + BAR_PX + 3, y)], fill=rgb(LABEL))
        pen.text((bar_x + BAR_PX + 6, y), f"{t * scale:{tick}}", fill=rgb(LABEL), font=font(), anchor="lm")
    return np.asarray(image)


def conv_pixel(patch, kernel):
    """Return the patch (K, K) of pixels, the kernel (K, K) and their product side by side, each cell's number on it.

    The sum of the third panel plus the bias is one output pixel of the convolution.
    """
    k = len(kernel)
    products = patch * kernel
    limit = float(np.abs(kernel).max()) or 1.0
    panels = [("the pixels X under it", patch, 0, 1, INK_ON_PAPER),
              ("× the filter's weights K", kernel, -limit, limit, DIVERGING),
              ("= their products", products, -float(np.abs(products).max() or 1), float(np.abs(products).max() or 1),
               DIVERGING)]
    data, axes = [], {}
    for i, (title, z, lo, hi, scale) in enumerate(panels, 1):
        n = "" if i == 1 else i  # Plotly names the first axes x and y, then x2, y2, ...
        data.append({"type": "heatmap", "z": z.astype(np.float32), "zmin": lo, "zmax": hi, "colorscale": scale,
                     "showscale": False, "xaxis": f"x{n}", "yaxis": f"y{n}", "texttemplate": "%{z:.2f}",
                     "textfont": {"size": 9}, "hovertemplate": f"{title}: %{{z:.4f}}<extra></extra>"})
        axes[f"xaxis{n}"] = {"domain": [(i - 1) / 3 + 0.01, i / 3 - 0.01], "visible": False, "anchor": f"y{n}",
                             "constrain": "domain", "title": {"text": title}}  # square cells, centred under notes
        axes[f"yaxis{n}"] = {"visible": False, "autorange": "reversed", "scaleanchor": f"x{n}", "anchor": f"x{n}"}
    notes = [{"text": title, "xref": "paper", "yref": "paper", "x": (i - 0.5) / 3, "y": 1.0, "yanchor": "bottom",
              "showarrow": False, "font": {"size": 12}} for i, (title, *_) in enumerate(panels, 1)]
    return _figure(data, 60 + 32 * k, annotations=notes, margin={"l": 10, "r": 10, "t": 30, "b": 10}, **axes)


def unit_image(weights, scale, title):
    """Return a heatmap of one unit's weights (28, 28), on the same colour range as the grid."""
    trace = {"type": "heatmap", "z": weights, "zmid": 0, "zmin": -scale, "zmax": scale, "colorscale": DIVERGING,
             "colorbar": {"thickness": 12},
             "hovertemplate": "pixel row %{y}, column %{x}: weight %{z:.3f}<extra></extra>"}
    return _figure([trace], 280, title, **IMAGE_AXES)


def digit_strip(images, labels, activations):
    """Return the digits images (k, 28, 28) in [0, 1] side by side, each captioned with its label and activation."""
    k = len(images)
    step = SIDE + STRIP_GAP
    trace = {"type": "heatmap", "z": pictures(images, per_row=k, gap=STRIP_GAP), "zmin": 0, "zmax": 255,
             "colorscale": INK_ON_PAPER, "showscale": False, "hoverinfo": "skip"}
    xaxis = {"constrain": "domain", "showgrid": False, "zeroline": False,
             "tickvals": [i * step + SIDE / 2 for i in range(k)],
             "ticktext": [f"<b>{int(y)}</b><br>{a:.2f}" for y, a in zip(labels, activations)]}
    # The title says what the numbers under the digits are: "activation 6.97" would not fit under a 28-px digit.
    return _figure([trace], 150, "Test digits that excite it most, with their activation", xaxis=xaxis,
                   yaxis=IMAGE_AXES["yaxis"])


def digit_means(by_digit):
    """Return a bar chart of a unit's mean activation for each digit class (10,)."""
    trace = {"type": "bar", "x": np.arange(10), "y": np.nan_to_num(by_digit).astype(np.float32),
             "marker": {"color": BLUE}, "hovertemplate": "digit %{x}: mean activation %{y:.3f}<extra></extra>"}
    return _figure([trace], 200, "Mean activation by digit", xaxis={"tickmode": "linear", "title": {"text": "digit"}})


def input_image(x):
    """Return the input digit x (784,) in [0, 1] as a heatmap of its pixels."""
    trace = {"type": "heatmap", "z": np.asarray(x, dtype=np.float32).reshape(SIDE, SIDE), "zmin": 0, "zmax": 1,
             "colorscale": INK_ON_PAPER, "showscale": False,
             "hovertemplate": "pixel row %{y}, column %{x}: %{z:.2f}<extra></extra>"}
    return _figure([trace], 220, **IMAGE_AXES)


def layer_bars(z, a, layer, activation):
    """Return one hidden layer's z (grey) with a = activation(z) (blue) over it, one bar per unit."""
    units = np.arange(len(z), dtype=np.int32)
    data = [
        {"type": "bar", "x": units, "y": z.astype(np.float32), "name": f"Z{layer}", "marker": {"color": GREY},
         "opacity": 0.6, "hovertemplate": f"unit %{{x}}: Z{layer} = %{{y:.3f}}<extra></extra>"},
        {"type": "bar", "x": units, "y": a.astype(np.float32), "name": f"A{layer} = {activation}(Z{layer})",
         "marker": {"color": BLUE}, "hovertemplate": f"unit %{{x}}: A{layer} = %{{y:.3f}}<extra></extra>"},
    ]
    return _figure(data, 220, barmode="overlay", bargap=0.1, legend={"orientation": "h", "y": 1.12, "x": 0},
                   xaxis={"title": {"text": "unit"}})


def weight_matrix(Wt, rows, cols, scale, name):
    """Return a heatmap of weight matrix ``name``, Wt (units, inputs) as in the classic notebook, at rows, cols."""
    trace = _coded_heatmap(Wt[np.ix_(rows, cols)], scale, x=cols, y=rows,
                           hovertemplate="unit %{y} ← input %{x}<extra></extra>")
    return _figure([trace], int(np.clip(90 + 2 * len(rows), 240, 560)),
                   f"{name}: one row per unit, one column per input",
                   xaxis={"title": {"text": "input (column)"}},
                   yaxis={"title": {"text": "unit (row)"}, "autorange": "reversed"})


def bias_bars(b, name, title=None):
    """Return a bar chart of a layer's biases b (units,), or any per-unit numbers, red above zero and blue below."""
    b = b.astype(np.float32)
    limit = float(np.abs(b).max()) or 1.0
    trace = {"type": "bar", "x": np.arange(len(b), dtype=np.int32), "y": b,
             "marker": {"color": b, "colorscale": DIVERGING, "cmin": -limit, "cmax": limit},
             "hovertemplate": f"unit %{{x}}: {name} = %{{y:.3f}}<extra></extra>"}
    return _figure([trace], 200, title or f"Biases {name}", xaxis={"title": {"text": "unit"}})


def gradient_grid(tiles, scale, cols, units):
    """Return one heatmap of a few units' dW1 images (``inspection.tile``), each labelled with its unit number."""
    heat = _coded_heatmap(tiles, scale, "dW1", "+.2g", hoverinfo="skip")  # gradients may be tiny: significant digits
    rows = tiles.shape[0] // (SIDE + 1) + 1
    return _figure([heat, _tile_labels([str(u) for u in units], cols)], 60 + 90 * rows, **IMAGE_AXES)


def _tile_labels(texts, cols):
    """Return a text trace putting texts[i] in the top-left corner of tile i of a grid ``cols`` tiles wide."""
    step = SIDE + 1
    r, c = np.divmod(np.arange(len(texts)), cols)
    return {"type": "scatter", "mode": "text", "x": c * step + 0.5, "y": r * step + 1.5, "text": texts,
            "textposition": "middle right", "textfont": {"size": 9, "color": LABEL}, "hoverinfo": "skip",
            "showlegend": False}


def before_after(p_before, p_after, label):
    """Return the ten probabilities before (grey) and after (blue) one update, the label's bar outlined."""
    digits = list(range(len(p_before)))
    outline = {"color": OUTLINE, "width": [3 if k == label else 0 for k in digits]}
    data = [{"type": "bar", "x": digits, "y": np.asarray(p, dtype=np.float32), "name": name,
             "marker": {"color": colour, "line": outline},
             "hovertemplate": f"digit %{{x}} {name}: %{{y:.1%}}<extra></extra>"}
            for p, name, colour in ((p_before, "before", GREY), (p_after, "after", BLUE))]
    return _figure(data, 260, barmode="group", legend={"orientation": "h", "y": 1.12, "x": 0},
                   xaxis={"tickmode": "linear", "title": {"text": "digit"}},
                   yaxis={"range": [0, 1], "tickformat": ".0%", "title": {"text": "probability"}})


def distributions(layers):
    """Return one histogram per layer, side by side: [(name, edges, counts now, counts at init or None)]."""
    data, axes = [], {}
    width = 1 / len(layers)
    for i, (name, edges, now, before) in enumerate(layers, 1):
        n = "" if i == 1 else i  # Plotly names the first axes x and y, then x2, y2, ...
        x, y = f"x{n}", f"y{n}"
        centres = ((edges[:-1] + edges[1:]) / 2).astype(np.float32)
        if before is not None:
            data.append({"type": "scatter", "x": centres, "y": before, "name": "at initialisation", "xaxis": x,
                         "yaxis": y, "line": {"color": GREY, "shape": "hvh", "width": 1}, "fill": "tozeroy",
                         "legendgroup": "init", "showlegend": i == 1})
        data.append({"type": "scatter", "x": centres, "y": now, "name": "now", "xaxis": x, "yaxis": y,
                     "line": {"color": RED, "shape": "hvh"}, "legendgroup": "now", "showlegend": i == 1})
        axes[f"xaxis{n}"] = {"domain": [(i - 1) * width + 0.02, i * width - 0.02], "anchor": y,
                             "title": {"text": f"weights of {name}"}}
        axes[f"yaxis{n}"] = {"anchor": x, "showticklabels": False}
    return _figure(data, 280, legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right",
                                      "yanchor": "bottom"}, **axes)


def health(h):
    """Return (gradient norms, update/weight ratios, dead ReLUs) figures from ``nn.explain.inspection.health``.

    One line per layer, named as ``h["names"]`` says (conv1, ..., W1, ...).
    """
    step, names = h["step"], h["names"]
    grad = _lines(step, h["grad_norm"], names["grad_norm"], "Gradient norm ‖dW‖ per layer", log=True)
    ratio = _lines(step, h["update_ratio"], names["update_ratio"], "Update / weight ratio per step", log=True,
                   shapes=[{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 1e-3, "y1": 1e-3,
                            "line": {"color": GREY, "dash": "dot"}}],
                   annotations=[{"text": "1e-3: a healthy pace", "xref": "paper", "x": 1, "y": -3,
                                 "xanchor": "right", "yanchor": "bottom", "showarrow": False,
                                 "font": {"color": GREY, "size": 11}}])
    dead = _lines(step, h["dead_relu"] * 100, names["dead_relu"], "Dead ReLUs (silent for a whole batch), %",
                  yaxis={"range": [0, 100]})
    return grad, ratio, dead


def _encode(a, scale):
    """Return a as uint8 colour codes: 1..255 for -scale..+scale (128 is zero), 0 where a is NaN."""
    codes = np.zeros(a.shape, dtype=np.uint8)
    ok = np.isfinite(a)
    codes[ok] = np.round(np.clip(a[ok] / scale, -1, 1) * 127 + 128).astype(np.uint8)
    return codes


def _coded_heatmap(a, scale, name="weight", tick="+.2f", **kw):
    """Return a one-byte-per-cell heatmap trace of a on the diverging scale ±scale, its colour bar in name's units."""
    ticks = np.array([-1, -0.5, 0, 0.5, 1])
    colorbar = {"tickvals": ticks * 127 + 128, "ticktext": [f"{t * scale:{tick}}" for t in ticks], "thickness": 12,
                "title": {"text": name, "side": "right"}}
    return {"type": "heatmap", "z": _encode(a, scale), "zmin": 0, "zmax": 255, "zauto": False, "colorscale": CODED,
            "colorbar": colorbar, **kw}


def _figure(data, height, title=None, **layout):
    """Return a figure with this page's margins and no template."""
    layout = {"height": height, "margin": {"l": 10, "r": 10, "t": 30 if title else 10, "b": 10}, "template": {},
              **layout}
    if title:
        layout["title"] = {"text": title, "font": {"size": 14}}
    return figure(data, layout)


def _lines(step, table, names, title, log=False, **layout):
    """Return one line per column of table (n, layers) against step, column j named names[j].

    Conv layers' lines are dashed: with up to 3 conv and 5 dense layers the colours come round again.
    """
    data = [{"type": "scatter", "mode": "lines", "x": step, "y": table[:, j], "name": name,
             "line": {"color": LAYERS[j % len(LAYERS)], "dash": "dash" if name.startswith("conv") else "solid"}}
            for j, name in enumerate(names)]
    layout.setdefault("yaxis", {"type": "log", "exponentformat": "power"} if log else {})
    return _figure(data, 260, title, xaxis={"title": {"text": "step"}},
                   legend={"orientation": "h", "y": -0.35, "x": 0}, **layout)
