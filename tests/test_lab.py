"""The neuron lab's maths and the damage tests, checked against NumPy written out here.

Each number the Lab page shows (accuracy with units off, the ranking of units, the
accuracy–coverage curve, accuracy under damage) is computed again here from the raw weight
matrices, without the engine's forward pass, and the network the lab starts from must come
out of every change byte for byte as it went in.
"""

import numpy as np
import pytest

from nn.digits.augment import DAMAGES, AugmentError, damage, warp
from nn.explain.lab import Changes, broken, coverage, damage_curve, reading, unit_drops
from tests.helpers import accuracy, manual_logits, snapshot, trained


@pytest.fixture(scope="module", params=[(32,), (32, 16), "pretrained"], ids=["one layer", "two layers", "pretrained"])
def net(request, splits, pretrained):
    """Return a one-layer, a two-layer and the bundled pretrained network."""
    return pretrained[0] if request.param == "pretrained" else trained(splits, request.param)


def test_units_off_match_a_network_with_those_units_zeroed(net, splits):
    X, y = splits.X_test, splits.y_test
    hidden = net.sizes[1:-1]
    off = {k: tuple(range(0, n, 3)) for k, n in enumerate(hidden, 1)}  # every third unit of every layer
    before = snapshot(net)
    result = reading(broken(net, Changes(off=off)), X, y)
    assert result.accuracy == pytest.approx(accuracy(manual_logits(net, X, off), y), abs=0.0021)
    assert result.accuracy < reading(net, X, y).accuracy
    assert result.confusion.sum() == len(y) and np.trace(result.confusion) == round(result.accuracy * len(y))
    assert snapshot(net) == before


def test_unit_drops_are_the_accuracy_lost_with_each_unit_alone_off(net, splits):
    X, y = splits.X_test[:400], splits.y_test[:400]
    clean = accuracy(manual_logits(net, X), y)
    for layer in range(1, len(net.sizes) - 1):
        units = range(8)
        drops = unit_drops(net, X, y, layer, units)
        expected = [clean - accuracy(manual_logits(net, X, {layer: [j]}), y) for j in units]
        np.testing.assert_allclose(drops, expected, atol=0.0051)  # float32 vs float64: one digit at most may flip


def test_every_change_leaves_the_original_byte_for_byte(net):
    before = snapshot(net)
    changes = Changes(off={1: (0, 1)}, scale={"W1": 0.5, f"W{len(net.sizes) - 1}": 1.7}, noise={"W2": 1.0},
                      prune=0.4, temperature=3.0)
    twin = broken(net, changes)
    assert snapshot(net) == before
    assert all(a is not b for (_, a, _), (_, b, _) in zip(net.params(), twin.params()))


def test_scale_noise_and_prune_do_what_they_say(net):
    W1 = net.params()[0][1]
    scaled = broken(net, Changes(scale={"W1": 0.25})).params()[0][1]
    np.testing.assert_allclose(scaled, 0.25 * W1, rtol=1e-6)
    pruned = broken(net, Changes(prune=0.6))
    for (name, w, _), (_, w0, _) in zip(pruned.params(), net.params()):
        if name.startswith("b"):
            np.testing.assert_array_equal(w, w0)  # biases are not pruned
            continue
        zeroed = (w == 0) & (w0 != 0)
        assert (w == 0).mean() == pytest.approx(0.6, abs=1 / w.size + 1e-9), name
        assert np.abs(w0[zeroed]).max() <= np.abs(w0[w != 0]).min(), f"{name}: a larger weight was pruned first"
    noisy = broken(net, Changes(noise={"W1": 0.5})).params()[0][1]
    assert np.std(noisy - W1) == pytest.approx(0.5 * W1.std(), rel=0.05)
    again = broken(net, Changes(noise={"W1": 0.5})).params()[0][1]
    np.testing.assert_array_equal(noisy, again)  # the same settings break it the same way


