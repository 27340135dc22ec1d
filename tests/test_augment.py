"""Augmentation moves, turns, resizes and re-strokes digits exactly as asked, batch-wide."""

import numpy as np
import pytest

from nn.digits.augment import AugmentError, augment, stroke, warp


def glyph():
    """Return an asymmetric uint8 (28, 28) image, an 'F' well inside the frame."""
    image = np.zeros((28, 28), dtype=np.uint8)
    image[6:22, 9:12] = 255  # stem
    image[6:9, 12:20] = 255  # top arm, long
    image[12:15, 12:17] = 200  # middle arm, shorter and dimmer
    return image


def batch(n=8, seed=0):
    """Return n uint8 digits (n, 28, 28): the glyph moved about, some of it fainter."""
    rng = np.random.default_rng(seed)
    images = np.stack([np.roll(glyph(), tuple(rng.integers(-3, 4, 2)), axis=(0, 1)) for _ in range(n)])
    return (images * rng.uniform(0.6, 1.0, (n, 1, 1))).astype(np.uint8)


def centre_of_mass(image):
    """Return the (row, column) centre of mass of a 2-D image."""
    mass = image.sum()
    rows, cols = np.arange(image.shape[0]), np.arange(image.shape[1])
    return image.sum(axis=1) @ rows / mass, image.sum(axis=0) @ cols / mass


def test_augment_returns_network_input():
    x = batch(16)
    out = augment(x, np.random.default_rng(1))
    assert out.shape == (16, 784) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    flat = augment((x / 255).reshape(16, 784), np.random.default_rng(1))
    assert np.allclose(flat, out, atol=1e-6)  # uint8 and [0, 1] floats are the same images


def test_no_variation_gives_the_input_back():
    x = batch()
    out = augment(x, np.random.default_rng(2), shift=0, rotate=0, scale=(1, 1), thickness=False)
    assert np.allclose(out, x.reshape(len(x), 784) / 255, atol=1e-6)
    assert np.allclose(warp(x), x / 255, atol=1e-6)


def test_shift_moves_the_centre_of_mass_by_that_many_pixels():
    x = batch(4)
    k = 3
    moved = warp(x, dx=k, dy=-2)
    for before, after in zip(x / 255, moved, strict=True):
        (r0, c0), (r1, c1) = centre_of_mass(before), centre_of_mass(after)
        assert c1 - c0 == pytest.approx(k, abs=1e-4)
        assert r1 - r0 == pytest.approx(-2, abs=1e-4)
    assert np.allclose(moved[0, :-2, k:], x[0, 2:, :-k] / 255)  # whole pixels: an exact move


def test_quarter_turns_match_rot90():
    x = glyph()[None]
    assert np.allclose(warp(x, angle=90)[0], np.rot90(x[0]) / 255, atol=1e-5)
    assert np.allclose(warp(x, angle=-90)[0], np.rot90(x[0], -1) / 255, atol=1e-5)
    assert np.allclose(warp(x, angle=180)[0], np.rot90(x[0], 2) / 255, atol=1e-5)


def test_each_image_gets_its_own_parameters():
    x = np.repeat(glyph()[None], 3, axis=0)
    out = warp(x, angle=[0, 90, 0], scale=1, dx=[0, 0, 1], dy=0)
    assert np.allclose(out[0], x[0] / 255, atol=1e-6)
    assert np.allclose(out[1], np.rot90(x[0]) / 255, atol=1e-5)
    assert np.allclose(out[2, :, 1:], x[0, :, :-1] / 255, atol=1e-6)


def test_scaling_changes_the_area_of_ink():
    x = glyph()[None]
    ink = x.sum() / 255
    assert warp(x, scale=0.5).sum() == pytest.approx(ink / 4, rel=0.1)
    assert warp(x, scale=1.2).sum() == pytest.approx(ink * 1.44, rel=0.1)
    halfway_to_the_centre = 13.5 + (np.array(centre_of_mass(x[0])) - 13.5) / 2
    assert centre_of_mass(warp(x, scale=0.5)[0]) == pytest.approx(halfway_to_the_centre, abs=0.3)


def test_same_seed_same_batch_other_seed_other_batch():
    x = batch(32)
    first = augment(x, np.random.default_rng(7))
    assert np.array_equal(first, augment(x, np.random.default_rng(7)))
    assert not np.allclose(first, augment(x, np.random.default_rng(8)))


def test_thickening_adds_ink_and_thinning_removes_it():
    x = batch(6)
    ink = (x / 255).sum(axis=(1, 2))
    assert (stroke(x, 1.0).sum(axis=(1, 2)) > ink * 1.2).all()
    assert (stroke(x, -0.5).sum(axis=(1, 2)) < ink * 0.9).all()
    assert np.allclose(stroke(x, 0.0), x / 255)
    mixed = stroke(x, [1, -1, 0, 0.5, -0.5, 0]).sum(axis=(1, 2))
    assert mixed[0] > ink[0] and mixed[1] < ink[1] and mixed[2] == pytest.approx(ink[2])


def test_full_stroke_change_is_a_3x3_max_or_min_filter():
    x = batch(2) / 255
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    windows = np.stack([padded[:, i : i + 28, j : j + 28] for i in range(3) for j in range(3)])
    assert np.allclose(stroke(x, 1.0), windows.max(axis=0))
    assert np.allclose(stroke(x, -1.0), windows.min(axis=0))


def test_augmented_digits_stay_recognisable():
    x = batch(64)
    out = augment(x, np.random.default_rng(3)).reshape(-1, 28, 28)
    ink = (x / 255).sum(axis=(1, 2))
    kept = out.sum(axis=(1, 2)) / ink
    assert (kept > 0.35).all() and (kept < 3).all()  # scale² times stroke change, never wiped out
    for before, after in zip(x / 255, out, strict=True):
        # Shift ±3 plus the scale acting on an off-centre digit moves its centre a few pixels at most.
        assert np.hypot(*np.subtract(centre_of_mass(after), centre_of_mass(before))) < 6


@pytest.mark.parametrize(
    "call",
    [
        lambda: augment(np.zeros((4, 28)), np.random.default_rng()),
        lambda: augment(np.zeros((4, 28, 28), dtype=np.int64), np.random.default_rng()),
        lambda: augment(np.zeros((4, 784)), np.random.default_rng(), scale=(1.2, 0.8)),
        lambda: augment(np.zeros((4, 784)), np.random.default_rng(), shift=-1),
        lambda: warp(np.zeros((1, 28, 28)), scale=0),
        lambda: stroke(np.zeros((1, 28, 28)), 2),
    ],
)
def test_bad_input_or_settings_are_refused(call):
    with pytest.raises(AugmentError):
        call()
    assert issubclass(AugmentError, ValueError)
