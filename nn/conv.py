"""Convolution, pooling and flattening layers: the image half of a convolutional network.

Shapes are batch-first NCHW: an input is ``(n, channels, height, width)``.  Like the
dense layer (``layers.py``), ``forward(x, train=True)`` keeps what ``backward`` needs and
``backward`` fills the gradients (``dW``, ``db``) and returns dL/dx; an inference forward
(``train=False``) keeps nothing, and ``input_gradient`` reads only the weights and what it
is given, so an explanation can differentiate through a layer that another thread trains.

The speed trick (im2col).  A K×K convolution is, at each output pixel, a dot product of the
K×K×C patch under the kernel with each of the C_out kernels.  ``sliding_window_view`` shows
every patch of the input at once without copying (a strided view, (n, C, Ho, Wo, K, K));
one copy lays the patches out as the rows of a matrix, (n·Ho·Wo, K·K·C), and then the whole
layer is ONE matrix product with the kernels, (K·K·C, C_out), which BLAS runs on every core.
Backward is two more products: dW = dz^T · patches, and the patch gradients W^T · dz^T,
which are added back onto the image with K×K whole-array additions, one per kernel offset
(col2im): no Python loop ever runs over pixels or images.

Memory layout.  The product leaves its result pixel-major, (n, Ho, Wo, C_out); the layer
returns it as an NCHW *view* of that memory (``transpose``, no copy).  NumPy's element-wise
operations and the next layer's patch view accept any strides, so no layer pays for a copy
back to NCHW memory; ``Flatten`` makes the one copy that fixes the feature order.

Not for strides other than 1, dilation or groups, nor for the dense half (``layers.py``).
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from nn.init import INITS

PADDINGS = ("valid", "same")


class Conv2D:
    """K×K convolution, stride 1: W (c_out, c_in, K, K), b (c_out,); x (n, c_in, H, W) -> z (n, c_out, Ho, Wo).

    padding "valid" uses only whole patches (Ho = H - K + 1); "same" pads with zeros so
    Ho = H (the extra row goes below and right when K is even).
    """

    def __init__(self, c_in, c_out, k, rng, padding="valid", init="he", dtype=np.float32):
        if padding not in PADDINGS:
            raise ValueError(f"padding must be one of {', '.join(PADDINGS)}, not {padding!r}.")
        self.k, self.padding = k, padding
        # The initialisers draw (fan_in, fan_out) matrices; a kernel's fan-in is its patch, c_in·K·K.
        self.W = INITS[init](rng, c_in * k * k, c_out, dtype).T.reshape(c_out, c_in, k, k).copy()
        self.b = np.zeros(c_out, dtype=dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.needs_dx = True  # the first layer's input is the data: no dL/dx needed (as in Dense)

    def output_size(self, h, w):
        """Return (Ho, Wo), the size of the output map for an (h, w) input."""
        return (h, w) if self.padding == "same" else (h - self.k + 1, w - self.k + 1)

    def _pads(self):
        """Return the zero rows (before, after) that padding adds on each spatial side."""
        if self.padding == "valid":
            return 0, 0
        return (self.k - 1) // 2, self.k - 1 - (self.k - 1) // 2

    def _patches(self, x):
        """Return (patches (n·Ho·Wo, K·K·c_in), (n, Ho, Wo)): the im2col matrix, the one copy of forward.

        A patch's values run row, column, channel: with pixel-major memory (see the module
        docstring) each kernel row of a patch is one contiguous run of K·c_in values to copy.
        """
        lo, hi = self._pads()
        if hi:
            x = np.pad(x, ((0, 0), (0, 0), (lo, hi), (lo, hi)))
        if x.shape[1] == 1:
            return self._one_channel_patches(x)
        windows = sliding_window_view(x, (self.k, self.k), axis=(2, 3))  # (n, C, Ho, Wo, K, K), a view
        n, c, ho, wo = windows.shape[:4]
        return windows.transpose(0, 2, 3, 4, 5, 1).reshape(n * ho * wo, -1), (n, ho, wo)

    def _one_channel_patches(self, x):
        """``_patches`` for a one-channel (already padded) input such as the digits themselves: the same matrix.

        Speed trick: with one channel a patch row is only K values long, so the copy above would
        move K numbers at a time.  Here each kernel offset (i, j) copies the whole shifted image
        x[:, 0, i:i + Ho, j:j + Wo] into one row of the transposed matrix, (K·K, n·Ho·Wo): K·K
        long copies, about 4× faster for the first layer of the LeNet-like net (1.0 against
        4.4 ms a batch of 128, measured).  The matrix is returned as that array's transpose, a
        view, which the matrix products take as it is.
        """
        n, _, h, w = x.shape
        ho, wo = h - self.k + 1, w - self.k + 1
        columns = np.empty((self.k, self.k, n, ho, wo), dtype=x.dtype)
        for i in range(self.k):
            for j in range(self.k):
                columns[i, j] = x[:, 0, i:i + ho, j:j + wo]
        return columns.reshape(self.k * self.k, n * ho * wo).T, (n, ho, wo)

    def _kernels(self):
        """Return W as the (c_out, K·K·c_in) matrix whose rows match the patches' value order."""
        return self.W.transpose(0, 2, 3, 1).reshape(len(self.W), -1)

    def forward(self, x, train=False):
        """Return z (n, c_out, Ho, Wo) for x (n, c_in, H, W); keep the patches for backward only when training."""
        patches, (n, ho, wo) = self._patches(x)
        if train:
            self.patches, self.x_shape = patches, x.shape
        z = patches @ self._kernels().T
        z += self.b
        return z.reshape(n, ho, wo, -1).transpose(0, 3, 1, 2)

    def backward(self, dz):
        """Fill dW = dz^T patches and db = sum of dz; return dL/dx (n, c_in, H, W), or None for the first layer."""
        rows = _pixel_rows(dz)
        c_out, c_in, k, _ = self.W.shape
        self.dW[...] = (rows.T @ self.patches).reshape(c_out, k, k, c_in).transpose(0, 3, 1, 2)
        np.sum(rows, axis=0, out=self.db)
        return self.input_gradient(dz, self.x_shape) if self.needs_dx else None

    def input_gradient(self, dz, x_shape):
        """Return dL/dx, x_shape (n, c_in, H, W), for dL/dz dz (n, c_out, Ho, Wo); reads only W, keeps nothing."""
        n, c, h, w = x_shape
        _, _, ho, wo = dz.shape
        lo, hi = self._pads()
        k = self.k
        # The patch gradients, kernel offset first: (K, K, c_in, n, Ho, Wo), so that each offset's
        # block below is one contiguous array (a transposed product, not a copy).
        patch_grads = (self._kernels().T @ _pixel_rows(dz).T).reshape(k, k, c, n, ho, wo)
        # col2im: kernel offset (i, j) touched the input shifted by (i, j); K·K whole-array additions.
        dx = np.zeros((c, n, h + lo + hi, w + lo + hi), dtype=dz.dtype)
        for i in range(k):
            for j in range(k):
                dx[:, :, i:i + ho, j:j + wo] += patch_grads[i, j]
        # One small copy back to pixel-major memory, the layout of the layers before: mixing
        # layouts in their element-wise backward would cost more than this copy (twice, measured).
        return np.ascontiguousarray(dx[:, :, lo:lo + h, lo:lo + w].transpose(1, 2, 3, 0)).transpose(0, 3, 1, 2)


