"""Take a run home: its network written out as one standalone NumPy script, or as a Jupyter notebook.

The code is the classic notebook's (``nn/classic.py``: ``init_params``, ``forward_prop``,
``backward_prop``, ``update_params``, ``gradient_descent``) generalised to the run's layers,
activation, optimiser, L2 penalty, dropout and schedule, with the run's settings at the top.
Only the run's own choices are written out (one activation, one optimiser, one schedule), so
a reader meets no branch that does not apply.  A conv run's blocks (``nn/network.py``: a K×K
'valid' convolution, 2×2 max pooling, the activation) come as small functions beside the dense
ones, ``conv_forward``/``conv_backward`` (``nn/conv.py``'s im2col: ``sliding_window_view`` and
one matrix product) and ``pool_forward``/``pool_backward``, their kernels first in W and b;
a fully connected run's script has none of them.  It repeats the engine's arithmetic step for
step — the same split of the data (``nn.data.make_splits``, seed 0), the same first weights
(``nn/init.py``, the run's seed), the same batch order (seed + 1), float32 throughout — so on
the same data it lands on the run's test accuracy.  Rows are digits (X is m × 784) as in the
engine, so Z = X W + b is the notebook's W X + b transposed, and a run's weights file loads
as it is.

``script(config)`` returns the script's text; ``notebook(config)`` the notebook as .ipynb
JSON (nbformat 4.5), its learning curves plotted at the end with matplotlib (the notebook's own
import; the app needs none).  Not for the run's augmentation, which lives in
``nn/digits/augment.py`` and is not written out (the header says so).
"""

import json
from dataclasses import fields

from nn.network import describe
from nn.settings import TrainConfig

# One line of the settings block per TrainConfig field (its variable is the field's name in capitals): its comment.
SETTINGS = {
    "conv": "conv blocks [channels, K]: a K×K convolution, 2×2 max pooling, then the activation",
    "hidden": "width of each hidden layer",
    "activation": "the hidden layers' activation",
    "init": "first weights: he, xavier or small",
    "optimizer": "how weights move on each step",
    "lr": "the learning rate alpha",
    "schedule": "how the step size changes over the run",
    "batch_size": "digits per step; 0: all at once (full batch)",
    "epochs": "passes over the training digits",
    "l2": "the L2 penalty lambda: adds lambda/n * W to each dW",
    "dropout": "share of hidden units switched off at random on each training step",
    "train_size": "training digits used; 0: all",
    "seed": "first weights and dropout from SEED, batch order from SEED + 1",
}

IMPORTS = "import math\n\nimport numpy as np"

DATA = '''
VAL_FRACTION = 1 / 12  # validation digits cut from the training digits, as the app does
SPLIT_SEED = 0  # the app shuffles every dataset's training digits with seed 0 before cutting them
CSV_TEST_FRACTION = 1 / 6  # Kaggle's train.csv has no test set: a seeded 1/6 of its rows becomes one


def load_data(path):
    """Return x_train, y_train, x_test, y_test: uint8 images (n, 784) and int labels (n,).

    path is Keras' mnist.npz (keys x_train, y_train, x_test, y_test) or Kaggle's train.csv
    (a header label,pixel0,...,pixel783, then one digit a row).
    """
    if str(path).endswith(".csv"):
        with open(path, encoding="utf-8-sig") as f:
            header = [c.strip().lower() for c in f.readline().split(",")]
        columns = [header.index("label")] + [header.index(f"pixel{i}") for i in range(784)]
        table = np.loadtxt(path, delimiter=",", skiprows=1, usecols=columns, dtype=np.float32, ndmin=2)
        order = np.random.default_rng(0).permutation(len(table))
        n_test = round(len(table) * CSV_TEST_FRACTION) or 1
        test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
        x_train, y_train, x_test, y_test = table[train, 1:], table[train, 0], table[test, 1:], table[test, 0]
    else:
        with np.load(path, allow_pickle=False) as f:
            x_train, y_train, x_test, y_test = (f[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    return (x_train.reshape(len(x_train), 784).astype(np.uint8), y_train.astype(np.int64),
            x_test.reshape(len(x_test), 784).astype(np.uint8), y_test.astype(np.int64))


def normalize(x):
    """Return images (n, 784) as the network's input: float32 pixels / 255, in [0, 1]."""
    X = x.astype(np.float32)
    X /= 255
    return X


def make_splits(x_train, y_train, x_test, y_test):
    """Return X_train, Y_train, X_val, Y_val, X_test, Y_test: shuffled with SPLIT_SEED, validation cut off."""
    n = len(y_train)
    n_val = round(n * VAL_FRACTION)
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    val, train = order[:n_val], order[n_val:]
    if TRAIN_SIZE:
        train = train[:TRAIN_SIZE]
    return (normalize(x_train[train]), y_train[train], normalize(x_train[val]), y_train[val],
            normalize(x_test), y_test)
'''

