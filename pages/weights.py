"""The Weights page: what the session's network has learned, redrawn every 2 s while it trains.

It shows the active model (``Session.model``): the run training now, else an uploaded
model, else the bundled pretrained one the session chose, one section at a time (``SECTIONS``):
a page that draws a few figures is drawn at once, on a phone too, and a live redraw costs the
run little.  The numbers come from ``nn/explain/inspection.py``, the figures from
``ui.figures``; this script only places them.
"""

import math

import numpy as np
import streamlit as st

from nn.activations import ACTIVATIONS
from nn.explain import backprop, inspection, projection
from nn.network import conv_features
from nn.settings import TrainConfig
from ui import figures, frontend, lesson, sidebar
from ui.routing import through_app
from ui.session import session

through_app()  # a first request to a fresh server runs this page on its own: go through app.py

REFRESH_SECONDS = 2
MAP_POLL_SECONDS = 0.5  # how often the t-SNE map's progress bar is redrawn while it is computed
UNITS_PER_PAGE = 64
MAX_MATRIX_CELLS = 30_000  # ~40 kB a redraw at one byte per cell
BACKWARD_UNITS = 8  # first-layer units whose dW1 the backward pass draws
FUNCTION_NAMES = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "sigmoid": "sigmoid", "tanh": "tanh"}
# The page's sections, one shown at a time: key -> name on the switch ("units" is "Filters" for a conv net).
SECTIONS = {"units": "Neurons", "digit": "One digit, forward and back", "weights": "Weights and biases",
            "health": "Training health", "map": "Digits as each layer sees them"}
# Choices made in one section, kept while another is shown (Streamlit forgets a widget's value when the
# widget is not drawn in a run, unless the value is assigned again).
KEPT = ("weights_unit", "weights_page", "weights_learned", "weights_digit", "weights_backprop_lr",
        "weights_conv_channel", "weights_layer", "map_layer")

me = session()
sidebar.model_block(me)
live = me.shows_live_run


@st.cache_resource(max_entries=8, show_spinner=False)
def initial_weights(training):
    """Return the weights a model with these training settings (a ``TrainConfig.to_dict``) started from."""
    return inspection.initial_weights(TrainConfig.from_dict(training))


def clamp(key, hi):
    """Keep widget ``key``'s value within 0..hi, as the architecture can change between runs."""
    if st.session_state.get(key, 0) > hi:
        st.session_state[key] = hi


def start_weights(model, continued):
    """Return the weights the model started from, or None when its settings do not tell."""
    training = model.training
    if training is None or continued:
        return None
    start = initial_weights(training.to_dict())
    if any(name not in start or start[name].shape != p.shape for name, p, _ in model.net.params()):
        return None  # the file's settings describe another network
    return start


def neurons(net, X, y, start):
    """Draw the first layer's unit images, a page at a time, and one unit up close."""
    n = net.sizes[1]
    st.header("What each first-layer neuron looks for")
    st.caption("Each square is one hidden unit's 784 incoming weights, laid out as the 28×28 image it reacts to: "
               "red pixels excite it when inked, blue ones hold it back.")
    learned = st.toggle("Show only what it has learned (the weights minus their random start)", key="weights_learned",
                        disabled=start is None, help="Pixels that are never inked keep their random start: "
                        "taking it away leaves the strokes each unit has learned to look for.")
    learned = learned and start is not None
    W = net.dense[0].W - start["W1"] if learned else net.dense[0].W
    scale = inspection.robust_scale(W)
    grid_col, unit_col = st.columns([3, 2], gap="large")
    with unit_col:
        st.subheader("One neuron up close")
        clamp("weights_unit", n - 1)
        k = st.number_input(f"Unit (0 to {n - 1})", min_value=0, max_value=n - 1, key="weights_unit")
        u = inspection.unit(net, k, X, y)
        st.metric(f"Bias b1[{k}]", f"{u.bias:+.3f}")
        title = f"Unit {k}: what its 784 weights learned" if learned else f"Unit {k}: its 784 weights"
        st.plotly_chart(figures.weights.unit_image(W[:, k].reshape(28, 28), scale, title), key="weights_unit_image")
        st.plotly_chart(figures.weights.digit_strip(X[u.top].reshape(-1, 28, 28), y[u.top], u.top_a), key="weights_top")
        st.plotly_chart(figures.weights.digit_means(u.by_digit), key="weights_by_digit")
        st.caption(f"Searched the first {u.searched:,} test digits.")
    with grid_col:
        pages = math.ceil(n / UNITS_PER_PAGE)
        page = 1
        if pages > 1:
            clamp("weights_page", pages)
            page = st.slider("Page of units", 1, pages, key="weights_page",
                             help=f"{n:,} units, {UNITS_PER_PAGE} per page, so the page stays quick.")
        first = (page - 1) * UNITS_PER_PAGE
        count = min(UNITS_PER_PAGE, n - first)
        cols = inspection.grid_columns(count)
        tiles = inspection.tile(W[:, first:first + count].T, cols)
        st.plotly_chart(figures.weights.unit_grid(tiles, scale, cols, first, count, k), key="weights_grid")
        st.caption(f"Units {first}–{first + count - 1} of {n:,}; colours span ±{scale:.2f}.")