def _pixel_rows(dz):
    """Return dz (n, c, Ho, Wo) as rows (n·Ho·Wo, c) in the patches' order: a view when dz is pixel-major in memory."""
    n, c, ho, wo = dz.shape
    return dz.transpose(0, 2, 3, 1).reshape(n * ho * wo, c)


class _Pool:
    """What both poolings share: size×size windows, stride size; a leftover edge row or column is dropped.

    Speed trick: rather than reducing over the window axes of a reshaped view (a slow
    strided reduction in NumPy), a pool combines the size² offset views ``x[:, :, i::s, j::s]``
    element-wise: size² whole-array operations, never a loop over pixels.
    """

    def __init__(self, size=2):
        self.size = size

    def _offsets(self, x):
        """Return the size² views x[:, :, i::s, j::s], each (n, c, H // s, W // s): every window's (i, j)-th value."""
        s = self.size
        h, w = x.shape[2] // s * s, x.shape[3] // s * s
        return [((i, j), x[:, :, i:h:s, j:w:s]) for i in range(s) for j in range(s)]

    def forward(self, x, train=False):
        """Return the pooled x, (n, c, H // size, W // size); keep x and it for backward only when training."""
        out = self.pool(x)
        if train:
            self.x, self.out = x, out
        return out

    def backward(self, da):
        """Return dL/dx for dL/da through the last training forward's input and output."""
        return self.input_gradient(da, self.x, self.out)


