"""Drawn digits become MNIST-like 28×28 inputs, wherever and however big they are drawn."""

import numpy as np
import pytest
from PIL import Image

from nn.digits.preprocess import MIN_STROKE, ImageError, preprocess


def centre_of_mass(image):
    """Return the (row, column) centre of mass of a 2-D image."""
    mass = image.sum()
    return image.sum(axis=1) @ np.arange(image.shape[0]) / mass, image.sum(axis=0) @ np.arange(image.shape[1]) / mass


def rgba(ink):
    """Return a float ink map (H, W) as the canvas returns it: white ink, alpha = ink, transparent black elsewhere."""
    a = np.zeros((*ink.shape, 4), dtype=np.uint8)
    a[ink > 0, :3] = 255
    a[..., 3] = np.round(ink * 255)
    return a


def seven(size=280):
    """Return an anti-aliased-looking '7' ink map in the top-left of a size×size canvas."""
    ink = np.zeros((size, size), dtype=np.float32)
    ink[20:36, 20:130] = 1.0  # the bar
    for r in range(36, 180):  # the slanted stem, 16 px thick
        c = 130 - (r - 36) // 2
        ink[r, c - 16 : c] = 1.0
    ink[19, 20:130] = ink[20:36, 130] = 0.3  # soft edges on the bar
    return ink


def test_output_is_a_float32_vector_in_unit_range():
    p = preprocess(rgba(seven()))
    assert p.x.shape == (784,) and p.x.dtype == np.float32
    assert p.x.min() >= 0 and p.x.max() <= 1 and p.x.max() > 0.9
    assert p.centred.shape == (28, 28) and p.scaled.shape == (20, 20)
    assert np.array_equal(p.x, p.centred.ravel())
    assert not p.blank


def test_off_centre_digit_has_its_centre_of_mass_at_the_centre():
    p = preprocess(rgba(seven()))
    cy, cx = centre_of_mass(p.centred)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5


def test_the_same_digit_drawn_elsewhere_gives_the_same_input():
    ink = seven()
    moved = np.zeros_like(ink)
    moved[90:, 95:] = ink[:190, :185]
    assert np.array_equal(preprocess(rgba(ink)).x, preprocess(rgba(moved)).x)


def test_tall_narrow_stroke_keeps_its_aspect_ratio():
    ink = np.zeros((280, 280), dtype=np.float32)
    ink[40:240, 120:150] = 1.0  # 200 tall, 30 wide: 20 tall, 3 wide after scaling
    p = preprocess(rgba(ink))
    rows = np.flatnonzero(p.centred.any(axis=1))
    cols = np.flatnonzero(p.centred.any(axis=0))
    assert len(rows) == 20 and len(cols) == 3
    assert p.cropped.shape == (200, 30) and not p.thickened


def test_hair_thin_line_is_widened_to_mnists_thinnest_stroke():
    ink = np.zeros((280, 280), dtype=np.float32)
    ink[10:270, 100] = 1.0  # 1 px wide and 260 tall: 0.08 px in the 20-px box, a faint trace no MNIST digit has
    p = preprocess(ink)
    assert p.thickened
    assert len(np.flatnonzero(p.centred.any(axis=1))) == 20
    across = p.centred.sum(axis=1)  # a vertical line's ink in each row is its width there, in box pixels
    assert np.all(across[np.flatnonzero(across)[1:-1]] >= 0.95)  # a whole pixel of ink (a line's box is whole
    assert p.cropped.shape[1] >= MIN_STROKE * 260 / 20  # pixels wide), where the line as drawn gave 0.08


def test_strokes_as_wide_as_mnists_are_left_as_drawn():
    assert not preprocess(rgba(seven())).thickened  # a 16 px stem over 180 px: 1.8 px in the box


def test_blank_canvas_gives_zeros_and_says_blank():
    p = preprocess(np.zeros((280, 280, 4), dtype=np.uint8))
    assert p.blank
    assert p.x.shape == (784,) and not p.x.any()
    assert p.scaled.shape == (20, 20) and p.centred.shape == (28, 28)


def test_stray_dot_on_a_big_canvas_counts_as_blank():
    ink = np.zeros((280, 280), dtype=np.float32)
    ink[100:103, 50:53] = 1.0  # 9 px: 0.09 of a 28×28 pixel
    assert preprocess(rgba(ink)).blank


def test_one_pixel_dot_on_a_small_image_is_a_drawing():
    dot = np.zeros((28, 28), dtype=np.uint8)
    dot[3, 5] = 255  # one whole 28×28 pixel of ink: exactly the default min_ink
    p = preprocess(dot)
    assert not p.blank
    assert p.cropped.shape == (1, 1)
    cy, cx = centre_of_mass(p.centred)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    assert preprocess(dot, min_ink=1.5).blank


def test_one_pixel_image_does_not_crash():
    assert not preprocess(np.ones((1, 1), dtype=np.float32)).blank
    assert preprocess(np.zeros((1, 1), dtype=np.float32)).blank