def filters(net):
    """Draw a conv net's first-layer filters, and say that single neurons as 28×28 pictures are for dense nets."""
    kernels = inspection.first_filters(net)
    c, k = len(kernels), kernels.shape[-1]
    st.header("What each first-layer filter looks for")
    st.caption(f"This network is convolutional: its first layer is {c} small {k}×{k} filters, each slid over the "
               "whole image, so each learns a stroke wherever it is (an edge, a bar, a corner). Red weights answer "
               "ink on that spot, blue ones are held back by it.")
    scale = inspection.robust_scale(kernels)
    show_channels(kernels, scale, f"{c} filters of {k}×{k} weights", "weights_filters")
    st.caption(f"Colours span ±{scale:.2f}. The pictures of single neurons as 28×28 images are for fully "
               "connected networks, whose first-layer units each see all 784 pixels: choose the fully connected "
               "one under Bundled model, in the sidebar, to see them.")


def show_channels(maps, scale, title, key, name="weight", tick="+.2f"):
    """Show per-channel images maps (channels, side, side) on ±scale as one picture titled title, in container key."""
    with st.container(key=key):
        st.image(figures.weights.channel_grid(maps, scale, name, tick), caption=title, output_format="PNG")  # sharp


def pick_random_digit(n):
    """Set the digit picker to a random test digit."""
    st.session_state["weights_digit"] = int(np.random.default_rng().integers(n))


def input_name(net, j):
    """Return what dense layer j reads, as the equations write it: X, F (a conv net's flattened maps) or A_{j-1}."""
    if j > 1:
        return f"A_{j - 1}"
    return "F" if net.conv else "X"


def conv_name(i):
    """Return conv block i's subscript, as the equations write it (Z_conv1, K_1)."""
    return rf"\mathrm{{conv}}{i}"


def conv_blocks(net, conv_steps):
    """Draw each conv block's feature maps: the convolution's output, then pooled and through the activation.

    Its equations go above its maps, not beside them: they are too wide for a side column.
    """
    f = FUNCTION_NAMES[net.activation]
    for i, (z, a) in enumerate(conv_steps, 1):
        prev = "X" if i == 1 else rf"A_{{{conv_name(i - 1)}}}"
        c, k = net.conv_spec[i - 1]
        st.latex(rf"Z_{{{conv_name(i)}}} = K_{i} \ast {prev} + b_{{{conv_name(i)}}}")
        side = conv_features(net.conv_spec[:i - 1])[1]  # what the blocks before leave of the 28×28 image
        st.caption(f"{c} filters of {k}×{k}, each slid over the {side}×{side} "
                   f"{'image' if i == 1 else 'maps'}: {c} maps of {z.shape[-1]}×{z.shape[-1]}.")
        scale = float(np.abs(z).max()) or 1.0
        show_channels(z, scale, f"Z conv{i}: what each filter finds", f"weights_conv_z_{i}", "Z")
        st.latex(rf"A_{{{conv_name(i)}}} = \mathrm{{{f}}}(\mathrm{{maxpool}}(Z_{{{conv_name(i)}}}))")
        st.caption(f"Each 2×2 window keeps its largest value: {a.shape[-1]}×{a.shape[-1]} maps. (Pooling first "
                   f"and {f} after give the same numbers, as {f} never decreases.)")
        show_channels(a, float(np.abs(a).max()) or 1.0, f"A conv{i}: pooled, then {f}", f"weights_conv_a_{i}", "A")
    c, side = net.conv_spec[-1][0], conv_steps[-1][1].shape[-1]
    st.latex(rf"F = \mathrm{{flatten}}(A_{{{conv_name(len(conv_steps))}}})")
    st.caption(f"{c} maps of {side}×{side} laid end to end: {net.sizes[0]:,} numbers for the dense layers.")


