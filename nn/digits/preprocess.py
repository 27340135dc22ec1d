"""Turn a digit drawn on a canvas into a 28×28 image that looks like MNIST.

MNIST digits were not simply shrunk: each was cropped to its ink, scaled so its longer
side is 20 px (anti-aliased, aspect kept), and placed in a 28×28 field so that its centre
of mass sits at the centre.  Demos that resize the whole canvas straight to 28×28 misread
small, thick or off-centre digits; ``preprocess`` repeats what made MNIST instead, and keeps
every intermediate step so a page can show them.  One step MNIST did not need: MNIST's
digits were written with pens, and a digit drawn with a thin brush shrinks to faint,
hair-thin strokes that no MNIST digit has; such strokes are thickened to MNIST's thinnest.

Convention: white (bright) ink on a black or transparent background, as in MNIST.  Black ink
on white paper is not detected; invert such an image first.

Not for training data: MNIST is already preprocessed (see ``augment.py`` for variation).
The only engine module that imports Pillow.
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image

SIZE = 28  # side of an MNIST image
BOX = 20  # side of the box MNIST scaled each digit's longer side to
CENTRE = 14.0  # MNIST's centre of mass: measured on its test set, mean (13.99, 14.01) ±0.3
CROP_LEVEL = 0.1  # ink below this is anti-aliasing haze, not part of the digit's box
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, as Pillow's "L"
# The thinnest stroke kept, in pixels of the 20-px box: MNIST's strokes are 1.2 to 2.9 px wide
# (5th to 95th percentile of its test digits, measured as ``_stroke_width`` measures).
MIN_STROKE = 1.2


class ImageError(ValueError):
    """A canvas image that cannot be read as a drawing."""


@dataclass(frozen=True)
class Preprocessed:
    """Every step from canvas to model input, each an image in [0, 1] (ink bright)."""

    raw: np.ndarray  # (H, W) float32: the canvas as ink
    cropped: np.ndarray  # (h, w) float32: the ink's bounding box (whole canvas if not cropped), thickened if thin
    scaled: np.ndarray  # (20, 20) float32: the box scaled to longer side 20, padded to 20×20
    centred: np.ndarray  # (28, 28) float32: the final MNIST-style image
    x: np.ndarray  # (784,) float32: the model input, centred flattened
    blank: bool  # True when there is (almost) no ink; then scaled, centred and x are all zero
    thickened: bool = False  # True when the strokes were thinner than MNIST's thinnest (MIN_STROKE) and widened


def preprocess(image, centre=True, min_ink=1.0):
    """Return the steps that turn a canvas image into an MNIST-style (784,) input.

    image: (H, W) grayscale, or (H, W, 3) RGB, or (H, W, 4) RGBA; integer (0..max of
    its dtype) or float in [0, 1].  Ink is brightness times alpha, so transparent pixels
    are background whatever their colour, and an opaque image is read by brightness alone.

    centre=True does what made MNIST: crop to the ink, scale the longer side to 20 px,
    place the box in 28×28 with its centre of mass at (14, 14) by a whole-pixel shift
    (as MNIST: its digits' centres lie within ±0.5 px of 14), never pushing ink off the edge.
    Strokes that would be thinner than MIN_STROKE in the box are first widened (``thickened``).
    centre=False is the naive path of the usual demos: the whole canvas resized to 28×28
    (non-square canvases stretched); ``cropped`` is then the whole canvas and ``scaled``
    the canvas at 20×20.

    min_ink: the least ink that counts as a drawing, in 28×28 pixels' worth (the canvas's
    ink sum scaled by 784 / (H·W)).  A 3×3 px stray dot on a 280×280 canvas is 0.09; an
    MNIST digit is about 100.  Below it the result is ``blank`` and all zeros.
    """
    raw = _ink(image)
    height, width = raw.shape
    if raw.sum(dtype=np.float64) * SIZE * SIZE / (height * width) < min_ink:
        return _blank(raw)
    if not centre:
        return _naive(raw)
    ink = raw > CROP_LEVEL
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:  # enough ink in total, but all of it haze
        return _blank(raw)
    cropped = raw[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    cropped, thickened = _thicken(cropped)
    box = _fit(cropped)
    centred = np.zeros((SIZE, SIZE), dtype=np.float32)
    top, left = _centre_of_mass_offset(box)
    centred[top : top + box.shape[0], left : left + box.shape[1]] = box
    return Preprocessed(raw, cropped, _pad(box, BOX), centred, centred.reshape(-1), False, thickened)


def _ink(image):
    """Return the image as a (H, W) float32 ink map in [0, 1], ink bright."""
    a = np.asarray(image)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ImageError(f"Expected a grayscale (H, W), RGB (H, W, 3) or RGBA (H, W, 4) image, got shape {a.shape}.")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ImageError(f"The image is empty (shape {a.shape}); draw on a canvas of at least 1×1 pixel.")
    if a.dtype == bool:
        a = a.astype(np.float32)
    elif np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.float32) / np.iinfo(a.dtype).max
    elif np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all():
            raise ImageError("The image holds NaN or infinite values; pass pixel values in [0, 1] or 0..255.")
        a = a.astype(np.float32)
    else:
        raise ImageError(f"The image must hold numbers, not {a.dtype}.")
    if a.ndim == 3:
        ink = a[..., :3] @ LUMA
        a = ink * a[..., 3] if a.shape[2] == 4 else ink
    return np.clip(a, 0.0, 1.0, dtype=np.float32)


def _stroke_width(ink):
    """Return the mean stroke width, in pixels, of an ink map (h, w): twice its inked area over its outline's length.

    A stroke of width w and length L covers about w·L pixels and is outlined on both sides,
    about 2·L pixel edges: so width = 2 · area / outline.  Ink is counted where it is at least half on.
    """
    on = ink >= 0.5
    outline = np.count_nonzero(on[1:] != on[:-1]) + np.count_nonzero(on[:, 1:] != on[:, :-1])
    outline += np.count_nonzero(on[[0, -1]]) + np.count_nonzero(on[:, [0, -1]])  # edges on the crop's border
    return 2 * np.count_nonzero(on) / max(outline, 1)


def _thicken(cropped):
    """Return (the crop, False), or the crop widened so its strokes reach MIN_STROKE in the 20-px box, and True.

    Widening is a grey dilation by r pixels (``_dilate``), on the crop padded by r so that no
    widened ink is cut off.
    """
    longer = max(cropped.shape)
    want = MIN_STROKE * longer / BOX  # the width, in canvas pixels, that becomes MIN_STROKE in the box
    width = _stroke_width(cropped)
    if width >= want:
        return cropped, False
    r = int(np.ceil((want - width) / 2))
    return _dilate(np.pad(cropped, r), r), True


def _dilate(a, r):
    """Return a (h, w) with each pixel the brightest within r pixels of it (a (2r+1)² square): whole-array maxima.

    Separable: the brightest of each column's 2r+1 neighbours, then of each row's, each as 2r
    element-wise maxima of shifted copies (no loop over pixels).
    """
    for axis in (0, 1):
        src, a = a, a.copy()
        for s in range(1, r + 1):
            ahead, behind = [slice(None)] * 2, [slice(None)] * 2
            ahead[axis], behind[axis] = slice(s, None), slice(None, -s)
            np.maximum(a[tuple(ahead)], src[tuple(behind)], out=a[tuple(ahead)])
            np.maximum(a[tuple(behind)], src[tuple(ahead)], out=a[tuple(behind)])
    return a


def _fit(cropped):
    """Return the crop resized so its longer side is 20 px, aspect kept, each side ≥ 1 px."""
    h, w = cropped.shape
    f = BOX / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))  # Pillow wants (width, height)
    return _resize(cropped, size)


def _resize(a, size):
    """Return the float image a resized to size=(width, height), anti-aliased, kept in [0, 1]."""
    # Box averaging is exact area sampling for the usual large shrink; a box filter would
    # only copy pixels when enlarging a tiny drawing, so smooth those with bilinear.
    shrink = size[0] <= a.shape[1] and size[1] <= a.shape[0]
    resample = Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR
    out = np.asarray(Image.fromarray(np.ascontiguousarray(a)).resize(size, resample), dtype=np.float32)
    return np.clip(out, 0.0, 1.0)


def _centre_of_mass_offset(box):
    """Return where (top, left) to place box in 28×28 so its centre of mass lands nearest (14, 14)."""
    mass = box.sum(dtype=np.float64)
    cy = box.sum(axis=1) @ np.arange(box.shape[0]) / mass
    cx = box.sum(axis=0) @ np.arange(box.shape[1]) / mass
    # Clamp so no ink is pushed off the edge (only a lopsided shape needs it).
    top = min(max(round(CENTRE - cy), 0), SIZE - box.shape[0])
    left = min(max(round(CENTRE - cx), 0), SIZE - box.shape[1])
    return top, left


def _pad(a, side):
    """Return a centred in a side×side black square (a no larger than side)."""
    out = np.zeros((side, side), dtype=np.float32)
    top, left = (side - a.shape[0]) // 2, (side - a.shape[1]) // 2
    out[top : top + a.shape[0], left : left + a.shape[1]] = a
    return out


def _naive(raw):
    """Return the usual demos' steps: the whole canvas resized to 28×28, nothing cropped or centred."""
    centred = _resize(raw, (SIZE, SIZE))
    return Preprocessed(raw, raw, _resize(raw, (BOX, BOX)), centred, centred.reshape(-1), False)


def _blank(raw):
    """Return the steps for a canvas with no drawing: all zeros after raw."""
    centred = np.zeros((SIZE, SIZE), dtype=np.float32)
    return Preprocessed(raw, raw, np.zeros((BOX, BOX), dtype=np.float32), centred, centred.reshape(-1), True)
