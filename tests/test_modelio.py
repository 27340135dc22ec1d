"""Model files: a saved model comes back identical, and every kind of bad file gets one plain ModelFileError."""

import io
import json
from pathlib import Path

import numpy as np
import pytest

from nn.files.model_file import MAX_BYTES, ModelFileError, build_metadata, load_model, model_bytes, save_model
from nn.network import Network
from nn.settings import TrainConfig

X = np.random.default_rng(0).random((20, 784), dtype=np.float32)
ASSETS = Path(__file__).resolve().parents[1] / "assets"


@pytest.fixture(scope="module")
def net():
    return Network(hidden=(32, 16), activation="tanh", init="xavier", dropout=0.2, seed=3)


def metadata_with(files, net, **changes):
    """Return a model's metadata array with some keys changed."""
    meta = json.loads(str(files.model_arrays(net)["metadata"]))
    meta.update(changes)
    return np.array(json.dumps(meta))


def assert_refused(data, *words):
    """Assert loading data raises ModelFileError whose message mentions every word."""
    with pytest.raises(ModelFileError) as info:
        load_model(data)
    message = str(info.value).lower()
    for word in words:
        assert word.lower() in message, message


def test_round_trip_keeps_predictions_and_metadata(net, tmp_path):
    config = TrainConfig(hidden=(32, 16), activation="tanh", epochs=2)
    meta = build_metadata(config, {"test_acc": np.float32(0.875), "val_acc": float("nan")}, "bundled sample")
    path = tmp_path / "model.npz"
    save_model(path, net, meta)
    loaded, got = load_model(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert loaded.spec() == net.spec()
    assert got["training"] == config.to_dict()
    assert got["metrics"] == {"test_acc": 0.875, "val_acc": None}
    assert got["data"] == "bundled sample" and got["created"].startswith("20")
    assert got["format_version"] == 1 and got["input_scale"] == "x/255" and got["dtype"] == "float32"
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temporary file left behind


def test_metadata_is_plain_json_text_not_an_object_array(net):
    with np.load(io.BytesIO(model_bytes(net)), allow_pickle=False) as npz:
        assert npz["metadata"].dtype.kind == "U" and npz["metadata"].ndim == 0


def test_bytes_and_file_objects_load_like_paths(net):
    data = model_bytes(net, {"data": "x"})
    from_bytes, meta = load_model(data)
    from_file, _ = load_model(io.BytesIO(data))
    np.testing.assert_array_equal(from_bytes.predict(X), from_file.predict(X))
    assert meta["data"] == "x"


def test_float64_round_trip():
    net64 = Network(hidden=(8,), dtype=np.float64, seed=1)
    loaded, meta = load_model(model_bytes(net64))
    assert loaded.dtype == np.float64 and meta["dtype"] == "float64"
    np.testing.assert_array_equal(loaded.dense[0].W, net64.dense[0].W)


def test_float16_weights_are_read_as_float32(net, files):
    data = files.npz(**{k: v.astype(np.float16) if k != "metadata" else v for k, v in files.model_arrays(net).items()})
    loaded, _ = load_model(data)
    assert loaded.dtype == np.float32


def test_failed_load_leaves_the_previous_model_as_it_was(net, files):
    model, _ = load_model(model_bytes(net))
    before = model.predict_proba(X)
    with pytest.raises(ModelFileError):
        load_model(files.npz(**files.model_arrays(net, W1=np.zeros((784, 32), np.float32) + np.nan)))
    np.testing.assert_array_equal(model.predict_proba(X), before)


def test_empty_file_is_refused():
    assert_refused(b"", "empty")


def test_random_bytes_are_refused():
    assert_refused(np.random.default_rng(0).bytes(5000), "not a model file")


def test_truncated_file_is_refused(net):
    data = model_bytes(net)
    assert_refused(data[: len(data) // 2], "damaged or cut off")


def test_pickled_objects_are_never_loaded(net, files):
    arrays = files.model_arrays(net, W1=np.array([{"evil": 1}], dtype=object))
    assert_refused(files.npz(**arrays), "python objects", "never loaded")


def test_dataset_file_is_not_a_model(files):
    assert_refused(files.npz(x_train=np.zeros((2, 28, 28), np.uint8)), "no 'metadata'")


def test_bad_json_is_refused(net, files):
    assert_refused(files.npz(**files.model_arrays(net, metadata=np.array("{not json"))), "not valid json")


def test_metadata_must_be_text(net, files):
    assert_refused(files.npz(**files.model_arrays(net, metadata=np.arange(3.0))), "metadata is not a json text")


def test_unknown_format_version_is_refused(net, files):
    metadata = metadata_with(files, net, format_version=2)
    assert_refused(files.npz(**files.model_arrays(net, metadata=metadata)), "version 2")


def test_other_input_scaling_is_refused(net, files):
    data = files.npz(**files.model_arrays(net, metadata=metadata_with(files, net, input_scale="(x-128)/128")))
    assert_refused(data, "scaled as", "(x-128)/128")


def test_unknown_activation_is_refused(net, files):
    arch = {**net.spec(), "activation": "swish"}
    data = files.npz(**files.model_arrays(net, metadata=metadata_with(files, net, architecture=arch)))
    assert_refused(data, "activation", "swish")


@pytest.mark.parametrize("sizes, words", [
    ([100, 32, 16, 10], ["784 inputs"]),
    ([784, 32, 16, 9], ["10 outputs"]),
    ([784, 5000, 10], ["between 1 and 1024", "5000"]),
    ([784, 0, 10], ["between 1 and 1024"]),
    ([784, 10], ["between 1 and 4 layers"]),
    ([784, 32.5, 10], ["whole numbers"]),
])
def test_layer_sizes_out_of_bounds_are_refused(net, sizes, words, files):
    arch = {**net.spec(), "sizes": sizes}
    assert_refused(files.npz(**files.model_arrays(net, metadata=metadata_with(files, net, architecture=arch))), *words)


def test_missing_array_is_refused(net, files):
    assert_refused(files.npz(**files.model_arrays(net, b2=None)), "lacks", "b2")


def test_extra_array_is_refused(net, files):
    assert_refused(files.npz(**files.model_arrays(net, W9=np.zeros(3, np.float32))), "W9", "do not use")


def test_wrong_shape_is_refused(net, files):
    assert_refused(files.npz(**files.model_arrays(net, W2=np.zeros((32, 17), np.float32))), "W2", "shape")


def test_integer_weights_are_refused(net, files):
    assert_refused(files.npz(**files.model_arrays(net, b1=np.zeros(32, np.int64))), "b1", "floating-point")


def test_nan_and_inf_weights_are_refused(net, files):
    W3 = files.model_arrays(net)["W3"].copy()
    W3[0, 0] = np.inf
    assert_refused(files.npz(**files.model_arrays(net, W3=W3)), "W3", "nan or infinite")


def test_oversized_file_is_refused(tmp_path):
    big = tmp_path / "big.npz"
    with open(big, "wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: costs no disk
    assert_refused(big, "larger than 64 MB")


def test_missing_path_is_refused(tmp_path):
    assert_refused(tmp_path / "nope.npz", "no model file")


def test_the_bundled_convolutional_model_is_the_one_assets_readme_describes(splits):
    path = ASSETS / "pretrained_conv.npz"
    net, meta = load_model(path)
    assert net.conv and meta["training"]["augment"] and meta["data"] == "mnist.npz"  # augmented, full MNIST
    assert meta["metrics"]["test_accuracy"] >= 0.994  # as measured by `python -m nn train` on MNIST's test set
    assert path.stat().st_size < 3_000_000  # a few MB at most: it ships with the app
    _, acc = net.evaluate(splits.X_test, splits.y_test)
    assert acc >= 0.99  # it reads the bundled sample's test digits as labelled (they are MNIST training digits)