def conv_pixel(net, x, z1):
    """Write out one output pixel of the first convolution: the patch, the kernel, their products and the sum."""
    st.subheader("One pixel of the first convolution, written out")
    c = len(z1)
    clamp("weights_conv_channel", c - 1)
    channel = st.number_input(f"Filter (0 to {c - 1})", min_value=0, max_value=c - 1, key="weights_conv_channel")
    px = inspection.conv_pixel(net, x, channel, z1[channel])
    k = len(px.kernel)
    terms = [(f"{w:.2f}" if w >= 0 else f"({w:.2f})") + rf"\cdot{v:.2f}"
             for w, v in zip(px.kernel.ravel(), px.patch.ravel()) if v][:3]  # the first inked pixels' terms
    st.latex(rf"Z_{{\mathrm{{conv}}1}}[{channel}, {px.row}, {px.col}] = \sum_{{i,j=0}}^{{{k - 1}}} "
             rf"K_1[{channel}, i, j]\; X[{px.row}+i, {px.col}+j] + b_{{\mathrm{{conv}}1}}[{channel}]")
    shown = " + ".join(terms) + (r" + \dots" if len(terms) == 3 else "") if terms else "0"
    st.latex(rf"= {shown} {'+' if px.bias >= 0 else '-'} {abs(px.bias):.3f} = {px.z:.3f}")
    st.plotly_chart(figures.weights.conv_pixel(px.patch, px.kernel), key="weights_conv_pixel")
    st.caption(f"Where filter {channel} answers this digit most strongly: row {px.row}, column {px.col} of its map. "
               f"The {k * k} products (right) add up to {px.z - px.bias:.3f}; with the bias {px.bias:+.3f} that "
               f"is {px.z:.3f}, the brightest pixel of map {channel} above. Slid to every position, the same sum "
               "draws the whole map.")


def forward(net, X, y):
    """Draw one test digit going through the network, each equation beside the numbers it gives."""
    st.header("The forward pass of one digit")
    st.caption("Like the classic notebook, this page writes one digit as a column X (784 × 1) and W1 as "
               "(units × inputs); the engine stores each W transposed, (inputs × units), and computes x·W + b — "
               "the same numbers." + (" A convolutional network first slides its filters over the digit as a "
                                      "28×28 image; its dense layers then read the resulting maps." if net.conv
                                      else ""))
    pick, button = st.columns([3, 1], vertical_alignment="bottom")
    clamp("weights_digit", len(X) - 1)
    i = pick.number_input(f"Test digit (0 to {len(X) - 1:,})", min_value=0, max_value=len(X) - 1, key="weights_digit")
    button.button("Random digit", key="weights_random_digit", on_click=pick_random_digit, args=(len(X),))
    steps = inspection.forward_pass(net, X[i])
    conv_steps, steps = steps[:len(net.conv)], steps[len(net.conv):]
    f = FUNCTION_NAMES[net.activation]
    fires_above_zero = ACTIVATIONS[net.activation].silent_below_zero
    left, right = st.columns([1, 3], gap="large")
    with left:
        st.latex(r"X")
        st.plotly_chart(figures.weights.input_image(X[i]), key="weights_input")
        st.caption(f"Its label: **{y[i]}**. 784 pixels, each ink/255.")
    with right:
        if conv_steps:
            conv_blocks(net, conv_steps)
        for j, (z, a) in enumerate(steps[:-1], 1):
            eq, fig = st.columns([1, 3], vertical_alignment="center")
            eq.latex(rf"Z_{j} = W_{j}\,{input_name(net, j)} + b_{j}")
            eq.latex(rf"A_{j} = \mathrm{{{f}}}(Z_{j})")
            eq.caption(f"{int((a > 0).sum()):,} of {len(z):,} units fire (A > 0)." if fires_above_zero
                       else f"{len(z):,} units, A from {a.min():.2f} to {a.max():.2f}.")
            fig.plotly_chart(figures.weights.layer_bars(z, a, j, f), key=f"weights_layer_bars_{j}")
        L = len(steps)
        z, p = steps[-1]
        eq, fig = st.columns([1, 3], vertical_alignment="center")
        eq.latex(rf"Z_{L} = W_{L}\,{input_name(net, L)} + b_{L}")
        eq.latex(rf"A_{L} = \mathrm{{softmax}}(Z_{L})")
        eq.caption(f"It reads **{int(p.argmax())}** ({p.max():.1%} sure); the label is {y[i]}.")
        fig.plotly_chart(figures.drawing.probability_bars(p, int(p.argmax())), key="weights_probs")
    if conv_steps:
        conv_pixel(net, X[i], conv_steps[0][0])


