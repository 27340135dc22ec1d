"""Pen strokes for the Draw benchmark: real MNIST test digits traced into strokes a mouse can replay.

A digit's ink is enlarged, thinned to a one-pixel skeleton (Zhang–Suen) and walked into
polylines, each one stroke from pen-down to pen-up: a person's "7" comes out as one or two
strokes, an "8" as a loop or two.  ``place`` then sizes and moves a digit's strokes on the
canvas (small, large, off-centre ...), and ``replay`` draws them on the Draw page's canvas
with the mouse.  Tracing real digits keeps the benchmark honest: the
shapes are MNIST's own variety, not templates written to suit the preprocessing.

Not for the app: ``benchmarks/draw_accuracy.py``, the browser test and the screenshot script use it.
"""

import time

import numpy as np
from PIL import Image

from nn.data import SAMPLE_PATH

UP = 4  # trace on a 112×112 enlargement: a smoother skeleton than on 28×28
INK = 96  # enlarged pixels brighter than this are ink
SPACING = 2.0  # keep a point every this many enlarged pixels: a mouse event every ~half MNIST pixel
MIN_LENGTH = 2.0 * UP  # shorter walks (2 MNIST px) are thinning spurs and staircase leftovers, not strokes
NEIGHBOURS = [(-1, 0), (0, 1), (1, 0), (0, -1), (-1, 1), (1, 1), (1, -1), (-1, -1)]  # 4-neighbours first


def skeleton(image):
    """Return the one-pixel-wide skeleton, bool (112, 112), of an MNIST image (28, 28) uint8."""
    big = Image.fromarray(np.asarray(image, dtype=np.uint8)).resize((28 * UP, 28 * UP), Image.Resampling.BILINEAR)
    b = (np.asarray(big) > INK).astype(np.uint8)
    changed = True
    while changed:
        changed = False
        for first in (True, False):
            p = np.pad(b, 1)
            # Neighbours clockwise from north: p2 (N), p3 (NE), p4 (E) ... p9 (NW).
            n = [p[:-2, 1:-1], p[:-2, 2:], p[1:-1, 2:], p[2:, 2:], p[2:, 1:-1], p[2:, :-2], p[1:-1, :-2], p[:-2, :-2]]
            count = sum(n)
            turns = sum((n[i] == 0) & (n[(i + 1) % 8] == 1) for i in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            side = ((p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)) if first else ((p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0))
            drop = (b == 1) & (count >= 2) & (count <= 6) & (turns == 1) & side
            if drop.any():
                b[drop] = 0
                changed = True
    return b.astype(bool)


def trace(skel):
    """Return the skeleton walked into strokes: a list of (k, 2) float arrays of (x, y) in 28×28 pixel units."""
    unvisited = set(zip(*np.nonzero(skel)))
    pixels = frozenset(unvisited)

    def around(q):
        return [(q[0] + dr, q[1] + dc) for dr, dc in NEIGHBOURS if (q[0] + dr, q[1] + dc) in pixels]

    strokes = []
    while unvisited:
        ends = [q for q in unvisited if sum(r in unvisited for r in around(q)) <= 1]
        start = min(ends or unvisited)  # the topmost end first, as people mostly start at the top
        path = _join(around(start), unvisited, start) + [start]
        unvisited.discard(start)
        while nxt := [q for q in around(path[-1]) if q in unvisited]:
            q = min(nxt, key=lambda q: _turn(path, q))
            path.append(q)
            unvisited.discard(q)
        path += _join(around(path[-1]), unvisited, path[-2] if len(path) > 1 else None)
        path = np.array(path, dtype=np.float64)
        if _length(path) >= MIN_LENGTH:
            strokes.append(_resample(path))
    return strokes


def _join(neighbours, unvisited, exclude):
    """Return [a visited neighbour] so a stroke that meets earlier ink touches it, else []."""
    done = [q for q in neighbours if q not in unvisited and q != exclude]
    return done[:1]


def _turn(path, q):
    """Return how sharply stepping to q turns from the path's last direction (0 = straight on)."""
    if len(path) < 2:
        return 0.0
    (r0, c0), (r1, c1) = path[-2], path[-1]
    a, b = np.array([r1 - r0, c1 - c0]), np.array([q[0] - r1, q[1] - c1])
    return -float(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b))


def _length(path):
    """Return the length of a (k, 2) polyline."""
    return float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())


def _resample(path):
    """Return the (row, col) path as (x, y) points in 28-px units, one every SPACING enlarged pixels."""
    steps = np.r_[0, np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))]
    at = np.r_[np.arange(0, steps[-1], SPACING), steps[-1]]
    rows, cols = np.interp(at, steps, path[:, 0]), np.interp(at, steps, path[:, 1])
    return np.column_stack([cols, rows]) / UP


def digit_strokes(image):
    """Return an MNIST image (28, 28) uint8 as a list of strokes (see ``trace``)."""
    return trace(skeleton(image))


def place(strokes, size, centre):
    """Return the strokes scaled so their longer side is size px and their box centred at centre=(x, y)."""
    points = np.concatenate(strokes)
    lo, hi = points.min(axis=0), points.max(axis=0)
    scale = size / max(float((hi - lo).max()), 1e-9)
    middle = (lo + hi) / 2
    return [(s - middle) * scale + np.asarray(centre, dtype=np.float64) for s in strokes]


def sample_strokes(label, k=0, size=180, centre=(140, 140)):
    """Return the strokes of the k-th test digit ``label`` of the bundled sample, placed on a 280-px canvas."""
    with np.load(SAMPLE_PATH, allow_pickle=False) as f:
        image = f["x_test"][np.flatnonzero(f["y_test"] == label)[k]]
    return place(digit_strokes(image), size, centre)


def replay(page, strokes, pen_lift=0.25):
    """Draw strokes (canvas px) on the Draw page's canvas with the mouse: per stroke down, moves, up.

    page is a Playwright page showing the Draw page; pen_lift is the pause between strokes, in seconds.
    Right after Clear the old canvas lingers until the page's rerun ends: wait for the one new canvas,
    and let Playwright check that it stands still and takes the pointer before the pen goes down.
    """
    canvas = page.locator("canvas.upper-canvas")
    while canvas.count() != 1:
        time.sleep(0.02)
    x, y = strokes[0][0]
    canvas.hover(position={"x": float(x), "y": float(y)})
    box = canvas.bounding_box()
    origin = np.array([box["x"], box["y"]])
    for k, stroke in enumerate(strokes):
        if k:
            time.sleep(pen_lift)
        points = stroke + origin
        page.mouse.move(*points[0])
        page.mouse.down()
        for p in points[1:]:
            page.mouse.move(*p)
        page.mouse.up()