class MaxPool2D(_Pool):
    """Max pooling: each output is the largest value of its window; its gradient goes to that value.

    A tie (equal maxima in one window) sends the gradient to the first of them only, as the
    derivative of a max does.  Ties are common: the network pools before its activation, and
    over the blank margin of a digit every conv output is the bias itself, so sending the
    gradient to each tied value would count a bias's gradient there up to four times.
    """

    def pool(self, x):
        """Return the maximum of each window of x, (n, c, H // size, W // size)."""
        views = self._offsets(x)
        out = views[0][1].copy(order="K")  # x's memory layout, pixel-major after a conv
        for _, v in views[1:]:
            np.maximum(out, v, out=out)
        return out

    def input_gradient(self, da, x, out=None):
        """Return dL/dx (x's shape) for dL/da (n, c, Ho, Wo), given the pooled input x (and output); keeps nothing."""
        m = self.pool(x) if out is None else out
        dx = np.zeros_like(x)  # x's memory layout: the writes below stay in order
        s = self.size
        unclaimed = np.ones(m.shape, dtype=bool)  # windows whose maximum no earlier offset has taken
        for (i, j), v in self._offsets(x):
            first = (v == m) & unclaimed
            unclaimed &= ~first
            np.multiply(first, da, out=dx[:, :, i::s, j::s][:, :, :m.shape[2], :m.shape[3]])
        return dx


class AvgPool2D(_Pool):
    """Average pooling: each output is the mean of its window; its gradient is shared out equally."""

    def pool(self, x):
        """Return the mean of each window of x, (n, c, H // size, W // size)."""
        views = self._offsets(x)
        out = views[0][1].copy(order="K")  # x's memory layout, pixel-major after a conv
        for _, v in views[1:]:
            out += v
        out *= x.dtype.type(1 / self.size**2)
        return out

    def input_gradient(self, da, x, out=None):
        """Return dL/dx (x's shape) for dL/da (n, c, Ho, Wo); only x's shape and layout are read (out is not needed)."""
        dx = np.zeros_like(x)
        s, (ho, wo) = self.size, da.shape[2:]
        share = da * da.dtype.type(1 / s**2)
        for i in range(s):
            for j in range(s):
                dx[:, :, i::s, j::s][:, :, :ho, :wo] = share
        return dx


class Flatten:
    """(n, c, h, w) -> (n, c·h·w) in NCHW order (channel, then row, then column), for the dense layers."""

    def forward(self, x, train=False):
        """Return x as rows of features; keep its shape for backward only when training."""
        if train:
            self.x_shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, d):
        """Return d (n, c·h·w) in the last training input's shape."""
        return self.input_gradient(d, self.x_shape)

    @staticmethod
    def input_gradient(d, x_shape):
        """Return d (n, c·h·w) reshaped to x_shape (n, c, h, w)."""
        return d.reshape(x_shape)