def test_temperature_changes_confidence_not_answers(net, splits):
    X, y = splits.X_test[:300], splits.y_test[:300]
    z = manual_logits(net, X)
    hot = reading(net, X, y, temperature=4.0)
    expected = np.exp(z / 4 - (z / 4).max(axis=1, keepdims=True))
    np.testing.assert_allclose(hot.p, expected / expected.sum(axis=1, keepdims=True), atol=1e-4)
    assert hot.accuracy == reading(net, X, y).accuracy
    assert hot.p.max(axis=1).mean() < reading(net, X, y).p.max(axis=1).mean()


def test_bad_changes_get_one_plain_message(net):
    n_hidden = len(net.sizes) - 2
    with pytest.raises(ValueError, match="no weight layer 'W9'"):
        broken(net, Changes(scale={"W9": 2.0}))
    with pytest.raises(ValueError, match=f"no hidden layer {n_hidden + 1}"):
        broken(net, Changes(off={n_hidden + 1: (0,)}))
    with pytest.raises(ValueError, match=f"there is no unit {net.sizes[1]}"):
        broken(net, Changes(off={1: (net.sizes[1],)}))
    with pytest.raises(ValueError, match="between 0 and 1"):
        broken(net, Changes(prune=1.5))
    with pytest.raises(ValueError, match="above 0"):
        broken(net, Changes(temperature=0))


def test_coverage_curve_ends_and_middle(splits, pretrained):
    X, y = splits.X_test, splits.y_test
    p = reading(pretrained[0], X, y).p
    confidence = p.max(axis=1)
    answered, acc = coverage(p, y, [0.0, 0.9, float(confidence.max()) + 1e-6])
    assert answered[0] == 1 and acc[0] == pytest.approx(accuracy(p, y))
    keep = confidence >= 0.9
    assert answered[1] == pytest.approx(keep.mean()) and acc[1] == pytest.approx(accuracy(p[keep], y[keep]))
    assert answered[2] == 0 and np.isnan(acc[2])


def test_damage_at_its_undamaged_strength_changes_nothing(splits):
    X = splits.X_test[:50]
    for kind, (strengths, neutral, _) in DAMAGES.items():
        assert neutral in strengths, kind
        np.testing.assert_allclose(damage(X, kind, neutral), X, atol=1e-6, err_msg=kind)


def test_damage_does_what_its_name_says(splits):
    images = splits.X_test[:20].reshape(-1, 28, 28)
    shifted = damage(images, "shift", 2).reshape(-1, 28, 28)
    np.testing.assert_allclose(shifted[:, 2:, 2:], images[:, :-2, :-2], atol=1e-6)  # 2 px right and down
    assert not shifted[:, :2].any() and not shifted[:, :, :2].any()
    np.testing.assert_allclose(damage(images, "rotation", 90).reshape(-1, 28, 28), np.rot90(images, axes=(1, 2)),
                               atol=1e-5)
    occluded = damage(images, "occlusion", 8).reshape(-1, 28, 28)
    assert not occluded[:, 10:18, 10:18].any()
    np.testing.assert_array_equal(occluded[:, :10], images[:, :10])
    assert damage(images, "thickness", 1).sum() > images.sum() > damage(images, "thickness", -1).sum()
    assert (damage(images, "scale", 0.5) > 0).sum() < (images > 0).sum()
    noisy = damage(images, "noise", 0.3)
    assert noisy.min() >= 0 and noisy.max() <= 1 and np.array_equal(noisy, damage(images, "noise", 0.3))
    np.testing.assert_array_equal(damage(images, "rotation", 15), warp(images, 15).reshape(-1, 784))  # one warp
    with pytest.raises(AugmentError, match="No damage called 'blur'"):
        damage(images, "blur", 1)


def test_damage_curve_starts_at_the_clean_accuracy_and_falls(splits, pretrained):
    net, X, y = pretrained[0], splits.X_test[:500], splits.y_test[:500]
    clean = accuracy(manual_logits(net, X), y)
    for kind in ("rotation", "occlusion"):
        curve = damage_curve(net, X, y, kind)
        strengths, neutral, _ = DAMAGES[kind]
        assert curve[list(strengths).index(neutral)] == pytest.approx(clean, abs=0.0021)
        assert curve[-1] < clean - 0.05, kind