INITS = {
    "he": "np.sqrt(2.0 / n_in)  # He: keeps ReLU activations from shrinking layer by layer",
    "xavier": "np.sqrt(1.0 / n_in)  # Xavier/LeCun: suits tanh and sigmoid",
    "small": "0.01  # the classic notebooks' small random weights",
}

ACTIVATIONS = {
    "relu": ("ReLU", "max(Z, 0)", "np.maximum(Z, 0)", "1 where the unit fired (A > 0), else 0", "dA * (A > 0)"),
    "leaky_relu": ("LeakyReLU", "Z where positive, 0.01 Z elsewhere", "np.where(Z > 0, Z, Z * np.float32(0.01))",
                   "1 where A > 0, else 0.01", "np.where(A > 0, dA, dA * np.float32(0.01))"),
    "sigmoid": ("sigmoid", "1 / (1 + exp(-Z))", "with np.errstate(over=\"ignore\"):  # exp(-Z) = inf gives A = 0, "
                "as it should\n        return 1 / (1 + np.exp(-Z))", "A (1 - A)", "dA * A * (1 - A)"),
    "tanh": ("tanh", "tanh(Z)", "np.tanh(Z)", "1 - A^2", "dA * (1 - A * A)"),
}

NETWORK = '''

def init_params(rng):
    """Return {init_doc}"""
    W, b = [], []{conv_init}
    sizes = [{features}, *HIDDEN, 10]
    for n_in, n_out in zip(sizes, sizes[1:]):
        scale = {init}
        W.append((rng.standard_normal((n_in, n_out)) * scale).astype(np.float32))
        b.append(np.zeros(n_out, dtype=np.float32))  # biases start at zero
    return W, b


def {name}(Z):
    """Return {formula} elementwise."""
    {forward}


def {name}_deriv(A, dA):
    """Return dA * {name}'(Z), written with the output A: {derivative}."""
    return {backward}


{conv_layers}def softmax(Z):
    """Return each row of logits Z (m, 10) turned into probabilities."""
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def forward_prop(W, b, X, rng=None):
    """Return the logits Z_L (m, 10) for digits X (m, 784), and what backward_prop needs.

{conv_forward_doc}    Z_j = A_(j-1) W_j + b_j and A_j = {name}(Z_j) per hidden layer.  With rng (training),
    dropout switches off a random share DROPOUT of each hidden layer's units and scales
    the rest by 1 / (1 - DROPOUT); without it (testing) nothing is switched off.
    """{conv_forward}
    inputs, outputs, masks = [X], [], []  # each layer's input A_(j-1), each hidden layer's A_j, dropout masks
    for j in range(len(W) - 1):
        Z = inputs[-1] @ W[j] + b[j]
        A = {name}(Z)
        outputs.append(A)
        if DROPOUT and rng is not None:
            mask = (rng.random(A.shape, dtype=A.dtype) >= DROPOUT) * A.dtype.type(1 / (1 - DROPOUT))
            masks.append(mask)
            A = A * mask
        inputs.append(A)
    return inputs[-1] @ W[-1] + b[-1], ({cache})


def softmax_cross_entropy(Z, Y):
    """Return the mean cross-entropy of logits Z (m, 10) against labels Y (m,), and the probabilities A_L."""
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_A = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_A[np.arange(len(Y)), Y].mean()), np.exp(log_A)


def one_hot(Y):
    """Return labels Y (m,) as rows of an (m, 10) matrix with a single 1 each."""
    one_hot_Y = np.zeros((Y.size, 10), dtype=np.float32)
    one_hot_Y[np.arange(Y.size), Y] = 1
    return one_hot_Y


def backward_prop(W, cache, A_L, Y, n_train):
    """Return dW, db: the gradients of the mean loss over the batch (plus the L2 penalty) for every layer.

    dZ_L = (A_L - one_hot(Y)) / m; per layer dW_j = A_(j-1)^T dZ_j, db_j = the sum of dZ_j over
    the digits, and going down dA_(j-1) = dZ_j W_j^T, dZ_(j-1) = dA_(j-1) * {name}'(Z_(j-1)).{conv_backward_doc}
    """
    {cache} = cache{conv_split}
    dZ = A_L - one_hot(Y)
    dZ /= len(Y)
    dW, db = [None] * len(W), [None] * len(W)
    for j in reversed(range(len(W))):
        dW[j] = inputs[j].T @ dZ
        db[j] = dZ.sum(axis=0)
        if j > 0:
            dA = dZ @ W[j].T
            if masks:
                dA = dA * masks[j - 1]  # a switched-off unit passes no gradient back
            dZ = {name}_deriv(outputs[j - 1], dA){conv_backward}
    if L2:
        for j in range(len(W)):
            dW[j] += np.float32(L2 / n_train) * W[j]  # the gradient of L2 / (2 n) * |W|^2
    return dW, db
'''

