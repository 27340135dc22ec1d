"""Tests for nn.data: the download (against a local HTTP server), the file formats, splits and the sample."""

import gzip
import hashlib
import os

import numpy as np
import pytest

from nn.data import (
    DataError,
    Dataset,
    cache_dir,
    download_mnist,
    load_dataset,
    make_splits,
    mnist_path,
    normalize,
    read_dataset,
)

PAYLOAD = np.random.default_rng(0).bytes(300_000)  # several download chunks
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """Point the cache at an empty folder of its own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("MNIST_PLAYGROUND_CACHE", str(folder))
    return folder


@pytest.fixture(scope="module")
def digits(sample):
    """Return 50 train and 20 test real MNIST digits (from the bundled sample) in the Keras layout, as uint8."""
    return {
        "x_train": sample.x_train[:50].astype(np.uint8),
        "y_train": sample.y_train[:50].astype(np.uint8),
        "x_test": sample.x_test[:20].astype(np.uint8),
        "y_test": sample.y_test[:20].astype(np.uint8),
    }


def digit_rows(x, y):
    """Return the (image bytes, label) pairs of some digits, sorted, to compare sets of digits in any order."""
    return sorted((img.tobytes(), int(label)) for img, label in zip(x, y, strict=True))


def assert_same(ds, arrays):
    """Assert a Dataset holds exactly the given arrays, as uint8 images and int64 labels."""
    for key, want in arrays.items():
        got = getattr(ds, key)
        assert got.dtype == (np.uint8 if key.startswith("x") else np.int64)
        np.testing.assert_array_equal(got, want)


# --- the download ---------------------------------------------------------------------------


def test_download_fetches_mnist_into_the_cache_then_reuses_it(cache, serve, sample_npz, sample):
    payload, sha = sample_npz  # real MNIST digits in Keras' layout, as the real download is
    server, url = serve(payload)
    path = download_mnist(url, sha256=sha)
    assert path == cache / "mnist.npz" == mnist_path()
    assert path.read_bytes() == payload
    assert download_mnist(url, sha256=sha) == path
    assert server.hits == 1  # the second call found the file and did not download
    ds = load_dataset("mnist")
    assert ds.name == "full MNIST"
    np.testing.assert_array_equal(ds.x_train, sample.x_train)
    np.testing.assert_array_equal(ds.y_test, sample.y_test)


def test_download_replaces_a_cached_file_whose_checksum_is_wrong(cache, serve):
    server, url = serve(PAYLOAD)
    cache.mkdir()
    (cache / "mnist.npz").write_bytes(b"an older, different file")
    assert download_mnist(url, sha256=PAYLOAD_SHA).read_bytes() == PAYLOAD
    assert server.hits == 1


def test_download_reports_progress_up_to_the_total(cache, serve):
    _, url = serve(PAYLOAD)
    calls = []
    download_mnist(url, sha256=PAYLOAD_SHA, progress=lambda done, total: calls.append((done, total)))
    done = [d for d, _ in calls]
    assert len(calls) > 2 and done == sorted(set(done))
    assert {total for _, total in calls} == {len(PAYLOAD)}
    assert calls[-1] == (len(PAYLOAD), len(PAYLOAD))


FAILURES = {
    "truncated": "cut off",
    "corrupted": "checksum mismatch",
    "404": "HTTP 404",
    "refused": "Could not reach 127.0.0.1",
    "stall_headers": "timed out",
    "stall_body": "timed out",
}


@pytest.mark.parametrize("previous", [None, b"a good file from before"])
@pytest.mark.parametrize("failure", list(FAILURES))
def test_failed_download_raises_one_clear_error_and_leaves_no_file(cache, serve, free_port, failure, previous):
    if failure == "refused":
        url = f"http://127.0.0.1:{free_port}/mnist.npz"
    elif failure == "corrupted":
        _, url = serve(PAYLOAD[:-1] + b"\x00")
    else:
        _, url = serve(PAYLOAD, mode=failure)
    if previous:
        cache.mkdir()
        (cache / "mnist.npz").write_bytes(previous)
    with pytest.raises(DataError, match=FAILURES[failure]) as err:
        download_mnist(url, sha256=PAYLOAD_SHA, timeout=0.5)
    assert str(cache / "mnist.npz") in str(err.value)  # says where to put the file by hand
    left = sorted(os.listdir(cache)) if cache.exists() else []
    assert left == (["mnist.npz"] if previous else [])  # no temporary or broken file
    if previous:
        assert (cache / "mnist.npz").read_bytes() == previous


def test_cache_dir_follows_the_env_var_then_xdg_then_home(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_PLAYGROUND_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("MNIST_PLAYGROUND_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "mnist-playground"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "mnist-playground"
    assert mnist_path() == cache_dir() / "mnist.npz"


def test_loading_full_mnist_before_downloading_says_how_to_get_it(cache):
    with pytest.raises(DataError, match="python -m nn download"):
        load_dataset("mnist")


# --- file formats, each written out from real digits of the bundled sample ------------------


def test_keras_npz_reads_back_the_same_digits(digits, tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez_compressed(path, **digits)
    ds = load_dataset(str(path))
    assert ds.name == "mnist.npz"
    assert_same(ds, digits)
    assert_same(read_dataset(path.read_bytes(), "upload.npz"), digits)


def test_npz_with_flat_784_images_is_accepted(digits, files):
    flat = {**digits, "x_train": digits["x_train"].reshape(-1, 784)}
    assert_same(read_dataset(files.npz(**flat), "flat.npz"), digits)


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_reads_back_the_same_digits(digits, files, tmp_path, gz):
    for key, name in files.IDX_NAMES.items():
        data = files.idx(digits[key])
        (tmp_path / (name + ".gz" if gz else name)).write_bytes(gzip.compress(data) if gz else data)
    assert_same(read_dataset(tmp_path), digits)


def test_zip_of_idx_files_reads_back_the_same_digits(digits, files, tmp_path):
    archive = files.zip({f"mnist/{name}.gz": gzip.compress(files.idx(digits[key]))
                         for key, name in files.IDX_NAMES.items()})
    assert_same(read_dataset(archive, "mnist.zip"), digits)
    (tmp_path / "mnist.zip").write_bytes(archive)
    assert_same(load_dataset(str(tmp_path / "mnist.zip")), digits)


def test_kaggle_csv_keeps_every_digit_and_holds_out_a_sixth_as_test(digits, files):
    x = np.concatenate([digits["x_train"], digits["x_test"]])
    y = np.concatenate([digits["y_train"], digits["y_test"]])
    ds = read_dataset(files.csv(x, y), "train.csv")
    assert (len(ds.y_train), len(ds.y_test)) == (58, 12)  # 70 rows, 1/6 of them test
    everything = digit_rows([*ds.x_train, *ds.x_test], [*ds.y_train, *ds.y_test])
    assert everything == digit_rows(x, y)  # every row exactly once, with its own label
    again = read_dataset(files.csv(x, y), "train.csv")
    np.testing.assert_array_equal(again.x_test, ds.x_test)  # the hold-out is seeded


def test_csv_with_label_last_windows_newlines_and_gzip_is_read(digits, files):
    x, y = digits["x_train"][:12], digits["y_train"][:12]
    header = ",".join(f"pixel{i}" for i in range(784)) + ",label"
    ds = read_dataset(gzip.compress(files.csv(x, y, header, "\r\n", label_last=True)), "train.csv.gz")
    assert digit_rows([*ds.x_train, *ds.x_test], [*ds.y_train, *ds.y_test]) == digit_rows(x, y)


def test_dataset_cannot_be_changed_in_place(files):
    ds = read_dataset(files.fake_npz(), "d.npz")
    with pytest.raises(ValueError):
        ds.x_train[0, 0, 0] = 1


def idx_folder(files, folder, drop=None, cut=None):
    """Write the four IDX .gz files of fake digits, leaving one out or cutting one short; return the folder."""
    folder.mkdir()
    for key, name in files.IDX_NAMES.items():
        data = files.idx(files.fake_digits()[key])
        if key != drop:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data[:-5] if key == cut else data))
    return folder


def test_malformed_input_gives_one_plain_error(bad_dataset):
    data, message = bad_dataset
    with pytest.raises(DataError, match=message):
        read_dataset(data, "digits.bin")


def test_too_big_input_is_refused_packed_and_unpacked(files, tmp_path):
    good = files.fake_npz()
    with pytest.raises(DataError, match="larger than"):
        read_dataset(good, "big.npz", max_bytes=1000)
    with pytest.raises(DataError, match="once unpacked is larger than"):
        read_dataset(gzip.compress(bytes(100_000)), "bomb.gz", max_bytes=10_000)
    path = tmp_path / "big.npz"
    path.write_bytes(good)
    with pytest.raises(DataError, match="larger than"):
        load_dataset(str(path), max_bytes=1000)


def test_idx_folder_problems_are_named(files, tmp_path):
    with pytest.raises(DataError, match="no t10k-labels-idx1-ubyte.gz"):
        read_dataset(idx_folder(files, tmp_path / "a", drop="y_test"))
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz is cut off"):
        read_dataset(idx_folder(files, tmp_path / "b", cut="x_train"))


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match="There is no file at"):
        load_dataset(str(tmp_path / "nope.npz"))


# --- scaling and splits ---------------------------------------------------------------------


def test_normalize_gives_float32_784_in_0_1():
    x = np.array([[[0] * 28] * 28, [[255] * 28] * 28], dtype=np.uint8)
    for images in (x, x.reshape(2, 784)):
        X = normalize(images)
        assert X.dtype == np.float32 and X.shape == (2, 784)
        assert X[0].max() == 0 and X[1].min() == 1
    x = np.arange(784, dtype=np.uint8).reshape(1, 28, 28)
    np.testing.assert_array_equal(normalize(x), (x.reshape(1, 784) / np.float32(255)).astype(np.float32))


def test_splits_are_disjoint_sized_and_repeatable(sample):
    s = make_splits(sample, seed=3)
    assert (len(s.y_train), len(s.y_val), len(s.y_test)) == (3667, 333, 1000)
    for X, y in ((s.X_train, s.y_train), (s.X_val, s.y_val), (s.X_test, s.y_test)):
        assert X.dtype == np.float32 and X.shape == (len(y), 784) and X.min() >= 0 and X.max() <= 1
        assert y.dtype == np.int64
    train, val = {r.tobytes() for r in s.X_train}, {r.tobytes() for r in s.X_val}
    assert not train & val
    assert train | val == {r.tobytes() for r in normalize(sample.x_train)}
    again = make_splits(sample, seed=3)
    np.testing.assert_array_equal(again.X_val, s.X_val)
    np.testing.assert_array_equal(again.y_train, s.y_train)
    assert not np.array_equal(make_splits(sample, seed=4).y_train, s.y_train)
    small = make_splits(sample, train_size=500, seed=3)
    assert len(small.y_train) == 500
    np.testing.assert_array_equal(small.X_val, s.X_val)  # limiting training does not move validation


def test_mnist_sized_data_splits_55000_5000_10000():
    # The full MNIST's shape, without its 11 MB: 60,000 training and 10,000 test images.
    blank = np.zeros((70_000, 28, 28), np.uint8)
    ds = Dataset(blank[:60_000], np.zeros(60_000, np.int64), blank[60_000:], np.zeros(10_000, np.int64), "MNIST-sized")
    s = make_splits(ds)
    assert (len(s.y_train), len(s.y_val), len(s.y_test)) == (55000, 5000, 10000)


@pytest.mark.parametrize("kw", [{"val_fraction": 1.0}, {"val_fraction": -0.1}, {"train_size": 0}])
def test_impossible_split_is_refused(sample, kw):
    with pytest.raises(DataError):
        make_splits(sample, **kw)


# --- the bundled sample ---------------------------------------------------------------------


def test_bundled_sample_is_balanced_4000_1000():
    ds = load_dataset("sample")
    assert ds.name == "bundled sample (4,000 train / 1,000 test)"
    assert ds.x_train.shape == (4000, 28, 28) and ds.x_test.shape == (1000, 28, 28)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    assert np.bincount(ds.y_train).tolist() == [400] * 10
    assert np.bincount(ds.y_test).tolist() == [100] * 10
    assert len({r.tobytes() for r in np.concatenate([ds.x_train, ds.x_test])}) == 5000  # no digit twice


def test_bundled_sample_is_real_mnist_with_its_labels(sample, pretrained):
    # The pretrained model learned the full MNIST (assets/README.md): it reads the sample as labelled.
    net, meta = pretrained
    assert meta["data"] == "mnist.npz"
    for x, y in ((sample.x_train, sample.y_train), (sample.x_test, sample.y_test)):
        assert (net.predict(normalize(x)) == y).mean() > 0.98