def copy_again(model):
    """Throw the backward pass's copy away: the next one copies the model as it is now."""
    me.stepper(model, fresh=True)


def conv_backward(net, blocks):
    """Draw the conv blocks' backward pass, last block first, and the first filters' gradients as small images."""
    f = FUNCTION_NAMES[net.activation]
    for block in reversed(blocks):
        i, name = block.i, conv_name(block.i)
        eq, fig = st.columns([2, 3], vertical_alignment="center")  # wider equations than a dense layer's
        if i == len(blocks):
            eq.latex(rf"dA_{{{name}}} = \mathrm{{unflatten}}(dF)")
        eq.latex(rf"dZ_{{{name}}} = \mathrm{{unpool}}(dA_{{{name}}} \circ \mathrm{{{f}}}'(\cdot))")
        eq.caption("Each 2×2 window's gradient goes back to its largest value only; the other three pixels get 0: "
                   f"{int(np.count_nonzero(block.dZ)):,} of {block.dZ.size:,} pass a gradient back.")
        prev = "X" if i == 1 else rf"A_{{{conv_name(i - 1)}}}"
        eq.latex(rf"dK_{i} = dZ_{{{name}}} \star {prev}")
        eq.latex(rf"db_{{{name}}} = \textstyle\sum_{{r,s}} dZ_{{{name}}}[\cdot, r, s]")
        eq.caption(f"Each kernel weight's gradient adds dZ times the {'pixel' if i == 1 else 'value'} it met, over "
                   f"every position; a bias's adds its map's dZ. dK{i}'s largest entry is "
                   f"{np.abs(block.dK).max():.3g}.")
        if i > 1:
            eq.latex(rf"dA_{{{conv_name(i - 1)}}} = dZ_{{{name}}} \ast \mathrm{{rot180}}(K_{i})")
        scale = float(np.abs(block.dZ).max()) or 1.0
        with fig:
            show_channels(block.dZ, scale, f"dZ conv{i}: one map per filter", f"weights_backprop_conv_dz_{i}", "dZ",
                          "+.2g")
    dK1 = blocks[0].dK[:, 0]
    st.subheader("dK1: the first filters' gradients")
    show_channels(dK1, inspection.robust_scale(dK1), f"dK1 of the {len(dK1)} filters", "weights_backprop_dk1", "dK1",
                  "+.2g")
    st.caption("Red: the update lowers those weights; blue: raises them. A filter whose map this digit barely "
               "reaches gets almost no gradient.")