# What a conv network adds to NETWORK, by placeholder (a fully connected one leaves each empty): blocks as
# nn/network.py chains them, a K×K 'valid' convolution (nn/conv.py's im2col), 2×2 max pooling, the activation.
CONV_NETWORK = {
    "init_doc": "the conv blocks' kernels W[i] (C, C_in, K, K) and biases b[i] (C,), then the dense\n    layers' "
                "weights W[j] (n_in, n_out) and biases b[j] (n_out,) for the sizes [features, *HIDDEN, 10].\n    ",
    "conv_init": '''
    c_in, side = 1, 28  # the images' channels and side, as each conv block leaves them
    for c, k in CONV:
        n_in = c_in * k * k  # a kernel's fan-in: the K×K patch it sees in every channel
        scale = {init}
        # Drawn as an (n_in, C) matrix, as for a dense layer, then each column laid out as a (C_in, K, K) kernel.
        W.append((rng.standard_normal((n_in, c)) * scale).astype(np.float32).T.reshape(c, c_in, k, k))
        b.append(np.zeros(c, dtype=np.float32))
        c_in, side = c, (side - k + 1) // 2  # the convolution takes K - 1 off the side, pooling halves it''',
    "features": "c_in * side * side",
    "conv_layers": '''def kernel_rows(K):
    """Return kernels K (C, C_in, k, k) as a (C, k·k·C_in) matrix, each row's values in a patch's order."""
    return K.transpose(0, 2, 3, 1).reshape(len(K), -1)


def conv_forward(A, K, c):
    """Return Z (m, C, H', W') for images A (m, C_in, H, W), and the patches that conv_backward needs.

    Z is the kernels K (C, C_in, k, k) slid over A, plus the biases c (C,); 'valid': whole patches
    only, so H' = H - k + 1.  im2col: sliding_window_view shows every k×k patch of A at once
    without copying, (m, C_in, H', W', k, k); one copy lays the patches out as rows,
    (m·H'·W', k·k·C_in), and the whole convolution is then one matrix product with the kernels
    laid out the same way.
    """
    windows = sliding_window_view(A, K.shape[2:], axis=(2, 3))
    m, _, h, w = windows.shape[:4]
    # A patch's values run row, column, channel: with the images stored pixel by pixel (below),
    # each row of a patch is one contiguous run of memory to copy.
    patches = windows.transpose(0, 2, 3, 4, 5, 1).reshape(m * h * w, -1)
    Z = patches @ kernel_rows(K).T + c
    # The product's rows are pixels, (m, H', W', C): viewed, not copied, as (m, C, H', W').
    return Z.reshape(m, h, w, -1).transpose(0, 3, 1, 2), patches


def conv_backward(dZ, patches, K, x_shape=None):
    """Return dK (C, C_in, k, k), dc (C,) and the images' dA (x_shape) for dZ (m, C, H', W').

    dK = dZ^T patches and dc = the sum of dZ, with dZ as one row per pixel like the patches.
    Without x_shape (the first block, whose input is the data) dA is None.
    """
    m, C, h, w = dZ.shape
    k = K.shape[2]
    rows = dZ.transpose(0, 2, 3, 1).reshape(m * h * w, C)
    dK = (rows.T @ patches).reshape(C, k, k, -1).transpose(0, 3, 1, 2)
    dc = rows.sum(axis=0)
    if x_shape is None:
        return dK, dc, None
    _, c_in, H, W = x_shape
    # The patches' gradients, kernel offset first, (k, k, C_in, m, H', W'); kernel offset (i, j)
    # touched the image shifted by (i, j), so each is added back there (col2im).
    patch_grads = (kernel_rows(K).T @ rows.T).reshape(k, k, c_in, m, h, w)
    dA = np.zeros((c_in, m, H, W), dtype=dZ.dtype)
    for i in range(k):
        for j in range(k):
            dA[:, :, i:i + h, j:j + w] += patch_grads[i, j]
    # One copy to store it pixel by pixel, as the convolution's output is: the element-wise steps
    # before the next product then run on one memory order, which is faster.  Viewed as (m, C_in, H, W).
    return dK, dc, np.ascontiguousarray(dA.transpose(1, 2, 3, 0)).transpose(0, 3, 1, 2)


def pool_forward(Z):
    """Return the largest value of each 2×2 window of Z (m, C, H, W): P (m, C, H // 2, W // 2).

    An odd last row or column is dropped.  The views Z[:, :, i::2, j::2] hold the four values
    of every window: their elementwise maximum is the pooling, with no loop over pixels.
    """
    h, w = Z.shape[2] // 2 * 2, Z.shape[3] // 2 * 2
    P = Z[:, :, 0:h:2, 0:w:2].copy(order="K")  # order K: stored pixel by pixel, as Z is
    for i, j in ((0, 1), (1, 0), (1, 1)):
        np.maximum(P, Z[:, :, i:h:2, j:w:2], out=P)
    return P


def pool_backward(dP, Z, P):
    """Return dZ (Z's shape): each window's gradient dP goes to its largest value (the first one, on a tie).

    Ties are common: over the blank margin of a digit every value of Z is the bias itself.
    """
    dZ = np.zeros_like(Z)
    h, w = P.shape[2:]
    unclaimed = np.ones(P.shape, dtype=bool)  # windows whose largest value no earlier offset has taken
    for i in range(2):
        for j in range(2):
            first = (Z[:, :, i:2 * h:2, j:2 * w:2] == P) & unclaimed
            unclaimed &= ~first
            dZ[:, :, i:2 * h:2, j:2 * w:2] = first * dP
    return dZ


''',
    "conv_forward_doc": '''    W and b hold the conv blocks' kernels and biases first.  A block turns images
    A (m, C_in, H, W) into {name}(pool_forward(conv_forward(A))): pooling first gives the
    same numbers as after the activation (which never decreases) on a quarter of the values.
    The last block's images, flattened, are the input A_0 of the dense layers, numbered from 1:
''',
    "conv_forward": '''
    A = X.reshape(len(X), 1, 28, 28)  # each row of 784 pixels as a one-channel 28×28 image
    blocks = []  # per conv block: its input's shape, its patches, Z before and after pooling, its output A
    for K, c in zip(W[:len(CONV)], b):
        Z, patches = conv_forward(A, K, c)
        P = pool_forward(Z)
        x_shape, A = A.shape, {name}(P)
        blocks.append((x_shape, patches, Z, P, A))
    X = A.reshape(len(A), -1)  # flattened channel, then row, then column, as W1's rows are in a weights file
    W, b = W[len(CONV):], b[len(CONV):]  # the dense layers''',
    "cache": "blocks, inputs, outputs, masks",
    "conv_backward_doc": '''  Below the
    dense layers, block by block from the last: dA through {name}', pool_backward and conv_backward.''',
    "conv_split": '''
    kernels, W = W[:len(CONV)], W[len(CONV):]  # the conv blocks' kernels, and the dense layers' W''',
    "conv_backward": '''
    # On through the first dense layer to the last block's images, then block by block.
    dA = (dZ @ W[0].T).reshape(blocks[-1][-1].shape)
    dK, dc = [None] * len(kernels), [None] * len(kernels)
    for i in reversed(range(len(kernels))):
        x_shape, patches, Z, P, A = blocks[i]
        dZ = pool_backward({name}_deriv(A, dA), Z, P)
        dK[i], dc[i], dA = conv_backward(dZ, patches, kernels[i], x_shape if i else None)
    W, dW, db = kernels + W, dK + dW, dc + db  # every layer again, conv blocks first''',
    "weight_names": "conv1.W, conv1.b, ..., ",
    "conv_names": '\n    names = [(f"conv{i}.W", f"conv{i}.b") for i in range(1, len(CONV) + 1)] + names',
}

