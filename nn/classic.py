"""The classic notebook's two-layer network, function by function, for reading beside the maths.

This is the classic "MNIST from scratch in NumPy" network (Samson Zhang's notebook
and its kin) kept with its own names and its column-major shapes: X is (784, m),
one digit per column; W1 (hidden, 784), b1 (hidden, 1), W2 (10, hidden), b2 (10, 1);
Y holds m integer labels.  Each line maps to one equation:

    Z1 = W1 X + b1        A1 = ReLU(Z1)        Z2 = W2 A1 + b2        A2 = softmax(Z2)
    dZ2 = A2 - one_hot(Y)                       dW2 = dZ2 A1^T / m + lam/m W2
    dZ1 = W2^T dZ2 * ReLU'(Z1)                  dW1 = dZ1 X^T / m + lam/m W1

Three things differ from the original, each because the original is wrong or fragile:
db sums dZ over the digits of each unit (the original's ``np.sum(dZ)`` summed every
unit into one number), softmax subtracts each column's maximum first (the original
overflows once a logit passes ~700), and ``one_hot`` always has 10 rows (the original
used ``Y.max() + 1``, too few for a batch without a 9).

It is for teaching and for checking the engine against (the tests show both compute
the same gradients).  It is not what the app trains: ``nn/network.py`` is, batch-first,
with any depth, other activations, optimisers and mini-batches.  The names break PEP 8
on purpose, so the code reads like the notebooks.
"""

import numpy as np


def init_params(hidden=10, seed=None):
    """Return W1, b1, W2, b2 uniform in [-0.5, 0.5), the original's ``np.random.rand(...) - 0.5``.

    The notebooks call this "small random" weights.  It suits one hidden layer of ten
    units; the engine's ``small`` init (0.01 * N(0, 1)) and He init suit deeper nets.
    """
    rng = np.random.default_rng(seed)
    W1 = rng.random((hidden, 784)) - 0.5
    b1 = rng.random((hidden, 1)) - 0.5
    W2 = rng.random((10, hidden)) - 0.5
    b2 = rng.random((10, 1)) - 0.5
    return W1, b1, W2, b2


def ReLU(Z):
    """Return max(Z, 0) elementwise."""
    return np.maximum(Z, 0)


def softmax(Z):
    """Return each column of Z turned into probabilities, (10, m)."""
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def forward_prop(W1, b1, W2, b2, X):
    """Return Z1, A1 (hidden, m) and Z2, A2 (10, m) for digits X (784, m)."""
    Z1 = W1.dot(X) + b1
    A1 = ReLU(Z1)
    Z2 = W2.dot(A1) + b2
    A2 = softmax(Z2)
    return Z1, A1, Z2, A2


def one_hot(Y):
    """Return labels Y (m,) as columns of a (10, m) matrix with a single 1 each."""
    one_hot_Y = np.zeros((10, Y.size))
    one_hot_Y[Y, np.arange(Y.size)] = 1
    return one_hot_Y


def ReLU_deriv(Z):
    """Return ReLU'(Z): True where the unit was active."""
    return Z > 0


def backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y, lam=0.0):
    """Return dW1, db1, dW2, db2 of the mean cross-entropy plus lam/(2m) * (|W1|^2 + |W2|^2)."""
    m = Y.size
    dZ2 = A2 - one_hot(Y)
    dW2 = 1 / m * dZ2.dot(A1.T) + lam / m * W2
    db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = W2.T.dot(dZ2) * ReLU_deriv(Z1)
    dW1 = 1 / m * dZ1.dot(X.T) + lam / m * W1
    db1 = 1 / m * np.sum(dZ1, axis=1, keepdims=True)
    return dW1, db1, dW2, db2


def update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha):
    """Return the parameters moved one step of size alpha against their gradients."""
    W1 = W1 - alpha * dW1
    b1 = b1 - alpha * db1
    W2 = W2 - alpha * dW2
    b2 = b2 - alpha * db2
    return W1, b1, W2, b2


def get_predictions(A2):
    """Return the most probable digit of each column, (m,)."""
    return np.argmax(A2, 0)


def get_accuracy(predictions, Y):
    """Return the share of predictions equal to the labels."""
    return np.sum(predictions == Y) / Y.size


def gradient_descent(X, Y, alpha, iterations, hidden=10, seed=None, lam=0.0, callback=None):
    """Return W1, b1, W2, b2 after full-batch gradient descent on X (784, m), Y (m,).

    Every 10 iterations ``callback(i, accuracy)`` gets the accuracy before that
    iteration's update; ``callback=print`` prints as the notebook does.
    """
    W1, b1, W2, b2 = init_params(hidden, seed)
    for i in range(iterations):
        Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
        dW1, db1, dW2, db2 = backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y, lam)
        W1, b1, W2, b2 = update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha)
        if callback is not None and i % 10 == 0:
            callback(i, get_accuracy(get_predictions(A2), Y))
    return W1, b1, W2, b2
