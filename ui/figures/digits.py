"""Digits as pictures: the one helper that lays digits out, one picture each or in a grid.

Both ``st.image`` lists (the home page's examples, the misread digits, the Draw page's steps)
and heatmap sheets (the Weights page's top digits, the Draw page's own digits) come from
``pictures``.  Pixels stay sharp: images are enlarged by whole pixels, not left to the
browser's blur.  Not for figures (the topic modules place these pictures) nor for
preprocessing digits (``nn.digits``).
"""

import math

import numpy as np

SIDE = 28


def pictures(images, size=SIDE, per_row=None, gap=0):
    """Return images as uint8 pictures (0 black .. 255 white): a list of one per image, or one grid if per_row is set.

    images: an array (k, 784) or (k, h, w), or a list of 2-D images of any shape; floats in [0, 1] or uint8.
    Each image is padded black to a centred square and enlarged by whole pixels to about size px
    (at least 1 pixel per pixel).  A grid holds per_row images a row, gap black pixels apart.
    """
    tiles = [_square(image, size) for image in images]
    if per_row is None:
        return tiles
    side = tiles[0].shape[0]
    rows, cols = math.ceil(len(tiles) / per_row), min(len(tiles), per_row)
    step = side + gap
    sheet = np.zeros((rows * step - gap, cols * step - gap), dtype=np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, per_row)
        sheet[r * step:r * step + side, c * step:c * step + side] = tile
    return sheet


def one_of_each(y):
    """Return the index of the first example of each digit 0..9 in labels y (n,)."""
    return [int((y == d).argmax()) for d in range(10)]


def _square(image, size):
    """Return one image (784,) or (h, w) as a uint8 square, padded black, enlarged to about size px."""
    a = np.asarray(image)
    if a.ndim == 1:
        a = a.reshape(SIDE, SIDE)
    if a.dtype != np.uint8:
        a = np.round(np.clip(a.astype(np.float32), 0, 1) * 255).astype(np.uint8)
    n = max(a.shape)
    square = np.zeros((n, n), dtype=np.uint8)
    top, left = (n - a.shape[0]) // 2, (n - a.shape[1]) // 2
    square[top:top + a.shape[0], left:left + a.shape[1]] = a
    k = max(1, size // n)
    return square.repeat(k, axis=0).repeat(k, axis=1)