DENSE_NETWORK = {key: "" for key in CONV_NETWORK} | {
    "init_doc": "weights W[j] (n_in, n_out) and biases b[j] (n_out,) for the layer sizes [784, *HIDDEN, 10].",
    "features": "784", "cache": "inputs, outputs, masks"}

SCHEDULES = {
    "constant": ('"""Return 1: the same step size throughout."""', "return 1.0"),
    "step": ('"""Return 1, then 0.1 after half the run and 0.01 after three quarters."""',
             "return 0.1 ** ((progress >= 0.5) + (progress >= 0.75))"),
    "cosine": ('"""Return 0.5 (1 + cos(pi * progress)): a smooth glide from 1 to 0."""',
               "return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))"),
}

# update_params for each optimiser: the state it keeps per parameter, and its step, as nn/optim.py does it.
OPTIMISERS = {
    "gd": ("plain gradient descent, P -= alpha dP, as in the classic notebook", "", '''
    for P, dP in zip(W + b, dW + db):
        P -= np.float32(alpha) * dP'''),
    "momentum": ("momentum: v = 0.9 v + dP; P -= alpha v, a heavy ball that keeps rolling", "v", '''
    for P, dP, v in zip(W + b, dW + db, state["v"]):
        v *= np.float32(0.9)
        v += dP
        P -= np.float32(alpha) * v'''),
    "adam": ("Adam: steps scaled by running averages of dP and dP^2", "m v", '''
    # The running averages are kept divided by (1 - beta1) and (1 - beta2), and the bias
    # corrections folded into one step size and one eps, exactly as the app's engine does.
    state["t"] += 1
    t, beta1, beta2 = state["t"], 0.9, 0.999
    v_scale = math.sqrt((1 - beta2**t) / (1 - beta2))
    alpha_t = alpha * (1 - beta1) / (1 - beta1**t) * v_scale
    eps_t = 1e-8 * v_scale
    for P, dP, m, v in zip(W + b, dW + db, state["m"], state["v"]):
        m *= np.float32(beta1)
        m += dP
        v *= np.float32(beta2)
        v += dP * dP
        P -= m / (np.sqrt(v) + np.float32(eps_t)) * np.float32(alpha_t)'''),
    "rmsprop": ("RMSProp: v = 0.99 v + 0.01 dP^2; P -= alpha dP / (sqrt(v) + 1e-8)", "v", '''
    for P, dP, v in zip(W + b, dW + db, state["v"]):
        v *= np.float32(0.99)
        v += dP * dP * np.float32(1 - 0.99)
        P -= dP / (np.sqrt(v) + np.float32(1e-8)) * np.float32(alpha)'''),
}

