"""Read digits from the usual file formats, telling the format by content.

Keras' ``mnist.npz``, the four original IDX files (a folder, or a .zip of them), or Kaggle's
``train.csv``, each optionally gzipped.  Every reader checks what it gets, and anything
wrong becomes one ``DataError`` with a message a person can act on.
"""

import codecs
import csv
import gzip
import io
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from nn.data.dataset import DataError, Dataset

MAX_BYTES = 200_000_000  # all of MNIST in any accepted format is under 110 MB
KEYS = ("x_train", "y_train", "x_test", "y_test")
IDX_FILES = {  # Dataset field -> the name of the original file holding it, unzipped
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
CSV_TEST_FRACTION = 1 / 6  # Kaggle's train.csv has no test set; MNIST keeps 10k of 70k for it
FORMATS = "Keras' mnist.npz, Kaggle's train.csv, or the four MNIST IDX files (a folder or a .zip)"
CHUNK = 1 << 16  # how much of a file is looked at to tell text from binary


def read_dataset(path_or_bytes, filename=None, max_bytes=None) -> Dataset:
    """Read digits from a file, a folder of IDX files, or a file's bytes, telling the format by content.

    Accepts Keras' mnist.npz (x_train may also be (n, 784)), the four IDX files (.gz or not,
    in a folder or a .zip), and Kaggle's train.csv (a seeded 1/6 of its rows becomes the test
    set), each optionally gzipped.  filename names the data in messages and in Dataset.name
    (default: the path's name).  Inputs over max_bytes (default MAX_BYTES), packed or unpacked,
    are refused.
    """
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        name = filename or "The uploaded file"
        data = bytes(path_or_bytes)
        _check_size(len(data), max_bytes, name)
        return _dataset(_parse(data, name, max_bytes), name)
    path = Path(path_or_bytes).expanduser()
    name = filename or path.name
    if path.is_dir():
        names = _idx_names([p.name for p in path.iterdir() if p.is_file()], f"The folder {path}")
        _check_size(sum((path / n).stat().st_size for n in names.values()), max_bytes, f"The folder {path}")
        files = {field: (n, _read_file(path / n, max_bytes)) for field, n in names.items()}
        return _dataset(_read_idx_set(files, max_bytes), name)
    return _dataset(_parse(_read_file(path, max_bytes), name, max_bytes), name)


def _parse(data, name, max_bytes):
    """Return the four raw arrays held in a file's bytes, whatever its format."""
    if not data:
        raise DataError(f"{name} is empty.")
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _read_zip(data, name, max_bytes)
    if data.startswith(b"\x1f\x8b"):
        return _parse(_gunzip(data, name, max_bytes), name, max_bytes)
    if data.startswith(b"\x00\x00\x08"):
        raise DataError(
            f"{name} is a single MNIST IDX file; the four are needed together. "
            "Choose the folder that holds them, or a .zip of them."
        )
    if data.startswith(b"\x93NUMPY"):
        raise DataError(f"{name} is a single NumPy array (.npy); expected an .npz holding {', '.join(KEYS)}.")
    if not _looks_like_text(data[:CHUNK]):
        raise DataError(f"{name} is not a dataset this app can read. Expected {FORMATS}.")
    return _read_csv(data, name)


def _read_zip(data, name, max_bytes):
    """Return the four raw arrays from a zip: an .npz, or an archive of the four IDX files."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as err:  # BadZipFile mostly; a damaged header may also say "version 8.7 not implemented"
        raise DataError(f"{name} is damaged or cut off; download or save it again.") from err
    with archive:
        _check_size(sum(i.file_size for i in archive.infolist()), max_bytes, f"{name} once unpacked")
        names = archive.namelist()
        if any(n.endswith(".npy") for n in names):
            return _read_npz(data, name)
        if not any("idx" in n.lower() for n in names):
            raise DataError(f"{name} is a .zip holding neither mnist.npz's arrays nor IDX files. Expected {FORMATS}.")
        found = _idx_names(names, name)
        try:
            files = {field: (n, archive.read(n)) for field, n in found.items()}
        except Exception as err:  # as in _read_npz: whatever a damaged archive raises
            raise DataError(f"{name} is damaged or cut off; download or save it again.") from err
    return _read_idx_set(files, max_bytes)


def _read_npz(data, name):
    """Return the four raw arrays of a Keras-style .npz, refusing pickled objects."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            keys = npz.files
            arrays = {k: npz[k] for k in KEYS if k in keys}
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise DataError(
                f"{name} holds Python objects (pickled data), which are never loaded because they "
                "can run code. Save the digits as plain number arrays."
            ) from err
        raise DataError(f"{name} is damaged ({err}); download or save it again.") from err
    except Exception as err:  # a damaged file makes np.load raise nearly anything (SyntaxError from a header...)
        raise DataError(f"{name} is damaged or cut off; download or save it again.") from err
    missing = [k for k in KEYS if k not in arrays]
    if missing:
        raise DataError(
            f"{name} has no array '{missing[0]}' (it has: {', '.join(keys) or 'none'}). "
            f"Expected {', '.join(KEYS)}, as in Keras' mnist.npz."
        )
    return arrays


def _idx_names(names, where):
    """Return {field: name} for the four IDX files among names (.gz or not, '.' or '-' before idx)."""
    found = {}
    for n in names:
        base = n.replace("\\", "/").rsplit("/", 1)[-1].lower().removesuffix(".gz").replace(".", "-")
        found.update({field: n for field, stem in IDX_FILES.items() if base == stem})
    missing = [stem + ".gz" for field, stem in IDX_FILES.items() if field not in found]
    if missing:
        raise DataError(
            f"{where} has no {', '.join(missing)}. The four MNIST IDX files are needed: "
            f"{', '.join(s + '.gz' for s in IDX_FILES.values())} (unzipped names work too)."
        )
    return found


def _read_idx_set(files, max_bytes):
    """Return the four arrays from {field: (name, bytes)} of IDX files, gunzipping those that are gzipped."""
    arrays = {}
    for field, (name, data) in files.items():
        if data.startswith(b"\x1f\x8b"):
            data = _gunzip(data, name, max_bytes)
        arrays[field] = _parse_idx(data, name, ndim=3 if field.startswith("x") else 1)
    return arrays


def _parse_idx(data, name, ndim):
    """Return the uint8 array of one IDX file: magic 0x0000 08 ndim, ndim big-endian sizes, the bytes."""
    if len(data) < 4 or not data.startswith(b"\x00\x00\x08"):
        raise DataError(f"{name} is not an MNIST IDX file of bytes (its header is wrong).")
    if data[3] != ndim:
        kind = "images (3 dimensions)" if ndim == 3 else "labels (1 dimension)"
        raise DataError(f"{name} has {data[3]} dimensions; expected {kind}. Are the files' names swapped?")
    start = 4 + 4 * ndim
    if len(data) < start:
        raise DataError(f"{name} is cut off inside its header; download it again.")
    shape = struct.unpack(f">{ndim}I", data[4:start])
    size = int(np.prod(shape))
    if len(data) - start != size:
        raise DataError(
            f"{name} is cut off or damaged: its header announces {size:,} bytes of data "
            f"but it holds {len(data) - start:,}; download it again."
        )
    return np.frombuffer(data, np.uint8, size, start).reshape(shape)


def _looks_like_text(head):
    """Return whether the first bytes of a file read as UTF-8 text without NUL characters."""
    try:
        # An incremental decoder does not fail on a character cut in two at the end of head.
        text = codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        return False
    return "\x00" not in text


def _read_csv(data, name):
    """Return the four raw arrays of a Kaggle-style train.csv, holding out a seeded 1/6 of rows as test."""
    first = data.partition(b"\n")[0].decode("utf-8-sig", errors="replace")
    header = [c.strip().lower() for c in next(csv.reader([first]), [])]
    if "label" not in header:
        if header and all(c.replace(".", "", 1).isdigit() for c in header):
            raise DataError(f"{name} has no header row; expected Kaggle's train.csv layout, label,pixel0,…,pixel783.")
        raise DataError(
            f"{name} has no column 'label'; expected Kaggle's train.csv layout, label,pixel0,…,pixel783 "
            "(Kaggle's test.csv has no labels: use train.csv)."
        )
    pixels = [f"pixel{i}" for i in range(784)]
    missing = [p for p in pixels if p not in header]
    if missing:
        raise DataError(
            f"{name} has no column '{missing[0]}' ({len(missing)} of the 784 pixel columns are missing); "
            "expected label,pixel0,…,pixel783."
        )
    columns = [header.index("label")] + [header.index(p) for p in pixels]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # numpy warns on a header with no rows; we say so below
            # float32 holds every whole number 0..255 exactly, at half float64's memory.
            text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig")  # streamed: no copy of the text
            table = np.loadtxt(text, delimiter=",", skiprows=1, usecols=columns, dtype=np.float32, ndmin=2)
    except ValueError as err:
        raise DataError(f"{name} has a value that is not a number, or a row of the wrong length ({err}).") from err
    if len(table) < 2:
        raise DataError(f"{name} has {len(table)} rows of digits; at least 2 are needed (one to train, one to test).")
    order = np.random.default_rng(0).permutation(len(table))
    n_test = round(len(table) * CSV_TEST_FRACTION) or 1
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    y, x = table[:, 0], table[:, 1:]
    return {"x_train": x[train], "y_train": y[train], "x_test": x[test], "y_test": y[test]}


def _dataset(arrays, name) -> Dataset:
    """Check the four raw arrays and return them as a read-only Dataset (uint8 images, int64 labels)."""
    x_train = _images(arrays["x_train"], "x_train", name)
    x_test = _images(arrays["x_test"], "x_test", name)
    y_train = _labels(arrays["y_train"], "y_train", name, len(x_train))
    y_test = _labels(arrays["y_test"], "y_test", name, len(x_test))
    for a in (x_train, y_train, x_test, y_test):
        a.setflags(write=False)  # shared by every page and run: nobody may change it in place
    return Dataset(x_train, y_train, x_test, y_test, name)


def _images(x, field, name):
    """Return x as uint8 (n, 28, 28), or raise DataError saying what is wrong with it."""
    if x.ndim == 2 and x.shape[1] == 784:
        x = x.reshape(-1, 28, 28)
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise DataError(f"{name}: {field} has shape {x.shape}; expected 28×28 images, (n, 28, 28) or (n, 784).")
    if x.dtype.kind not in "uif":
        raise DataError(f"{name}: {field} holds {x.dtype} values; expected pixel numbers 0..255.")
    if len(x) == 0:
        raise DataError(f"{name}: {field} holds no images.")
    if x.dtype == np.uint8:
        return x
    bad = ~np.isfinite(x) | (x < 0) | (x > 255)
    if bad.any():
        raise DataError(f"{name}: {field} has pixel values outside 0..255 (found {x[bad][0]}); pixels must be 0..255.")
    if (x != np.round(x)).any():
        raise DataError(
            f"{name}: {field} has pixel values that are not whole numbers; MNIST pixels are whole numbers "
            "0..255 (if the file was scaled to 0..1, use the original values)."
        )
    return x.astype(np.uint8)


def _labels(y, field, name, n):
    """Return y as int64 (n,) in 0..9, or raise DataError saying what is wrong with it."""
    if y.ndim != 1 or y.dtype.kind not in "uif":
        raise DataError(f"{name}: {field} has shape {y.shape} and type {y.dtype}; expected one label 0..9 per image.")
    if len(y) != n:
        raise DataError(f"{name}: {field} has {len(y):,} labels for {n:,} images; expected one label per image.")
    bad = ~np.isin(y, np.arange(10))
    if bad.any():
        raise DataError(f"{name}: {field} has labels outside 0..9 (found {y[bad][0]}); labels must be the digits 0..9.")
    return y.astype(np.int64)


def _gunzip(data, name, max_bytes):
    """Return gzipped bytes unpacked, refusing more than max_bytes."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            out = f.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{name} is damaged or cut off ({err}); download or save it again.") from err
    _check_size(len(out), max_bytes, f"{name} once unpacked")
    return out


def _read_file(path, max_bytes):
    """Return a file's bytes, refusing a missing file or one over max_bytes."""
    try:
        _check_size(path.stat().st_size, max_bytes, str(path))
        return path.read_bytes()
    except FileNotFoundError as err:
        raise DataError(f"There is no file at {path}.") from err
    except OSError as err:
        raise DataError(f"Could not read {path} ({err.strerror or err}).") from err


def _check_size(n_bytes, max_bytes, what):
    """Raise DataError if n_bytes is over max_bytes."""
    if n_bytes > max_bytes:
        raise DataError(
            f"{what} is larger than {max_bytes / 1e6:g} MB ({n_bytes / 1e6:,.1f} MB); "
            "every MNIST format is well under that, so this is probably not a digit dataset."
        )
