"""The activation map's numbers: test digits as each layer sees them, projected to 2-D by PCA with stable axes.

A layer "sees" a digit as its activation vector: the 784 input pixels, each hidden layer's
A_j (and a conv block's pooled output, flattened), the output's probabilities A_L.  ``views``
returns those for a fixed subset of digits (``subset``), through ``Network.trace`` (an inference
forward that keeps nothing, so it is safe on a network a worker is training).

``pca`` projects one layer's activations F (n, d) on its first two principal axes.  Redrawn
every 2 s while a run trains, the map must move, not jump: principal axes come back from any
eigen-solver with arbitrary signs, and when the first two variances are close the pair can
even swap or turn within their plane.  So each frame is turned onto the previous one by
orthogonal Procrustes on the points (the 2 × 2 rotation or reflection R minimising
‖P R − P_prev‖): still an exact PCA (the same plane, still orthonormal axes), with the
frame's arbitrary turn taken away.

Not for figures (``ui.figures.activation_map``) nor the non-linear t-SNE map, which runs in
another process (``ui.tsne``).
"""

from dataclasses import dataclass

import numpy as np

MAP_DIGITS = 2000  # digits on the map: enough to see classes, few enough to redraw every 2 s


def subset(n, size=MAP_DIGITS, seed=0):
    """Return the sorted indices (size,) of a fixed random subset of n test digits (all of them if n ≤ size)."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def layer_names(net):
    """Return the names of the layers a map can show: the input, each conv block, each hidden layer, the output."""
    conv = [f"conv block {i} ({c} channels)" for i, (c, _) in enumerate(net.conv_spec, 1)]
    hidden = [f"hidden layer {j} ({n} units)" for j, n in enumerate(net.sizes[1:-1], 1)]
    return ["input pixels (784)", *conv, *hidden, "output (10 probabilities)"]


def views(net, X):
    """Return [F] per layer of ``layer_names``: the input X (n, 784), then each traced activation as (n, units).

    A conv block's (n, channels, h, w) is flattened to (n, channels·h·w); the output is the softmax
    probabilities (n, 10), so the network's reading is ``views(net, X)[-1].argmax(axis=1)``.
    """
    X = np.asarray(X)
    return [X, *(a.reshape(len(a), -1) for _, a in net.trace(X))]


@dataclass
class Projection:
    """One frame of a map: points (n, 2), the unit axes (d, 2) they lie on, and each axis' share of the variance."""

    points: np.ndarray
    axes: np.ndarray
    explained: np.ndarray  # (2,) share of the total variance along each axis


def pca(F, previous=None):
    """Return the Projection of F (n, d) on its first two principal axes, turned to match previous (or None).

    previous: the last frame's Projection of the same n digits; its points decide the new
    frame's signs and turn (see the module docstring).  Without it, each axis is signed so
    the digits' projections have a positive third moment (a rule that does not depend on the
    solver), which keeps the first frame the same from one page load to the next.
    """
    F = np.asarray(F, dtype=np.float64)  # float32 sums of 2,000 rows lose digits the axes need
    n, d = F.shape
    Fc = F - F.mean(axis=0)
    # The smaller of the two Gram matrices: d × d across units, or n × n across digits.
    if d <= n:
        values, vectors = np.linalg.eigh(Fc.T @ Fc)
        axes = vectors[:, ::-1][:, :2]
    else:
        values, vectors = np.linalg.eigh(Fc @ Fc.T)
        u = vectors[:, ::-1][:, :2]
        axes = Fc.T @ u
        axes /= np.maximum(np.linalg.norm(axes, axis=0), 1e-300)
    if axes.shape[1] < 2:  # a layer of one unit: the map is a line
        axes = np.hstack([axes, np.zeros((d, 1))])
    points = Fc @ axes
    if previous is not None and previous.points.shape == points.shape:
        U, _, Vt = np.linalg.svd(points.T @ previous.points)
        R = U @ Vt  # orthogonal Procrustes: the turn or reflection that best lays this frame on the last
    else:
        R = np.diag(np.where(np.sum(points**3, axis=0) < 0, -1.0, 1.0))
    points, axes = points @ R, axes @ R
    total = float(np.einsum("ij,ij->", Fc, Fc))
    explained = (points**2).sum(axis=0) / total if total > 0 else np.zeros(2)
    return Projection(points, axes, explained)
