"""Datasets in memory: the digits as stored, and the model-ready splits.

Datasets keep images as uint8 (n, 28, 28) and labels as int64 (n,).  ``normalize`` is the
one place model input is defined: float32 (n, 784) = x/255.  Not for reading files
(``formats.py``) or downloading (``download.py``).
"""

from dataclasses import dataclass

import numpy as np

INPUT_SCALE = "x/255"  # recorded in model metadata; must match normalize()


class DataError(ValueError):
    """A dataset that cannot be downloaded or read; the message says what to do."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Digits as stored: images uint8 (n, 28, 28), labels int64 (n,) in 0..9."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str


@dataclass(eq=False)
class Splits:
    """Model-ready data: X float32 (n, 784) in [0, 1], y int64 (n,); validation is cut from training."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str


def normalize(x) -> np.ndarray:
    """Return images (n, 28, 28) or (n, 784) as model input: float32 (n, 784) = x/255, in [0, 1]."""
    x = np.asarray(x)
    if x.ndim not in (2, 3) or x.shape[1:] not in ((28, 28), (784,)):
        raise DataError(f"Images must be (n, 28, 28) or (n, 784), not {x.shape}.")
    X = x.reshape(len(x), 784).astype(np.float32)
    X /= 255
    return X


def make_splits(ds: Dataset, val_fraction=1 / 12, train_size=None, seed=0) -> Splits:
    """Shuffle the training digits with seed, cut off val_fraction for validation, keep at most train_size, normalize.

    The default 1/12 is 5,000 of MNIST's 60,000.  The same seed always gives the same split.
    """
    n = len(ds.y_train)
    n_val = round(n * val_fraction)
    if not 0 <= val_fraction < 1 or n_val >= n:
        raise DataError(f"The validation fraction must be at least 0 and leave digits to train on, not {val_fraction}.")
    if train_size is not None and train_size < 1:
        raise DataError(f"The training size must be at least 1, not {train_size}.")
    order = np.random.default_rng(seed).permutation(n)
    val, train = order[:n_val], order[n_val:][:train_size]
    return Splits(
        X_train=normalize(ds.x_train[train]),
        y_train=ds.y_train[train],
        X_val=normalize(ds.x_train[val]),
        y_val=ds.y_train[val],
        X_test=normalize(ds.x_test),
        y_test=ds.y_test,
        name=ds.name,
    )