TRAINING = '''

def predict(W, b, X, batch=4096):
    """Return the most probable digit of each row of X, (m,), in batches as the app does."""
    return np.concatenate([softmax(forward_prop(W, b, X[i:i + batch])[0]).argmax(axis=1)
                           for i in range(0, max(len(X), 1), batch)])


def get_accuracy(predictions, Y):
    """Return the share of predictions equal to the labels."""
    return float(np.mean(predictions == Y))


def gradient_descent(X, Y, X_val, Y_val, callback=print):
    """Train from SEED's first weights; return W, b and the history: one dict of numbers per epoch.

    Mini-batches of BATCH_SIZE digits in an order shuffled each epoch (or the whole set at
    once when BATCH_SIZE is 0, as the classic notebook does).
    """
    rng = np.random.default_rng(SEED)  # first weights, then dropout
    W, b = init_params(rng)
    order_rng = np.random.default_rng(SEED + 1)  # the batch order
    state = init_state(W, b)
    n = len(X)
    batch = n if not BATCH_SIZE else min(BATCH_SIZE, n)
    steps_per_epoch = math.ceil(n / batch)
    total_steps = EPOCHS * steps_per_epoch
    history, step = [], 0
    for epoch in range(1, EPOCHS + 1):
        order = order_rng.permutation(n) if batch < n else None
        loss_sum, correct = 0.0, 0
        for i in range(steps_per_epoch):
            if order is None:
                X_batch, Y_batch = X, Y
            else:
                rows = order[i * batch:(i + 1) * batch]
                X_batch, Y_batch = X[rows], Y[rows]
            Z, cache = forward_prop(W, b, X_batch, rng)
            loss, A_L = softmax_cross_entropy(Z, Y_batch)
            dW, db = backward_prop(W, cache, A_L, Y_batch, n)
            update_params(W, b, dW, db, LR * schedule(step / total_steps), state)
            step += 1
            loss_sum += loss * len(Y_batch)
            correct += int((Z.argmax(axis=1) == Y_batch).sum())
        history.append({"epoch": epoch, "train_loss": loss_sum / n, "train_acc": correct / n,
                        "val_acc": get_accuracy(predict(W, b, X_val), Y_val) if len(Y_val) else float("nan")})
        if callback is not None:
            callback(f"epoch {epoch}: loss {history[-1]['train_loss']:.4f}, "
                     f"validation accuracy {history[-1]['val_acc']:.2%}")
    return W, b, history


def load_weights(path):
    """Return W, b from a model .npz saved by MNIST Playground (arrays {weight_names}W1, b1, W2, b2, ...)."""
    names = [(f"W{j}", f"b{j}") for j in range(1, len(HIDDEN) + 2)]{conv_names}
    with np.load(path, allow_pickle=False) as f:  # its metadata entry is a JSON text: no pickle needed
        return [f[w].astype(np.float32) for w, _ in names], [f[b_].astype(np.float32) for _, b_ in names]
'''