def backward(model, X, y):
    """Draw the chosen digit's backward pass, equation by equation, and one gradient-descent step on a copy."""
    st.header("The backward pass of one digit")
    st.caption("How the loss of the digit above flows back through the network, in the classic notebook's "
               "notation: one digit, so m = 1 and no 1/m. Every number comes from the engine's own backward, run on "
               "a private copy of the model; the run's L2 penalty and dropout, which belong to training batches, "
               "are left out.")
    i = st.session_state["weights_digit"]  # the forward section's digit
    stepper = me.stepper(model)
    net = model.net
    lr_col, fresh_col = st.columns([3, 1], vertical_alignment="bottom")
    st.session_state.setdefault("weights_backprop_lr", 0.1)  # kept across sections: see KEPT
    lr = lr_col.number_input("Learning rate α of the update", min_value=1e-4, max_value=10.0,
                             step=0.05, format="%g", key="weights_backprop_lr",
                             help="How far one update moves each weight against its gradient.")
    fresh_col.button("Copy the model again", key="weights_backprop_fresh", on_click=copy_again, args=(model,),
                     disabled=not stepper.steps and not live,
                     help="Forget the updates applied to the copy and copy the model as it is now.")
    before, after = stepper.step(X[i], y[i], lr, apply=False)
    layers, L = before.layers, len(before.layers)
    f = FUNCTION_NAMES[net.activation]
    st.latex(rf"\mathcal{{L}} = -\log A_{L}[y] = -\log {before.p[before.label]:.4g} = {before.loss:.4g}")
    for layer in reversed(layers):
        j, prev = layer.j, input_name(net, layer.j)
        eq, fig = st.columns([1, 3], vertical_alignment="center")
        if j == L:
            eq.latex(rf"dZ_{L} = A_{L} - Y")
            eq.caption(f"Y is the label {before.label} one-hot: dZ{L}[{before.label}] = "
                       f"{before.p[before.label]:.4g} − 1 = {layer.dZ[before.label]:+.4g}; every other entry is "
                       "that digit's probability.")
        else:
            eq.latex(rf"dZ_{j} = dA_{j} \circ \mathrm{{{f}}}'(Z_{j})")
            eq.caption(f"{int(np.count_nonzero(layer.dZ)):,} of {len(layer.dZ):,} units pass a gradient back.")
        eq.latex(rf"dW_{j} = dZ_{j}\,{prev}^\top")
        eq.latex(rf"db_{j} = dZ_{j}")
        n_in, units = layer.dW.shape
        eq.caption(f"dW{j} is {units:,} × {n_in:,}: its largest entry is {np.abs(layer.dW).max():.3g}, "
                   f"its norm {np.linalg.norm(layer.dW):.3g}.")
        if layer.dA_prev is not None:
            eq.latex(rf"d{'F' if j == 1 else f'A_{j - 1}'} = W_{j}^\top dZ_{j}")
        fig.plotly_chart(figures.weights.bias_bars(layer.dZ, f"dZ{j}", f"dZ{j} = db{j}, one bar per unit"),
                         key=f"weights_backprop_dz_{j}")
    if before.conv:
        conv_backward(net, before.conv)
    else:
        dW1 = layers[0].dW
        units = backprop.strongest_units(dW1, BACKWARD_UNITS)
        cols = inspection.grid_columns(len(units))
        st.subheader("dW1 of the units this digit moves most")
        st.plotly_chart(figures.weights.gradient_grid(inspection.tile(dW1[:, units].T, cols),
                                                      inspection.robust_scale(dW1[:, units]), cols, units),
                        key="weights_backprop_dw1")
        st.caption("Column k of dW1 is dZ1[k] times the digit itself: a unit's gradient is the digit's picture, "
                   "scaled by how much that unit should change. Red: the update lowers those weights; blue: raises "
                   "them.")
    st.subheader("One gradient-descent update")
    eq, fig = st.columns([1, 3], vertical_alignment="center")
    eq.latex(r"W_j \leftarrow W_j - \alpha\, dW_j")
    eq.latex(r"b_j \leftarrow b_j - \alpha\, db_j")
    if before.conv:
        eq.latex(r"K_i \leftarrow K_i - \alpha\, dK_i")
    eq.latex(rf"\mathcal{{L}}: {before.loss:.4g} \to {after.loss:.4g}")
    eq.caption(f"Before: {before.loss:.4g}, it read **{int(before.p.argmax())}** ({before.p.max():.1%}); after: "
               f"**{int(after.p.argmax())}** ({after.p.max():.1%}). The label is {before.label}.")
    fig.plotly_chart(figures.weights.before_after(before.p, after.p, before.label), key="weights_backprop_probs")
    st.button("Apply this update to the copy", key="weights_backprop_apply", type="primary",
              on_click=stepper.step, args=(X[i], y[i], lr),
              help="Step the copy; press again to watch the digit being learned. The model itself never changes.")
    st.caption(f"The copy has taken {stepper.steps:,} update{'s' if stepper.steps != 1 else ''}; "
               "the model itself is untouched."
               + (" The run learns on meanwhile: this section shows the copy made when it first appeared; "
                  "**Copy the model again** takes the run's weights now." if live else ""))


