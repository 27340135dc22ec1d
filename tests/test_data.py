"""Tests for nn.data: the download (against a local HTTP server), the file formats, splits and the sample."""

import gzip
import hashlib
import io
import os
import socket
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nn.data import (
    DataError,
    cache_dir,
    download_mnist,
    load_dataset,
    make_splits,
    mnist_path,
    normalize,
    read_dataset,
)

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist.npz"
needs_mnist = pytest.mark.skipif(not MNIST.is_file(), reason=f"needs the full MNIST at {MNIST}")
PAYLOAD = np.random.default_rng(0).bytes(300_000)  # several download chunks
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()
IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
HEADER = "label," + ",".join(f"pixel{i}" for i in range(784))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """Point the cache at an empty folder of its own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("MNIST_PLAYGROUND_CACHE", str(folder))
    return folder


@pytest.fixture(scope="module")
def digits():
    """Return 50 train and 20 test real MNIST digits, straight from the shared file."""
    if not MNIST.is_file():
        pytest.skip(f"needs the full MNIST at {MNIST}")
    with np.load(MNIST) as f:
        return {
            "x_train": f["x_train"][:50],
            "y_train": f["y_train"][:50],
            "x_test": f["x_test"][:20],
            "y_test": f["y_test"][:20],
        }


def fake_digits(n_train=12, n_test=6, seed=0):
    """Return random uint8 images and labels in the Keras layout (for inputs that need no real digits)."""
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test).astype(np.uint8),
    }


def npz_bytes(**arrays):
    """Return arrays saved as an .npz, in memory."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def idx_bytes(a):
    """Return an array as an IDX file: magic 0x0000 08 ndim, big-endian sizes, the uint8 bytes."""
    return struct.pack(">HBB", 0, 8, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape) + a.astype(np.uint8).tobytes()


def csv_bytes(x, y, header=HEADER, newline="\n", label_last=False):
    """Return images and labels as a Kaggle-style train.csv (or with the label as the last column)."""
    rows = [
        [*img.ravel().tolist(), label] if label_last else [label, *img.ravel().tolist()]
        for img, label in zip(x, y, strict=True)
    ]
    return newline.join([header, *(",".join(map(str, row)) for row in rows), ""]).encode()


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


def free_port():
    """Return a local port with nothing listening on it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs_mnist
def test_download_fetches_mnist_into_the_cache_then_reuses_it(cache, serve):
    server, url = serve(MNIST.read_bytes())
    sha = hashlib.sha256(MNIST.read_bytes()).hexdigest()
    path = download_mnist(url, sha256=sha)
    assert path == cache / "mnist.npz" == mnist_path()
    assert path.read_bytes() == MNIST.read_bytes()
    assert download_mnist(url, sha256=sha) == path
    assert server.hits == 1  # the second call found the file and did not download
    ds = load_dataset("mnist")
    assert ds.name == "full MNIST" and ds.x_train.shape == (60000, 28, 28) and ds.y_test.shape == (10000,)


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
def test_failed_download_raises_one_clear_error_and_leaves_no_file(cache, serve, failure, previous):
    if failure == "refused":
        url = f"http://127.0.0.1:{free_port()}/mnist.npz"
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


# --- file formats ---------------------------------------------------------------------------


def test_keras_npz_reads_back_the_same_digits(digits, tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez_compressed(path, **digits)
    ds = load_dataset(str(path))
    assert ds.name == "mnist.npz"
    assert_same(ds, digits)
    assert_same(read_dataset(path.read_bytes(), "upload.npz"), digits)


def test_npz_with_flat_784_images_is_accepted(digits):
    flat = {**digits, "x_train": digits["x_train"].reshape(-1, 784)}
    assert_same(read_dataset(npz_bytes(**flat), "flat.npz"), digits)


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_reads_back_the_same_digits(digits, tmp_path, gz):
    for key, name in IDX_NAMES.items():
        data = idx_bytes(digits[key])
        (tmp_path / (name + ".gz" if gz else name)).write_bytes(gzip.compress(data) if gz else data)
    assert_same(read_dataset(tmp_path), digits)


def test_zip_of_idx_files_reads_back_the_same_digits(digits):
    files = {f"mnist/{name}.gz": gzip.compress(idx_bytes(digits[key])) for key, name in IDX_NAMES.items()}
    assert_same(read_dataset(zip_bytes(files), "mnist.zip"), digits)


def test_kaggle_csv_keeps_every_digit_and_holds_out_a_sixth_as_test(digits):
    x = np.concatenate([digits["x_train"], digits["x_test"]])
    y = np.concatenate([digits["y_train"], digits["y_test"]])
    ds = read_dataset(csv_bytes(x, y), "train.csv")
    assert (len(ds.y_train), len(ds.y_test)) == (58, 12)  # 70 rows, 1/6 of them test
    everything = digit_rows([*ds.x_train, *ds.x_test], [*ds.y_train, *ds.y_test])
    assert everything == digit_rows(x, y)  # every row exactly once, with its own label
    again = read_dataset(csv_bytes(x, y), "train.csv")
    np.testing.assert_array_equal(again.x_test, ds.x_test)  # the hold-out is seeded


def test_csv_with_label_last_windows_newlines_and_gzip_is_read(digits):
    x, y = digits["x_train"][:12], digits["y_train"][:12]
    header = ",".join(f"pixel{i}" for i in range(784)) + ",label"
    ds = read_dataset(gzip.compress(csv_bytes(x, y, header, "\r\n", label_last=True)), "train.csv.gz")
    assert digit_rows([*ds.x_train, *ds.x_test], [*ds.y_train, *ds.y_test]) == digit_rows(x, y)


def test_dataset_cannot_be_changed_in_place():
    ds = read_dataset(npz_bytes(**fake_digits()), "d.npz")
    with pytest.raises(ValueError):
        ds.x_train[0, 0, 0] = 1


def with_(**changes):
    """Return the bytes of an .npz of fake digits with some arrays replaced."""
    return npz_bytes(**{**fake_digits(), **changes})


def idx_folder(folder, drop=None, cut=None):
    """Write the four IDX .gz files of fake digits, leaving one out or cutting one short; return the folder."""
    folder.mkdir()
    for key, name in IDX_NAMES.items():
        data = idx_bytes(fake_digits()[key])
        if key != drop:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data[:-5] if key == cut else data))
    return folder


def zip_bytes(files):
    """Return a .zip holding {name: bytes}, in memory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def npy_bytes(a):
    """Return one array saved as a .npy, in memory."""
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