MAIN = '''

def main():
    """Train (or load weights) and print the test accuracy."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="Keras' mnist.npz or Kaggle's train.csv")
    parser.add_argument("--weights", help="a model .npz downloaded from MNIST Playground: test it, no training")
    args = parser.parse_args()
    X, Y, X_val, Y_val, X_test, Y_test = make_splits(*load_data(args.data))
    if args.weights:
        W, b = load_weights(args.weights)
    else:
        W, b, _ = gradient_descent(X, Y, X_val, Y_val)
    print(f"test accuracy: {get_accuracy(predict(W, b, X_test), Y_test):.4f}")


if __name__ == "__main__":
    main()
'''

PLOT = '''import matplotlib.pyplot as plt

epochs = [h["epoch"] for h in history]
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
left.plot(epochs, [h["train_loss"] for h in history])
left.set(xlabel="epoch", ylabel="training loss", title="Loss")
right.plot(epochs, [h["train_acc"] for h in history], label="training")
right.plot(epochs, [h["val_acc"] for h in history], label="validation")
right.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
right.legend()
plt.show()'''


def _header(config, note):
    """Return the opening lines: what this is, what differs from the run, and how to run it."""
    lines = [f"MNIST from scratch in NumPy: a {describe(config.hidden, config.conv)} network, "
             "exported from MNIST Playground.", "",
             "The classic notebook's functions, generalised to this run's settings (at the top). On the same data",
             "and seed it repeats the run's arithmetic step for step, so it reaches the run's test accuracy."]
    if config.augment:
        lines += ["", "The run varied its training digits at random (augmentation); this copy trains on them as "
                  "they are,", "so its accuracy on drawn digits, and a little on the test digits, will differ."]
    if note:
        lines += ["", note]
    return lines


def _settings(config):
    """Return the settings block: one NAME = value line per setting, with what it does."""
    values = {f.name: getattr(config, f.name) for f in fields(TrainConfig)}
    values["conv"], values["hidden"] = [list(ck) for ck in config.conv], list(config.hidden)  # lists read plainer
    keys = [key for key in SETTINGS if key != "conv" or config.conv]  # a fully connected run has no CONV to change
    rows = [f"{key.upper()} = {values[key]!r}" for key in keys]
    width = max(map(len, rows)) + 2
    return "\n".join(f"{row:<{width}}# {SETTINGS[key]}" for row, key in zip(rows, keys))


def _fill(template, values):
    """Return template with each {key} of values replaced by its text, in the order given."""
    for key, text in values.items():
        template = template.replace("{" + key + "}", text)
    return template


def _network(config):
    """Return the network's functions for the run's layers (conv blocks or none), init and activation."""
    name, formula, forward, derivative, backward = ACTIVATIONS[config.activation]
    forward = forward if forward.startswith("with") else f"return {forward}"
    # The conv parts first: they hold {init} and {name} themselves.
    text = _fill(NETWORK, CONV_NETWORK if config.conv else DENSE_NETWORK)
    return _fill(text, {"init": INITS[config.init], "name": name, "formula": formula, "forward": forward,
                        "derivative": derivative, "backward": backward})


