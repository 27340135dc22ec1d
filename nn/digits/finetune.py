"""Teach a trained network a person's own drawn digits without making it forget MNIST.

``MyDigits`` is the set of digits one person drew and labelled; ``finetune`` trains a copy
of a network for a bounded number of steps on batches that mix those digits with several
times as many MNIST digits, so the new shapes are learned while the old knowledge is
rehearsed.  The network passed in is never changed: it may be the shared pretrained model,
or a run's net.  Not for training from scratch (``train.py``) nor for preprocessing drawings
(``image.py``).
"""

import io

import numpy as np

from nn.data import DataError, normalize, read_dataset
from nn.digits.augment import augment
from nn.network import Network
from nn.optim import OPTIMIZERS

SIDE = 28
MAX_DIGITS = 1000  # a person's own digits; a whole dataset belongs on the Train page
MIX = 4  # MNIST digits per user digit in a batch: rehearsal, so MNIST is not forgotten
MIN_MNIST = 64  # ...and never fewer: a tiny batch's noisy gradient would shake the whole net
MAX_USER = 32  # user digits per batch; a larger set is sampled
MAX_STEPS = 300
CHECK_EVERY = 10
SURE = 0.9  # stop once every user digit is read right with at least this probability
LR = 3e-4  # a third of the usual Adam rate: nudge the weights, do not retrain them


class DigitsError(ValueError):
    """Drawn digits or labels that cannot be used."""


class MyDigits:
    """The digits one person drew and labelled: images uint8 (n, 28, 28), labels int64 (n,)."""

    def __init__(self):
        self.x = np.zeros((0, SIDE, SIDE), dtype=np.uint8)
        self.y = np.zeros(0, dtype=np.int64)

    def __len__(self):
        return len(self.y)

    def add(self, image, label):
        """Append one image, (28, 28) or (784,) float in [0, 1] (as ``image.preprocess`` makes), with its label."""
        image = np.asarray(image, dtype=np.float32)
        if image.size != SIDE * SIDE:
            raise DigitsError(f"A digit must be a 28×28 image, not shape {image.shape}.")
        if int(label) != label or not 0 <= label <= 9:
            raise DigitsError(f"A label must be a digit 0 to 9, not {label!r}.")
        pixels = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8).reshape(1, SIDE, SIDE)
        self.x = np.concatenate([self.x, pixels])
        self.y = np.append(self.y, np.int64(label))

    def load(self, data, name):
        """Add every digit in a dataset file's bytes (as ``npz`` writes, or any format ``read_dataset`` reads).

        A test part that repeats the training part, as ``npz`` writes it, counts once.  Raises
        DigitsError, leaving the set as it was, if the file cannot be read or would make the set
        larger than MAX_DIGITS.
        """
        try:
            ds = read_dataset(data, name)
        except DataError as err:
            raise DigitsError(str(err)) from None
        x, y = ds.x_train, ds.y_train
        if not (np.array_equal(ds.x_test, x) and np.array_equal(ds.y_test, y)):
            x, y = np.concatenate([x, ds.x_test]), np.concatenate([y, ds.y_test])
        if len(self) + len(y) > MAX_DIGITS:
            raise DigitsError(f"{name} holds {len(y):,} digits; your digits can be at most {MAX_DIGITS:,} in all "
                              f"(you have {len(self):,}). To train on a whole dataset, upload it on the Train page.")
        self.x = np.concatenate([self.x, x])
        self.y = np.concatenate([self.y, y.astype(np.int64)])

    def remove(self, i):
        """Drop the i-th digit."""
        self.x, self.y = np.delete(self.x, i, axis=0), np.delete(self.y, i)

    def npz(self):
        """Return the set as .npz bytes in Keras' mnist.npz layout: x_* uint8 (n, 28, 28), y_* uint8 (n,).

        A few drawn digits are too few to split, so x_test/y_test repeat x_train/y_train: the
        file then loads wherever MNIST does (this app's dataset upload refuses an empty test set).
        """
        buf = io.BytesIO()
        y = self.y.astype(np.uint8)
        np.savez_compressed(buf, x_train=self.x, y_train=y, x_test=self.x, y_test=y)
        return buf.getvalue()


def clone(net):
    """Return a new Network with net's architecture, dtype and a copy of its weights."""
    copy = Network.from_spec(net.spec(), net.dtype)
    copy.set_weights(net.copy_weights())
    return copy


def finetune(net, x_user, y_user, X_mnist, y_mnist, max_steps=MAX_STEPS, lr=LR, seed=0):
    """Return a copy of net trained with Adam on the user's digits mixed with MNIST, until it reads them.

    x_user: (k, 28, 28) uint8, as ``MyDigits.x``; y_user: (k,) digits.  X_mnist, y_mnist: MNIST
    training digits as model input, float (n, 784) and (n,).  Each batch holds up to MAX_USER
    user digits, half of them augmented so the net learns the person's shapes rather than
    these exact pixels, and MIX times as many MNIST digits (at least MIN_MNIST), as they are.
    Training stops once every user digit is read right with probability SURE, or after
    max_steps: the fewer steps, the less the rest of what the net knows moves.
    """
    y_user = np.asarray(y_user, dtype=np.int64)
    if len(y_user) == 0:
        raise DigitsError("Add at least one digit of your own before fine-tuning.")
    if len(y_mnist) == 0:
        raise DigitsError("Fine-tuning needs MNIST digits to rehearse, and the training set is empty.")
    X_user = normalize(x_user)
    rng = np.random.default_rng(seed)
    tuned = clone(net)
    optimizer = OPTIMIZERS["adam"](tuned.params())
    for step in range(max_steps):
        if step % CHECK_EVERY == 0 and _learned(tuned, X_user, y_user):
            break
        X, y = _batch(X_user, y_user, X_mnist, y_mnist, rng)
        tuned.gradients(X.astype(tuned.dtype, copy=False), y)
        optimizer.step(lr)
    return tuned


def _learned(net, X, y):
    """Return True when net reads every X as its y with probability at least SURE."""
    return bool((net.predict_proba(X)[np.arange(len(y)), y] >= SURE).all())


def _batch(X_user, y_user, X_mnist, y_mnist, rng):
    """Return one mixed batch (X (m, 784), y (m,)): user digits, half augmented, and MNIST digits."""
    mine = rng.choice(len(y_user), min(len(y_user), MAX_USER), replace=False)
    n = max(MIX * len(mine), MIN_MNIST)
    theirs = rng.choice(len(y_mnist), n, replace=len(y_mnist) < n)
    X_mine = X_user[mine]
    varied = rng.random(len(mine)) < 0.5
    if varied.any():
        X_mine[varied] = augment(X_mine[varied], rng)
    return np.concatenate([X_mine, X_mnist[theirs]]), np.concatenate([y_user[mine], y_mnist[theirs]])