def matrices(net):
    """Draw one layer's weight matrix, in the seeds' (units × inputs) layout, and its biases."""
    st.header("Every layer's weight matrix")
    L = len(net.dense)
    clamp("weights_layer", L - 1)
    j = st.radio("Layer", range(L), horizontal=True, key="weights_layer",
                 format_func=lambda i: f"W{i + 1} ({net.sizes[i + 1]} × {net.sizes[i]})")
    d = net.dense[j]
    Wt = d.W.T  # the seeds' layout: one row per unit
    rows, cols = inspection.sample_matrix(Wt, MAX_MATRIX_CELLS)
    st.plotly_chart(figures.weights.weight_matrix(Wt, rows, cols, inspection.robust_scale(d.W), f"W{j + 1}"),
                    key="weights_matrix")
    shown = len(rows) * len(cols)
    if shown < Wt.size:
        st.caption(f"An evenly spaced sample of rows and columns: {shown:,} of {Wt.size:,} weights, "
                   "to keep the page light.")
    st.plotly_chart(figures.weights.bias_bars(d.b, f"b{j + 1}"), key="weights_bias")


def distributions(net, start, continued):
    """Draw each layer's weight histogram (conv kernels first) now over the one at initialisation (when known)."""
    st.header("Distributions: now over at initialisation")
    layers = []
    for name, W in net.weights().items():
        edges, now, before = inspection.histograms(W, None if start is None else start[name])
        layers.append((name.removesuffix(".W"), edges, now, before))  # conv1, ..., W1, ...
    st.plotly_chart(figures.weights.distributions(layers), key="weights_hist")
    if start is not None:
        st.caption("The random start is a narrow bell; learning spreads it and gives it heavier tails.")
    elif continued:
        st.caption("This run started from an uploaded model's weights, so there is no random start to compare with.")
    else:
        st.caption("This model's file does not say how it started, so only its weights now are shown.")


def health(run):
    """Draw the run's gradient norms, update-to-weight ratios and dead ReLUs over its steps."""
    st.header("Training health over time")
    if run is None or not run.history:
        st.caption("These charts fill in while this session trains a model on the Train page.")
        return
    h = inspection.health(figures.base.thin(run.history))
    for col, fig, key in zip(st.columns(3), figures.weights.health(h), ("grad", "ratio", "dead")):
        if key == "dead" and not h["dead_relu"].shape[1]:
            col.caption(f"No ReLU layers ({run.config.activation}), so no unit can die.")
        else:
            col.plotly_chart(fig, key=f"weights_health_{key}")
    if run.config.conv:
        st.caption("Dashed lines are the conv layers: their kernels' gradient and update. In a conv layer a unit "
                   "is a channel, dead when its whole feature map stays at zero for every digit of the batch.")


@st.fragment(run_every=REFRESH_SECONDS if live else None)
def view(section):
    """Draw the active model's summary and the chosen section; while a run trains, this reruns on its own."""
    if live and not me.shows_live_run:
        st.rerun()  # the run ended: redraw the whole page once, without the timer
    model = me.model()
    splits = me.splits()
    X, y = splits.X_test, splits.y_test
    run = me.shown_run
    if run is not None:
        st.info(f"**{model.architecture}** — {model.source_text}: step {run.step_count:,} of {run.total_steps:,}"
                + (f", redrawn every {REFRESH_SECONDS} s." if live else "."), icon="🔴" if live else "🧠")
    else:
        st.info(f"**{model.architecture}** — {model.source_text}. Train one on the Train page to watch it learn here.",
                icon="🧠")
    continued = run is not None and run.continued
    if section == "units" and model.net.conv:
        filters(model.net)
    elif section == "units":
        neurons(model.net, X, y, start_weights(model, continued))
    elif section == "digit":
        forward(model.net, X, y)
        backward(model, X, y)
    elif section == "weights":
        matrices(model.net)
        distributions(model.net, start_weights(model, continued), continued)
    elif section == "health":
        health(run)


def chosen_digit(X, *events):
    """Show the test digit (of X) of the point last clicked on either map's selection event, its label and reading."""
    picked = [p for event in events if event for p in event.selection.points if "customdata" in p]
    if not picked:
        st.caption("Click a point to see its digit here.")
        return
    i, label, read = (int(v) for v in picked[-1]["customdata"])
    if i >= len(X):  # a map of other data (the dataset changed since it was drawn)
        st.caption("Click a point to see its digit here.")
        return
    st.image(figures.digits.pictures([X[i]], size=112)[0], caption=f"Test digit {i}: label {label}, read as {read}")