def _optimiser(config):
    """Return schedule, init_state and update_params for the run's schedule and optimiser."""
    doc, body = SCHEDULES[config.schedule]
    what, kept, step = OPTIMISERS[config.optimizer]
    state = ", ".join([f'"{k}": [np.zeros_like(P) for P in W + b]' for k in kept.split()] + ['"t": 0'])
    return f'''

def schedule(progress):
    {doc}
    return {body.removeprefix("return ")}


def init_state(W, b):
    """Return what the optimiser keeps between steps."""
    return {{{state}}}


def update_params(W, b, dW, db, alpha, state):
    """Move every parameter in place: {what}."""{step}
'''


def _imports(config):
    """Return the import lines: NumPy's sliding windows too for a conv network (its patches)."""
    return IMPORTS + ("\nfrom numpy.lib.stride_tricks import sliding_window_view" if config.conv else "")


def _sections(config, note):
    """Return [(markdown, code)]: the script's parts in order, each with a line saying what it is."""
    conv = config.conv
    parts = CONV_NETWORK if conv else DENSE_NETWORK
    return [
        ("## Settings\nThe run's settings; change them and train again.", _settings(config)),
        ("## The data\n`load_data` reads Keras' `mnist.npz` or Kaggle's `train.csv`; `make_splits` cuts off the "
         "validation digits as the app does.", DATA.strip("\n")),
        ("## The network\n" + ("The conv blocks' convolution and pooling, then forward" if conv else "Forward") +
         " propagation, the loss, and backpropagation, layer by layer.", _network(config).strip("\n")),
        ("## The optimiser\nHow each step moves the weights, and how the step size changes over the run.",
         _optimiser(config).strip("\n")),
        ("## Training\nGradient descent over mini-batches, the accuracy, and loading downloaded weights.",
         _fill(TRAINING, {key: parts[key] for key in ("weight_names", "conv_names")}).strip("\n")),
    ]


def script(config, note=""):
    """Return a standalone Python script (text) that trains config's network with NumPy alone.

    note: one more line for the header (e.g. which run this was).
    """
    sections = _sections(config, note)
    doc = "\n".join(_header(config, note) + ["", "Run it:  python this_file.py mnist.npz   (or Kaggle's train.csv;",
                                             "         add --weights model.npz to test a downloaded model instead)"])
    top = f'"""{doc}\n"""\n\n{_imports(config)}\n\n{sections[0][1]}'
    return "\n\n\n".join([top, *(code for _, code in sections[1:])]) + "\n" + MAIN


def notebook(config, note="", data="mnist.npz"):
    """Return a Jupyter notebook (.ipynb JSON text, nbformat 4.5) of the same code, training on data, curves at the end.

    Written with the standard library: the format is a small JSON document, and the tests check
    it against Jupyter's own schema (nbformat), which the app then need not install.
    """
    cells = [("markdown", "# " + "\n".join(_header(config, note))), ("code", _imports(config))]
    for text, code in _sections(config, note):
        cells += [("markdown", text), ("code", code)]
    run = (f"DATA = {data!r}  # Keras' mnist.npz or Kaggle's train.csv\n"
           "X, Y, X_val, Y_val, X_test, Y_test = make_splits(*load_data(DATA))\n"
           "W, b, history = gradient_descent(X, Y, X_val, Y_val)\n"
           'print(f"test accuracy: {get_accuracy(predict(W, b, X_test), Y_test):.4f}")')
    cells += [("markdown", "## Train it\nPut the data file beside this notebook, then run:"), ("code", run),
              ("markdown", "## Learning curves"), ("code", PLOT)]
    book = {"cells": [_cell(i, kind, text) for i, (kind, text) in enumerate(cells)],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(book, indent=1) + "\n"


def _cell(i, kind, text):
    """Return notebook cell i of kind 'markdown' or 'code' holding text."""
    lines = text.splitlines(keepends=True)
    if kind == "markdown":
        return {"cell_type": "markdown", "id": f"cell-{i}", "metadata": {}, "source": lines}
    return {"cell_type": "code", "id": f"cell-{i}", "metadata": {}, "execution_count": None, "outputs": [],
            "source": lines}
