"""Fine-tuning learns a person's digits without forgetting MNIST; the digit set saves in MNIST's layout."""

import io

import numpy as np
import pytest

from nn.data import read_dataset
from nn.digits.augment import warp
from nn.digits.finetune import DigitsError, MyDigits, finetune
from nn.settings import TrainConfig
from nn.train import Trainer


@pytest.fixture(scope="module")
def trained(splits):
    """Return (net, splits): a small net trained on the bundled sample."""
    trainer = Trainer(splits, TrainConfig(hidden=(64,), epochs=10, seed=0), report_seconds=0)
    for _ in trainer.run():
        pass
    return trainer.net, splits


def misread(net, splits, k=6):
    """Return k of the person's digits, uint8 (k, 28, 28), and labels, that the net reads wrong.

    Test digits drawn slanted, small and low in the box, as a person might: a style MNIST rarely has.
    """
    images = np.round(warp(splits.X_test[:300], angle=35, scale=0.7, dx=3, dy=4) * 255).astype(np.uint8)
    wrong = np.flatnonzero(net.predict(images.reshape(-1, 784) / 255) != splits.y_test[:300])
    assert len(wrong) >= k, "the style should fool the small net often enough to pick digits from"
    return images[wrong[:k]], splits.y_test[wrong[:k]]


def test_user_digits_are_learned_and_mnist_is_not_forgotten(trained):
    net, splits = trained
    x, y = misread(net, splits)
    before = net.copy_weights()
    _, acc_before = net.evaluate(splits.X_test, splits.y_test)
    tuned = finetune(net, x, y, splits.X_train, splits.y_train)
    assert (tuned.predict(x.reshape(-1, 784) / 255) == y).all()
    _, acc_after = tuned.evaluate(splits.X_test, splits.y_test)
    assert acc_after >= acc_before - 0.01
    for name, w in net.copy_weights().items():  # the shared model is left as it was
        np.testing.assert_array_equal(w, before[name])


def test_finetuning_without_digits_says_what_to_do(trained):
    net, splits = trained
    with pytest.raises(DigitsError, match="at least one digit"):
        finetune(net, np.zeros((0, 28, 28), np.uint8), [], splits.X_train, splits.y_train)


def test_digit_set_downloads_in_mnist_layout_and_loads_back():
    mine = MyDigits()
    a, b = np.zeros((28, 28)), np.zeros(784)
    a[5:20, 12:15] = 1.0
    b[300:320] = 0.5
    mine.add(a, 1)
    mine.add(b, 7)
    mine.add(a, 4)
    mine.remove(-1)
    with np.load(io.BytesIO(mine.npz()), allow_pickle=False) as f:
        assert sorted(f.files) == ["x_test", "x_train", "y_test", "y_train"]
        assert f["x_train"].dtype == np.uint8 and f["x_train"].shape == (2, 28, 28)
        assert f["y_train"].dtype == np.uint8 and f["y_train"].tolist() == [1, 7]
        assert f["x_train"][0, 10, 13] == 255 and f["x_train"][1].reshape(-1)[310] == 128
    ds = read_dataset(mine.npz(), "my_digits.npz")  # the app's own dataset upload accepts it
    assert ds.y_train.tolist() == [1, 7] and len(ds.x_test) == 2


@pytest.mark.parametrize("image, label, message", [
    (np.zeros((20, 20)), 3, "28×28"),
    (np.zeros((28, 28)), 10, "0 to 9"),
    (np.zeros((28, 28)), 2.5, "0 to 9"),
])
def test_bad_digits_are_refused_with_a_plain_message(image, label, message):
    with pytest.raises(DigitsError, match=message):
        MyDigits().add(image, label)