def test_stroke_touching_the_canvas_border_is_not_cut_off():
    ink = np.zeros((280, 280), dtype=np.float32)
    ink[0:20, :] = 1.0  # along the whole top edge
    ink[:, 260:] = 1.0  # and down the whole right edge
    p = preprocess(rgba(ink))
    expected = ink.sum() * (20 / 280) ** 2  # box resizing keeps the mean ink
    assert p.centred.sum() == pytest.approx(expected, rel=0.02)
    assert p.centred.sum() == pytest.approx(p.scaled.sum(), rel=1e-5)


def test_lopsided_shape_is_not_pushed_off_the_edge():
    ink = np.zeros((280, 280), dtype=np.float32)
    ink[100:160, 0:60] = 1.0  # a heavy blob on the left
    ink[128:132, 60:260] = 1.0  # with a long thin tail: centring it would push the box 10 px
    p = preprocess(rgba(ink))
    assert p.centred.sum() == pytest.approx(p.scaled.sum(), rel=1e-5)
    assert p.centred[:, -1].any()  # moved as far as it can go, no further


def test_alpha_ink_and_brightness_ink_give_the_same_input():
    yy, xx = np.mgrid[0:280, 0:280]
    ink = np.clip(30 - np.hypot(yy - 90, xx - 200) / 1.5, 0, 30) / 30  # a soft-edged disk
    ink[150:250, 40:60] = 1.0
    level = np.round(ink * 255).astype(np.uint8)
    in_alpha = np.full((280, 280, 4), 255, dtype=np.uint8)  # white everywhere, ink in alpha
    in_alpha[..., 3] = level
    in_rgb = np.full((280, 280, 4), 255, dtype=np.uint8)  # opaque, ink in colour
    in_rgb[..., :3] = level[..., None]
    expected = preprocess(in_alpha).x
    assert np.allclose(preprocess(in_rgb).x, expected, atol=1e-6)
    assert np.allclose(preprocess(rgba(level / 255)).x, expected, atol=1e-6)
    assert np.allclose(preprocess(level).x, expected, atol=1e-6)  # grayscale uint8
    assert np.allclose(preprocess(level[..., None].repeat(3, axis=2)).x, expected, atol=1e-6)  # RGB
    assert np.allclose(preprocess(level / 255.0).x, expected, atol=1e-5)  # grayscale float


def test_naive_path_resizes_the_whole_canvas():
    ink = seven()
    p = preprocess(ink, centre=False)
    assert not p.blank
    assert p.cropped.shape == (280, 280) and p.scaled.shape == (20, 20)
    expected = ink.reshape(28, 10, 28, 10).mean(axis=(1, 3))  # 10×10 box average
    assert np.allclose(p.centred, expected, atol=1e-5)
    assert preprocess(np.zeros((280, 280)), centre=False).blank


@pytest.mark.parametrize("bad", [np.zeros((5, 5, 2)), np.zeros((3,)), np.zeros((0, 4)), np.full((4, 4), np.nan)])
def test_unreadable_image_is_refused_with_a_clear_message(bad):
    with pytest.raises(ImageError, match="image"):
        preprocess(bad)
    assert issubclass(ImageError, ValueError)


def paste(digit, size, top, left):
    """Return a 280×280 RGBA canvas with an MNIST digit drawn size×size at (top, left)."""
    big = np.asarray(Image.fromarray(digit).resize((size, size), Image.Resampling.BILINEAR))
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[top : top + size, left : left + size] = np.stack([big] * 3 + [np.full_like(big, 255)], axis=-1)
    return canvas


def correlation(a, b):
    """Return the Pearson correlation of two images."""
    return np.corrcoef(a.ravel(), b.ravel())[0, 1]


@pytest.fixture(scope="module")
def mnist_digits(sample):
    """Return 50 real MNIST digits, uint8 (50, 28, 28), from the bundled sample's test part."""
    return sample.x_test[:50]


def test_mnist_digits_redrawn_anywhere_come_back_like_mnist(mnist_digits):
    rng = np.random.default_rng(0)
    centred, naive = [], []
    for digit in mnist_digits:
        size = int(rng.integers(60, 281))
        top, left = rng.integers(0, 281 - size, 2)
        canvas = paste(digit, size, top, left)
        centred.append(correlation(preprocess(canvas).x, digit))
        if size < 140 and (abs(top + size / 2 - 140) > 40 or abs(left + size / 2 - 140) > 40):
            naive.append(correlation(preprocess(canvas, centre=False).x, digit))
    assert np.mean(centred) > 0.85
    assert np.mean(np.array(centred) > 0.7) >= 0.95  # nearly all; a faint, thin digit blown up large may lose some
    assert len(naive) >= 10 and np.mean(naive) < 0.4


def test_full_canvas_mnist_digit_reads_the_same_both_ways(mnist_digits):
    centred = []
    for digit in mnist_digits[:10]:
        canvas = paste(digit, 280, 0, 0)
        assert correlation(preprocess(canvas, centre=False).x, digit) > 0.95
        centred.append(correlation(preprocess(canvas).x, digit))
    assert np.mean(centred) > 0.9  # re-centring moves the odd digit that MNIST left off its centre of mass
