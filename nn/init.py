"""Weight initialisation schemes: how big the first random weights are.

Not for biases, which always start at zero.
"""

import numpy as np


def he(rng, n_in, n_out, dtype):
    """Return (n_in, n_out) weights ~ N(0, 2/n_in): keeps ReLU activations from shrinking layer by layer."""
    return (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(dtype)


def xavier(rng, n_in, n_out, dtype):
    """Return (n_in, n_out) weights ~ N(0, 1/n_in) (LeCun/Xavier): suits tanh and sigmoid."""
    return (rng.standard_normal((n_in, n_out)) * np.sqrt(1.0 / n_in)).astype(dtype)


def small(rng, n_in, n_out, dtype):
    """Return (n_in, n_out) weights ~ 0.01 * N(0, 1), the classic notebooks' choice: slow to start when deep."""
    return (rng.standard_normal((n_in, n_out)) * 0.01).astype(dtype)


INITS = {"he": he, "xavier": xavier, "small": small}
