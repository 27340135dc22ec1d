"""Save trained networks to .npz files and load them back, checking everything on the way in.

A model file is a plain NumPy .npz: the parameters (conv1.W, conv1.b, ... for conv layers, then
W1, b1, W2, b2, ...) as float arrays and one entry ``metadata``, a JSON string (a 0-d
unicode array) holding the format version, the architecture (``Network.spec()``), how
inputs are scaled, the dtype, and whatever the caller adds (training settings, metrics,
data name, time).  Nothing is ever unpickled.  A file that is not exactly this raises one
``ModelFileError`` whose message says what is wrong.

Not for datasets (``data.py``) nor for showing models (the UI does that).
"""

import io
import json
import math
import os
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from nn.data import INPUT_SCALE
from nn.network import N_CLASSES, N_INPUT, Network, conv_features
from nn.settings import TrainConfig

FORMAT_VERSION = 1
MAX_BYTES = 64 * 2**20  # the largest net the settings allow is ~32 MB in float64
SAVE_AGAIN = "save or download it again"


class ModelFileError(ValueError):
    """A model file that cannot be loaded; the message says why in plain words."""


def build_metadata(config, metrics: dict, data: str) -> dict:
    """Return the metadata of a trained model: its settings, metrics (NaN as None), data name and time."""
    return {
        "training": config.to_dict(),
        "metrics": {k: _plain(v) for k, v in metrics.items()},
        "data": data,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def save_model(file, net: Network, meta=None):
    """Write net and meta to file (a path, replaced atomically, or a binary file object) as an .npz."""
    info = {**(meta or {}), "format_version": FORMAT_VERSION, "architecture": net.spec(),
            "input_scale": INPUT_SCALE, "dtype": net.dtype.name}
    arrays = {name: p for name, p, _ in net.params()}
    arrays["metadata"] = np.array(json.dumps(info, allow_nan=False))
    if isinstance(file, (str, os.PathLike)):
        write_npz(file, arrays)
    else:
        np.savez(file, **arrays)


def write_npz(path, arrays):
    """Write arrays to an .npz at path atomically: a crash mid-write never leaves half a file."""
    path = Path(path)
    # A temporary file beside the target, renamed over it: a rename within a folder is atomic.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def model_bytes(net: Network, meta=None) -> bytes:
    """Return the .npz bytes save_model would write, e.g. for a download button."""
    buf = io.BytesIO()
    save_model(buf, net, meta)
    return buf.getvalue()


def load_model(file, name=None):
    """Return (Network, metadata dict) from a path, bytes or binary file object; raise ModelFileError if unfit.

    name is how messages call the file (default: its file name).
    """
    data, name = _read(file, name)
    if not data:
        raise ModelFileError(f"{name} is empty.")
    if not data.startswith(b"PK"):
        raise ModelFileError(f"{name} is not a model file: expected an .npz saved by this app.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
        if unpacked > MAX_BYTES:
            raise ModelFileError(f"{name} unpacks to {unpacked / 2**20:.0f} MB; models are at most "
                                 f"{MAX_BYTES / 2**20:.0f} MB.")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            meta = _metadata(npz, name)
            spec = _architecture(meta, name)
            weights = _weights(npz, Network.from_spec(spec), name)
    except ValueError as err:
        if isinstance(err, ModelFileError):
            raise
        if "allow_pickle" in str(err):
            raise ModelFileError(f"{name} holds Python objects, which are never loaded for safety "
                                 "(they could run code). Save the model with this app.") from err
        raise ModelFileError(f"{name} is damaged ({err}); {SAVE_AGAIN}.") from err
    except Exception as err:  # a damaged file makes np.load raise nearly anything (SyntaxError from a header...)
        raise ModelFileError(f"{name} is damaged or cut off; {SAVE_AGAIN}.") from err
    dtype = np.float64 if all(w.dtype == np.float64 for w in weights.values()) else np.float32
    net = Network.from_spec(spec, dtype)
    net.set_weights(weights)
    return net, meta


def _plain(v):
    """Return v as a JSON-ready value: numbers as float (None if not finite), the rest unchanged."""
    if isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_)):
        v = float(v)
        return v if math.isfinite(v) else None
    return v


def _read(file, name):
    """Return (bytes, name for messages) of a path, bytes or file object, refusing anything over MAX_BYTES."""
    too_big = f"is larger than {MAX_BYTES / 2**20:.0f} MB, far more than any model this app makes"
    if isinstance(file, (bytes, bytearray, memoryview)):
        name = name or "The model file"
        data = bytes(file)
    elif isinstance(file, (str, os.PathLike)):
        path = Path(file).expanduser()
        name = name or path.name
        try:
            if path.stat().st_size > MAX_BYTES:
                raise ModelFileError(f"{name} {too_big}.")
            data = path.read_bytes()
        except FileNotFoundError as err:
            raise ModelFileError(f"There is no model file at {path}.") from err
        except IsADirectoryError as err:
            raise ModelFileError(f"{path} is a folder, not a model file.") from err
        except OSError as err:
            raise ModelFileError(f"Could not read {path} ({err.strerror or err}).") from err
    else:
        name = name or Path(getattr(file, "name", "") or "The model file").name
        data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ModelFileError(f"{name} {too_big}.")
    return data, name


