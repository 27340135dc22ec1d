"""Numbers for the Weights page: what a network has learned, read from its weights alone.

The network may be training on another thread, so this uses only the engine's
inference forward (``Network.trace``), which keeps nothing in the layers
(``nn/explain/saliency.py`` follows the same rule for the Draw page).  Weights are
batch-first as the engine stores them: ``dense[i].W`` is (n_in, n_out), the classic
notebook's W transposed (``nn/classic.py``).  Not for figures: ``ui.figures.weights``
draws these numbers.
"""

import math
from dataclasses import dataclass

import numpy as np

from nn.network import Network

SIDE = 28
MAX_DIGITS = 2000  # test digits searched for a unit's favourites: enough to find them, cheap for 1,024 units
MAX_VALUES = 100_000  # weights read for a colour range or a histogram: the shape shows, the refresh stays cheap


def initial_weights(config):
    """Return {W1: (784, h1), b1, ...} as a run with these settings (a TrainConfig) started: same seed, same weights."""
    return Network.from_config(config).copy_weights()


def _sample(a, most=MAX_VALUES):
    """Return a copy of at most about ``most`` evenly strided values of a, flat: its shape, cheaply.

    A copy, because a live run rewrites its weights in place between two reads of a view.
    """
    flat = a.ravel()
    return flat[::max(1, len(flat) // most)].copy()


def robust_scale(a, q=99.5):
    """Return the q-th percentile of |a|: a colour range that one outlier weight cannot wash out."""
    v = np.abs(_sample(a))
    s = float(np.percentile(v, q))
    return s if s > 0 else float(v.max()) or 1.0


def tile(images, cols, gap=1):
    """Return 28×28 images (k, 784) laid out in rows of ``cols``, (rows*(28+gap)-gap, cols*(28+gap)-gap); NaN between.

    Cells past the last image stay NaN too, so one heatmap can draw a whole page of units'
    weight images.
    """
    k = len(images)
    rows = max(math.ceil(k / cols), 1)
    step = SIDE + gap
    out = np.full((rows * step - gap, cols * step - gap), np.nan, dtype=np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[r * step:r * step + SIDE, c * step:c * step + SIDE] = img.reshape(SIDE, SIDE)
    return out


def first_filters(net):
    """Return a conv net's first-layer kernels, (channels, K, K): a copy, as a live run rewrites them in place."""
    return net.conv[0].W[:, 0].copy()


def grid_columns(count, most=8):
    """Return how many columns lay out ``count`` tiles as a near-square grid, at most ``most`` wide."""
    return max(1, min(most, math.ceil(math.sqrt(count))))


def sample_matrix(M, max_cells):
    """Return (rows, cols): evenly spaced indices of M (r, c) keeping about max_cells cells and M's aspect."""
    r, c = M.shape
    f = max(1.0, math.sqrt(r * c / max_cells))
    return (np.linspace(0, r - 1, max(1, int(r / f))).round().astype(np.int32),
            np.linspace(0, c - 1, max(1, int(c / f))).round().astype(np.int32))


def histograms(now, before=None, bins=50):
    """Return (edges (bins+1,), counts now (bins,), counts before or None) on one set of bins covering both.

    Large layers are histogrammed from an evenly strided sample of MAX_VALUES weights.
    """
    values = [_sample(now)] if before is None else [_sample(now), _sample(before)]
    lo = min(float(v.min()) for v in values)
    hi = max(float(v.max()) for v in values)
    hi = hi if hi > lo else lo + 1e-6
    counts = [np.histogram(v, bins, (lo, hi))[0].astype(np.int32) for v in values]
    return np.linspace(lo, hi, bins + 1), counts[0], counts[1] if before is not None else None


@dataclass(frozen=True)
class Unit:
    """One first-layer unit: its bias and which test digits excite it most."""

    bias: float
    top: np.ndarray  # (k,) indices into the test digits searched, most exciting first
    top_a: np.ndarray  # (k,) the unit's activation for each of them
    by_digit: np.ndarray  # (10,) its mean activation over the test digits of each class (NaN if none)
    searched: int  # how many test digits were searched


def unit(net, unit_index, X, y, k=8):
    """Return the Unit of first-layer unit ``unit_index``, searching at most MAX_DIGITS of X (n, 784), y (n,)."""
    X, y = X[:MAX_DIGITS], y[:MAX_DIGITS]
    d = net.dense[0]
    w = d.W[:, unit_index].copy()  # a snapshot: a live run rewrites W in place
    b = float(d.b[unit_index])
    a = net.hidden_activations[0].forward(X @ w + w.dtype.type(b))  # inference: keeps nothing
    top = np.argsort(-a, kind="stable")[:k]
    counts = np.bincount(y, minlength=10)
    with np.errstate(invalid="ignore", divide="ignore"):
        by_digit = np.bincount(y, weights=a, minlength=10) / counts
    return Unit(b, top, a[top], by_digit, len(X))


def forward_pass(net, x):
    """Return [(z, a)] for one digit x (784,): ``Network.trace`` of that one digit, without the batch axis.

    A conv net's first ``len(net.conv)`` steps are its blocks: z the convolution's output
    (channels, Ho, Wo), a the block's output after pooling and the activation
    (channels, Ho // 2, Wo // 2).  Then one step per dense layer, each (units,), the last
    (logits, probabilities).
    """
    return [(z[0], a[0]) for z, a in net.trace(np.reshape(x, (1, -1)))]


@dataclass(frozen=True)
class ConvPixel:
    """One output pixel of the first conv layer, written out: z = sum(kernel * patch) + bias."""

    channel: int
    row: int  # where in the output map (Ho, Wo); the patch starts at this pixel of the input
    col: int
    patch: np.ndarray  # (K, K) the input pixels under the kernel
    kernel: np.ndarray  # (K, K) the channel's weights, a copy
    bias: float

    @property
    def z(self):
        """Return the pixel's value, the sum of kernel × patch plus the bias."""
        return float((self.kernel * self.patch).sum() + self.bias)


def conv_pixel(net, x, channel, z):
    """Return the ConvPixel where first-layer filter ``channel`` answers digit x (784,) most: the argmax of z (Ho, Wo).

    z is that channel's output map from ``forward_pass``; the kernel and bias are read once,
    so the written-out sum holds even while a run rewrites the weights.
    """
    conv = net.conv[0]
    k = conv.k
    row, col = (int(v) for v in np.unravel_index(np.argmax(z), z.shape))
    image = np.asarray(x, dtype=np.float32).reshape(SIDE, SIDE)  # the network's first conv is 'valid': no padding
    return ConvPixel(channel, row, col, image[row:row + k, col:col + k].copy(), conv.W[channel, 0].copy(),
                     float(conv.b[channel]))


HEALTH = {"grad_norm": "W{}", "update_ratio": "W{}", "dead_relu": "hidden {}"}  # a dense layer's column name


def health(history):
    """Return {step (n,), grad_norm (n, layers), update_ratio (n, layers), dead_relu (n, relu layers), names}.

    From run metrics.  Each table's columns are a conv net's conv layers first (the metrics'
    ``conv_`` keys), then its dense layers; ``names[key]`` names them as people read them:
    conv1, conv2, ..., then W1, W2, ... (dead ReLUs: hidden 1, hidden 2, ...).  A metric a
    report lacks is NaN: update ratios measured without the weights before the step, a conv
    layer in a history recorded before conv layers were.  Thin a long history first
    (``ui.figures.base.thin``).
    """
    out = {"step": np.array([m["step"] for m in history], dtype=np.int32), "names": {}}
    for key, dense_name in HEALTH.items():
        conv, dense = _table(history, f"conv_{key}"), _table(history, key)
        out[key] = np.hstack([conv, dense])
        out["names"][key] = ([f"conv{j}" for j in range(1, conv.shape[1] + 1)]
                             + [dense_name.format(j) for j in range(1, dense.shape[1] + 1)])
    return out


def _table(history, key):
    """Return metric ``key`` of each report as a row of a (n, widest) table, NaN where a report has fewer values."""
    width = max((len(m.get(key) or ()) for m in history), default=0)
    table = np.full((len(history), width), np.nan, dtype=np.float32)
    for i, m in enumerate(history):
        values = m.get(key) or ()
        table[i, :len(values)] = values
    return table