tsne_job = me.activation_map.tsne()
tsne_was_running = tsne_job is not None and tsne_job.running


@st.fragment(run_every=MAP_POLL_SECONDS if tsne_was_running else REFRESH_SECONDS if live else None)
def activation_map():
    """Draw the map of the test digits as a chosen layer sees them: PCA live, t-SNE on request in the background."""
    maps = me.activation_map
    job = maps.tsne()
    if (live and not me.shows_live_run) or (tsne_was_running and not job.running):
        st.rerun()  # the run or the t-SNE ended: redraw the whole page once, on the slower timer
    model, splits = me.model(), me.splits()
    net, X, y = model.net, splits.X_test, splits.y_test
    st.header("The digits as each layer sees them")
    st.caption("Each point is one test digit, placed by what a layer makes of it and coloured by its label; an x "
               "marks a digit the network misreads. Close points look alike to that layer. On the pixels the "
               "classes overlap; layer by layer the network pulls them apart.")
    names = projection.layer_names(net)
    # The first hidden layer first: the pixels' map never changes, a hidden layer's moves as the run learns.
    st.session_state.setdefault("map_layer", 1)
    clamp("map_layer", len(names) - 1)
    j = st.selectbox("Layer", range(len(names)), format_func=names.__getitem__, key="map_layer")
    frame = maps.frame(net, X, y, j, learning=live)
    pca_col, tsne_col, digit_col = st.columns([5, 5, 2], gap="medium")
    with pca_col:
        title = f"PCA: the 2 directions of most spread ({frame.explained.sum():.0%} of it)"
        pca = st.plotly_chart(figures.activation_map.digit_map(frame.points, frame.labels, frame.predicted,
                                                               frame.index, title), key="map_pca",
                              on_select="rerun", selection_mode="points")
        st.caption(f"{len(frame.index):,} test digits, {frame.misread:,} misread."
                   + (f" Redrawn every {REFRESH_SECONDS} s as the run learns." if live else ""))
    with tsne_col:
        run = me.shown_run
        if st.button("Compute a t-SNE map of this layer", key="map_tsne_start",
                     help="t-SNE keeps each digit near its nearest neighbours, so it shows clusters PCA cannot; "
                          "it takes seconds, in the background, for the layer as it is now."):
            when = f"run {run.id[:6]} at step {run.step_count:,}" if run is not None else model.source
            maps.start_tsne(net, X, y, j, when)
            st.rerun()  # the whole page, so this section polls the progress
        tsne = None
        if job is None:
            st.caption("A non-linear map of the same digits, computed on request.")
        elif job.running:
            done, stage = job.progress()
            st.progress(done, text=f"t-SNE of {job.layer_name}: {stage} ({done:.0%})")
        elif job.error:
            st.error(job.error)
        else:
            f = job.frame
            tsne = st.plotly_chart(figures.activation_map.digit_map(
                f.points, f.labels, f.predicted, f.index, f"t-SNE of {job.layer_name}"), key="map_tsne",
                on_select="rerun", selection_mode="points")
            st.caption(f"Computed for {lesson.markdown_text(job.when)}. Distances between clusters mean little "
                       "in t-SNE; who is near whom does.")
    with digit_col:
        chosen_digit(X, pca, tsne)


def pick_section(net):
    """Return the key of the section chosen on the switch under the title."""
    names = {**SECTIONS, "units": "Filters" if net.conv else SECTIONS["units"]}
    return st.radio("Section", list(names), format_func=names.__getitem__, horizontal=True, key="weights_section",
                    label_visibility="collapsed")


for key in KEPT:
    if key in st.session_state:
        st.session_state[key] = st.session_state[key]
st.title("🔬 Inside the network")
chosen = pick_section(me.model().net)
# In a new tab: fetch Plotly at once for a section's charts, but when the browser is idle for a conv net's
# filters, a picture: starting Plotly's bundle holds the browser 1.5 s, and would hold the picture back too.
frontend.preload_plotly(now=not (chosen == "units" and me.model().net.conv))
view(chosen)
if chosen == "map":
    activation_map()