GOOD_NPZ = npz_bytes(**fake_digits())
FAKE = fake_digits()
BAD_INPUTS = {
    "empty": (b"", "is empty"),
    "random bytes": (np.random.default_rng(1).bytes(5000), "not a dataset"),
    "truncated npz": (GOOD_NPZ[: len(GOOD_NPZ) // 2], "damaged or cut off"),
    "pickled objects": (with_(y_test=np.array([{"a": 1}] * 6, dtype=object)), "pickled"),
    "missing array": (
        npz_bytes(x_train=FAKE["x_train"], y_train=FAKE["y_train"], x_test=FAKE["x_test"]),
        "no array 'y_test'",
    ),
    "wrong image shape": (with_(x_train=np.zeros((12, 27, 27), np.uint8)), r"shape \(12, 27, 27\)"),
    "text pixels": (with_(x_test=np.full((6, 28, 28), "a")), "expected pixel numbers"),
    "pixels over 255": (with_(x_train=np.full((12, 28, 28), 300, np.int16)), "outside 0..255"),
    "pixels scaled to 0..1": (with_(x_train=np.full((12, 28, 28), 0.5)), "not whole numbers"),
    "label 10": (with_(y_train=np.full(12, 10)), r"outside 0\.\.9 \(found 10\)"),
    "negative label": (with_(y_test=np.full(6, -1)), r"outside 0\.\.9"),
    "too few labels": (with_(y_train=np.zeros(11, np.uint8)), "11 labels for 12 images"),
    "no images": (with_(x_test=np.zeros((0, 28, 28), np.uint8), y_test=np.zeros(0)), "holds no images"),
    "single npy": (npy_bytes(FAKE["x_train"]), "single NumPy array"),
    "single idx": (gzip.compress(idx_bytes(FAKE["y_train"])), "single MNIST IDX file"),
    "zip of something else": (zip_bytes({"notes.txt": b"hi"}), "neither"),
    "csv without label": (
        csv_bytes(FAKE["x_train"], FAKE["y_train"], header=HEADER.replace("label", "digit")),
        "no column 'label'",
    ),
    "csv missing pixels": (b"label,pixel0,pixel1\n1,0,0\n", "no column 'pixel2'"),
    "csv without header": (csv_bytes(FAKE["x_train"], FAKE["y_train"])[len(HEADER) + 1 :], "no header row"),
    "csv not numbers": (csv_bytes(FAKE["x_train"], FAKE["y_train"]).replace(b"\n7,", b"\nseven,", 1), "not a number"),
    "csv header only": ((HEADER + "\n").encode(), "0 rows"),
    "csv ragged row": (
        csv_bytes(FAKE["x_train"], FAKE["y_train"]).rstrip(b"\n").rsplit(b",", 1)[0] + b"\n",
        "wrong length",
    ),
    "csv label 12": (csv_bytes(FAKE["x_train"], np.full(12, 12)), r"outside 0\.\.9"),
    "corrupt gzip": (gzip.compress(b"label,pixel0\n" * 100)[:-20], "damaged or cut off"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_malformed_input_gives_one_plain_error(case):
    data, message = BAD_INPUTS[case]
    with pytest.raises(DataError, match=message):
        read_dataset(data, "digits.bin")


def test_too_big_input_is_refused_packed_and_unpacked(tmp_path):
    with pytest.raises(DataError, match="larger than"):
        read_dataset(GOOD_NPZ, "big.npz", max_bytes=1000)
    with pytest.raises(DataError, match="once unpacked is larger than"):
        read_dataset(gzip.compress(bytes(100_000)), "bomb.gz", max_bytes=10_000)
    path = tmp_path / "big.npz"
    path.write_bytes(GOOD_NPZ)
    with pytest.raises(DataError, match="larger than"):
        load_dataset(str(path), max_bytes=1000)


def test_idx_folder_problems_are_named(tmp_path):
    with pytest.raises(DataError, match="no t10k-labels-idx1-ubyte.gz"):
        read_dataset(idx_folder(tmp_path / "a", drop="y_test"))
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz is cut off"):
        read_dataset(idx_folder(tmp_path / "b", cut="x_train"))


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


def test_splits_are_disjoint_sized_and_repeatable():
    ds = load_dataset("sample")
    s = make_splits(ds, seed=3)
    assert (len(s.y_train), len(s.y_val), len(s.y_test)) == (3667, 333, 1000)
    for X, y in ((s.X_train, s.y_train), (s.X_val, s.y_val), (s.X_test, s.y_test)):
        assert X.dtype == np.float32 and X.shape == (len(y), 784) and X.min() >= 0 and X.max() <= 1
        assert y.dtype == np.int64
    train, val = {r.tobytes() for r in s.X_train}, {r.tobytes() for r in s.X_val}
    assert not train & val
    assert train | val == {r.tobytes() for r in normalize(ds.x_train)}
    again = make_splits(ds, seed=3)
    np.testing.assert_array_equal(again.X_val, s.X_val)
    np.testing.assert_array_equal(again.y_train, s.y_train)
    assert not np.array_equal(make_splits(ds, seed=4).y_train, s.y_train)
    small = make_splits(ds, train_size=500, seed=3)
    assert len(small.y_train) == 500
    np.testing.assert_array_equal(small.X_val, s.X_val)  # limiting training does not move validation


@needs_mnist
def test_full_mnist_splits_55000_5000_10000():
    s = make_splits(read_dataset(MNIST))
    assert (len(s.y_train), len(s.y_val), len(s.y_test)) == (55000, 5000, 10000)


@pytest.mark.parametrize("kw", [{"val_fraction": 1.0}, {"val_fraction": -0.1}, {"train_size": 0}])
def test_impossible_split_is_refused(kw):
    with pytest.raises(DataError):
        make_splits(load_dataset("sample"), **kw)


# --- the bundled sample ---------------------------------------------------------------------


def test_bundled_sample_is_balanced_4000_1000():
    ds = load_dataset("sample")
    assert ds.name == "bundled sample (4,000 train / 1,000 test)"
    assert ds.x_train.shape == (4000, 28, 28) and ds.x_test.shape == (1000, 28, 28)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    assert np.bincount(ds.y_train).tolist() == [400] * 10
    assert np.bincount(ds.y_test).tolist() == [100] * 10
    assert len({r.tobytes() for r in np.concatenate([ds.x_train, ds.x_test])}) == 5000  # no digit twice


@needs_mnist
def test_bundled_sample_digits_are_mnist_training_digits_with_their_labels():
    sample = load_dataset("sample")
    with np.load(MNIST) as f:
        train = {img.tobytes(): label for img, label in zip(f["x_train"], f["y_train"], strict=True)}
        test = {img.tobytes() for img in f["x_test"]}
    for x, y in ((sample.x_train, sample.y_train), (sample.x_test, sample.y_test)):
        assert [train.get(img.tobytes()) for img in x] == y.tolist()
        assert not test & {img.tobytes() for img in x}  # so MNIST's test set stays unseen
