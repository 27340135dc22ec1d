"""Vary MNIST training digits at random so the network learns shapes, not pixel positions.

Small shifts, rotations, size changes and thicker or thinner strokes: the ways a digit drawn
on a canvas differs from the MNIST one.  Everything works on a whole mini-batch at once,
in NumPy, without a Python loop per image, because it runs on every batch while training.

``transform_for(config)`` is the one place that decides whether a training run is
augmented: every caller that builds a ``Trainer`` passes its result as ``transform``.
``damage(x, kind, strength)`` applies the same transforms (plus noise and occlusion) at one
fixed strength to every image, for the Lab page's damage tests: one implementation serves
training and testing.  Not for drawn digits (``preprocess.py`` makes those look like MNIST);
test data stays as it is except where a damage test damages it on purpose.
"""

import numpy as np

SIZE = 28
CENTRE = (SIZE - 1) / 2  # rotate and scale about the middle of the pixel grid
THICKNESS_SHARE = 0.5  # share of a batch whose strokes are made thicker or thinner
THINNEST = -0.5  # a full 3×3 erosion leaves MNIST a fifth of its ink and erases half its digits

# Each damage: the strengths a damage test tries (ascending), the undamaged one, and the strength's unit.
DAMAGES = {
    "noise": ((0.0, 0.1, 0.2, 0.3, 0.4, 0.6), 0.0, "σ of Gaussian noise added to pixels in [0, 1]"),
    "rotation": ((0.0, 10.0, 20.0, 30.0, 45.0, 60.0), 0.0, "degrees, counter-clockwise"),
    "shift": ((0.0, 1.0, 2.0, 3.0, 4.0, 6.0), 0.0, "pixels right and down"),
    "scale": ((0.5, 0.6, 0.7, 0.8, 0.9, 1.0), 1.0, "size factor"),
    "thickness": ((-1.0, -0.5, 0.0, 0.5, 1.0), 0.0, "blend to a one-pixel erosion (−1) or dilation (+1)"),
    "occlusion": ((0.0, 4.0, 6.0, 8.0, 10.0, 12.0), 0.0, "side of a black square over the centre, pixels"),
}
NOISE_SEED = 0  # damage is deterministic: the same strength always damages the same way

_ROWS, _COLS = np.mgrid[0:SIZE, 0:SIZE].reshape(2, 1, SIZE * SIZE).astype(np.float32) - CENTRE


class AugmentError(ValueError):
    """Images or settings that augmentation cannot use."""


def transform_for(config):
    """Return the batch transform a run with these settings (a TrainConfig) trains with: ``augment``, or None."""
    return augment if config.augment else None


def augment(x, rng, *, shift=3.0, rotate=15.0, scale=(0.8, 1.2), thickness=True):
    """Return a randomly varied copy of the images x as the network's input, float32 (n, 784) in [0, 1].

    x: (n, 28, 28) or (n, 784), uint8 in 0..255 or float in [0, 1].
    Each image is shifted by up to ±shift px along each axis, rotated by up to ±rotate
    degrees, scaled by a factor drawn from scale=(low, high) and, when thickness is on, half
    of them get thicker or thinner strokes (see ``stroke``).  All draws are uniform, from rng.
    A digit pushed to the very edge by the largest settings may lose a pixel of ink.
    """
    images = _as_images(x)
    low, high = scale
    if shift < 0 or rotate < 0 or not 0 < low <= high:
        raise AugmentError(
            f"Augmentation needs shift ≥ 0, rotate ≥ 0 and 0 < low ≤ high scale; "
            f"got shift={shift}, rotate={rotate}, scale={scale}."
        )
    n = len(images)
    if thickness:
        amount = rng.uniform(THINNEST, 1.0, n) * (rng.random(n) < THICKNESS_SHARE)
        images = stroke(images, amount)
    angle = rng.uniform(-rotate, rotate, n)
    factor = rng.uniform(low, high, n)
    dx, dy = rng.uniform(-shift, shift, (2, n))
    return warp(images, angle, factor, dx, dy).reshape(n, SIZE * SIZE)


def warp(x, angle=0.0, scale=1.0, dx=0.0, dy=0.0):
    """Return the images x rotated, scaled and then shifted, float32 (n, 28, 28) in [0, 1].

    x: (n, 28, 28) or (n, 784), uint8 or float in [0, 1].  Parameters are scalars or (n,)
    arrays, one value per image.  angle in degrees, counter-clockwise as displayed (row 0 at
    the top), so 90 matches ``np.rot90(image)``; rotation and scale are about the image
    centre; dx moves right and dy down, in pixels.  Each output pixel looks up where it came
    from and interpolates bilinearly; whatever comes from outside the image is black.
    """
    images = _as_images(x)
    n = len(images)
    theta, s = np.deg2rad(_per_image(angle, n)), _per_image(scale, n)
    if not (s > 0).all():
        raise AugmentError("Every scale factor must be above 0.")
    cos, sin = (np.cos(theta) / s).astype(np.float32), (np.sin(theta) / s).astype(np.float32)
    # Inverse map, output → source: undo the shift, then the rotation, then the scale.
    # In place where possible: fresh batch-sized arrays cost page faults on every call.
    u = _COLS - _per_image(dx, n).astype(np.float32)
    v = _ROWS - _per_image(dy, n).astype(np.float32)
    col = cos * u
    col -= sin * v
    col += CENTRE
    row = np.multiply(sin, u, out=u)
    row += np.multiply(cos, v, out=v)
    row += CENTRE
    return _bilinear(images, row, col).reshape(n, SIZE, SIZE)