def _metadata(npz, name):
    """Return the metadata dict of an open .npz, checking its format version."""
    if "metadata" not in npz.files:
        raise ModelFileError(f"{name} has no 'metadata' entry, so it is not a model saved by this app "
                             "(is it a dataset?).")
    raw = npz["metadata"]
    if raw.ndim == 0 and raw.dtype.kind == "U":
        text = str(raw)
    elif raw.ndim == 1 and raw.dtype == np.uint8:
        text = raw.tobytes().decode("utf-8", errors="replace")
    else:
        raise ModelFileError(f"{name}: its metadata is not a JSON text; {SAVE_AGAIN}.")
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as err:
        raise ModelFileError(f"{name}: its metadata is not valid JSON ({err.msg}); {SAVE_AGAIN}.") from err
    if not isinstance(meta, dict):
        raise ModelFileError(f"{name}: its metadata is not a JSON object; {SAVE_AGAIN}.")
    version = meta.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise ModelFileError(f"{name} has model format version {version!r}; this app reads version "
                             f"{FORMAT_VERSION}. Save it again with this app.")
    if meta.get("input_scale") != INPUT_SCALE:
        raise ModelFileError(f"{name} expects inputs scaled as {meta.get('input_scale')!r}, but this app "
                             f"feeds {INPUT_SCALE!r}, so its predictions would be wrong.")
    return meta


def _architecture(meta, name):
    """Return the architecture (``Network.spec()``) from metadata, within what the settings table allows.

    A file from before conv layers has no ``conv``: it is fully connected.
    """
    arch = meta.get("architecture")
    if not isinstance(arch, dict):
        raise ModelFileError(f"{name}: its metadata does not describe the network's architecture; {SAVE_AGAIN}.")
    sizes, activation = arch.get("sizes"), arch.get("activation")
    init, dropout, conv = arch.get("init", "he"), arch.get("dropout", 0.0), arch.get("conv", [])
    if not (isinstance(sizes, list) and sizes and all(isinstance(s, int) and not isinstance(s, bool) for s in sizes)):
        raise ModelFileError(f"{name}: its layer sizes {sizes!r} are not a list of whole numbers.")
    if not (isinstance(conv, list) and all(isinstance(ck, list) and len(ck) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in ck) for ck in conv)):
        raise ModelFileError(f"{name}: its conv layers {conv!r} are not a list of [channels, kernel] pairs.")
    if not (isinstance(activation, str) and isinstance(init, str)):
        raise ModelFileError(f"{name}: its activation {activation!r} or initialisation {init!r} is not a name.")
    if not isinstance(dropout, (int, float)) or isinstance(dropout, bool):
        raise ModelFileError(f"{name}: its dropout {dropout!r} is not a number.")
    try:
        # The settings table holds the limits of every network this app can build.
        TrainConfig(hidden=tuple(sizes[1:-1]), activation=activation, init=init, dropout=dropout, conv=conv)
    except ValueError as err:
        raise ModelFileError(f"{name} cannot be loaded: {err}") from err
    channels, side = conv_features(conv)
    n_input = channels * side * side
    if sizes[0] != n_input or sizes[-1] != N_CLASSES:
        what = f"{n_input} features from its conv layers" if conv else f"{N_INPUT} inputs"
        raise ModelFileError(f"{name} has layer sizes {sizes}; an MNIST model must start with {what} "
                             f"and end with {N_CLASSES} outputs.")
    return {"sizes": sizes, "activation": activation, "init": init, "dropout": dropout, "conv": conv}


def _weights(npz, net, name):
    """Return {conv1.W: (c, 1, K, K), ..., W1: (n_in, h1), b1: (h1,), ...} from an open .npz.

    Exactly the arrays net has, of its shapes, finite floats.
    """
    shapes = {key: p.shape for key, p, _ in net.params()}
    sizes = net.describe()
    found = set(npz.files) - {"metadata"}
    missing, extra = sorted(set(shapes) - found), sorted(found - set(shapes))
    if missing:
        raise ModelFileError(f"{name} lacks the array(s) {', '.join(missing)} that its layers {sizes} need.")
    if extra:
        raise ModelFileError(f"{name} has array(s) {', '.join(extra)} that its layers {sizes} do not use.")
    weights = {}
    for key, shape in shapes.items():
        w = npz[key]
        if w.shape != shape:
            raise ModelFileError(f"{name}: {key} has shape {w.shape}, but layers {sizes} need {shape}.")
        if w.dtype.kind != "f":
            raise ModelFileError(f"{name}: {key} holds {w.dtype} values; weights must be floating-point numbers.")
        if not np.isfinite(w).all():
            raise ModelFileError(f"{name}: {key} contains NaN or infinite values, so the model cannot predict.")
        weights[key] = w if w.dtype == np.float64 else w.astype(np.float32)
    return weights