def damage(x, kind, strength):
    """Return the images x damaged by one ``DAMAGES`` kind at one strength, float32 (n, 784) in [0, 1].

    x: (n, 28, 28) or (n, 784), uint8 or float in [0, 1].  noise adds Gaussian noise of
    standard deviation strength (seeded, so repeatable) and clips; rotation, shift (dx = dy)
    and scale go through ``warp``; thickness through ``stroke`` (strength in [-1, 1]);
    occlusion blanks a strength × strength square at the centre.  The undamaged strength
    (0, or 1 for scale) returns the images unchanged.
    """
    images = _as_images(x)
    n = len(images)
    if kind not in DAMAGES:
        raise AugmentError(f"No damage called {kind!r}; there are {', '.join(DAMAGES)}.")
    if kind == "noise":
        rng = np.random.default_rng(NOISE_SEED)
        out = np.clip(images + np.float32(strength) * rng.standard_normal(images.shape, dtype=np.float32), 0, 1)
    elif kind == "rotation":
        out = warp(images, angle=strength)
    elif kind == "shift":
        out = warp(images, dx=strength, dy=strength)
    elif kind == "scale":
        out = warp(images, scale=strength)
    elif kind == "thickness":
        out = stroke(images, strength)
    else:
        side = int(round(strength))
        if not 0 <= side <= SIZE:
            raise AugmentError(f"An occlusion square's side must be 0–{SIZE} pixels, not {strength}.")
        out = images.copy()
        start = (SIZE - side) // 2
        out[:, start:start + side, start:start + side] = 0
    return out.reshape(n, SIZE * SIZE)


def stroke(x, amount):
    """Return the images x with thicker (amount > 0) or thinner (amount < 0) strokes, float32 (n, 28, 28).

    x: (n, 28, 28) or (n, 784), uint8 or float in [0, 1].  amount: scalar or (n,) in
    [-1, 1], the blend towards a 3×3 maximum filter (dilation by one pixel, at 1) or a
    3×3 minimum filter (erosion by one pixel, at -1); 0 leaves an image as it is.
    """
    images = _as_images(x)
    amount = _per_image(amount, len(images))[:, 0].astype(np.float32)
    if np.abs(amount).max(initial=0) > 1:
        raise AugmentError("Stroke amounts must lie in [-1, 1].")
    out = images.copy()
    for sign, extreme in ((1, np.maximum), (-1, np.minimum)):
        pick = np.flatnonzero(amount * sign > 0)
        if pick.size:
            a = images[pick]
            t = np.abs(amount[pick])[:, None, None]
            out[pick] = a + t * (_filter3x3(a, extreme) - a)
    return out


def _filter3x3(a, extreme):
    """Return the 3×3 neighbourhood max or min of each pixel of a (n, 28, 28), black beyond the edge."""
    p = np.pad(a, ((0, 0), (1, 1), (1, 1)))
    # Separable: extreme over three rows, then over three columns.
    rows = extreme(extreme(p[:, :-2], p[:, 1:-1]), p[:, 2:])
    return extreme(extreme(rows[:, :, :-2], rows[:, :, 1:-1]), rows[:, :, 2:])


def _bilinear(images, row, col):
    """Return images (n, 28, 28) sampled at (row, col) (n, m) bilinearly, 0 outside; overwrites row and col."""
    n = len(images)
    side = SIZE + 3
    # Black borders, one pixel before and two after, catch every lookup once the coordinates
    # are clipped to [-1, 28]: the 2×2 neighbourhood of a clipped point is black or weighted 0.
    flat = np.pad(images, ((0, 0), (1, 2), (1, 2))).reshape(-1)
    np.clip(row, -1, SIZE, out=row)
    np.clip(col, -1, SIZE, out=col)
    r, c = np.floor(row), np.floor(col)
    fr, fc = np.subtract(row, r, out=row), np.subtract(col, c, out=col)
    i = r.astype(np.int32)
    i *= side
    i += c.astype(np.int32)
    i += (np.arange(n, dtype=np.int32) * side * side + side + 1)[:, None]  # image start, +1 row and column of border
    # Shifted views of flat give the right, lower and lower-right neighbours without new index arrays.
    top = flat[i]
    top += fc * (flat[1:][i] - top)
    bottom = flat[side:][i]
    bottom += fc * (flat[side + 1 :][i] - bottom)
    bottom -= top
    bottom *= fr
    top += bottom
    return np.clip(top, 0.0, 1.0, out=top)


def _per_image(value, n):
    """Return a scalar or (n,) parameter as a float64 (n, 1) column, one value per image."""
    try:
        return np.broadcast_to(np.asarray(value, dtype=np.float64), (n,))[:, None]
    except ValueError:
        raise AugmentError(f"Give one value for all images or one per image ({n}), not {np.shape(value)}.") from None


def _as_images(x):
    """Return x as float32 (n, 28, 28) in [0, 1]: uint8 is divided by 255, floats are clipped."""
    a = np.asarray(x)
    if a.ndim not in (2, 3) or a.shape[1:] not in ((SIZE, SIZE), (SIZE * SIZE,)):
        raise AugmentError(f"Expected MNIST images shaped (n, 28, 28) or (n, 784), got shape {a.shape}.")
    if a.dtype == np.uint8:
        a = a / np.float32(255)
    elif np.issubdtype(a.dtype, np.floating):
        a = np.clip(a, 0.0, 1.0, dtype=np.float32)
    else:
        raise AugmentError(f"Expected uint8 pixels (0..255) or floats in [0, 1], got {a.dtype}.")
    return a.reshape(-1, SIZE, SIZE)
