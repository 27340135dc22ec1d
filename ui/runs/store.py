"""The run folder: checkpoints of every session's runs, so a reload loses nothing.

Each run is one checkpoint file ``<run id>.npz`` in the app's data folder
(``$MNIST_PLAYGROUND_RUNS``, else ``runs`` in the cache folder), and beside it a small
``<run id>.json`` of its numbers (status, history, test accuracy…), written more often and
read without the weights: the class board (``ui.classroom``) reads those.  A browser finds
its runs again by its browser id, kept in the page URL with the run id.  The
folder has a size cap; the oldest files go first.

Several copies of one run may train at once: a reload that lands on another replica
carries the run on from its checkpoint while the copy on the first replica still
trains.  Each placement of a run holds a lease, ``[generation, token]`` in the
checkpoint's extra: its first checkpoint claims the file with a generation one above
the file's, and from then on it writes only while the file holds its own lease or an
older generation's (``save``; a late write of the copy it took over changes nothing).
A copy that finds another lease of its generation or above has been taken over and
stops.  Whoever wrote last survives, so one copy always trains on.

Not for Streamlit calls: the training worker thread writes here.
"""

import json
import os
import re
import tempfile
from pathlib import Path

from nn.data import cache_dir
from nn.files.checkpoint import read_checkpoint, save_checkpoint
from nn.files.model_file import ModelFileError

CAP_BYTES = int(os.environ.get("MNIST_PLAYGROUND_RUNS_CAP_MB", "500")) * 2**20
ID = re.compile(r"[0-9a-f]{6,32}\Z")  # ids come from URLs: nothing else may reach the file system


def folder():
    """Return the run folder, creating it."""
    path = Path(os.environ.get("MNIST_PLAYGROUND_RUNS") or cache_dir() / "runs")
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(run_id):
    """Return the checkpoint path of run_id; raise ValueError for anything that is not a run id."""
    if not ID.match(run_id or ""):
        raise ValueError(f"{run_id!r} is not a run id.")
    return folder() / f"{run_id}.npz"


def save(run_id, trainer, extra, claim=True):
    """Checkpoint a run, then trim the folder to its size cap; return False, writing nothing, if it is taken over.

    With claim=False the run's ``extra["lease"]`` must still hold the file: the file's lease is
    the same, or of an older generation (a late write of the copy that was taken over).
    """
    if not claim:
        held, mine = lease_of(run_id), extra["lease"]
        if held is not None and held != mine and held[0] >= mine[0]:
            return False
    save_checkpoint(path_of(run_id), trainer, extra)
    trim()
    return True


def lease_of(run_id):
    """Return the lease [generation, token] in run_id's checkpoint, or None if it has none."""
    saved = load(run_id, with_arrays=False)
    return saved[1]["extra"].get("lease") if saved else None


def load(run_id, with_arrays=True):
    """Return (arrays, state) of a saved run, or None if there is no such run or it cannot be read."""
    try:
        return read_checkpoint(path_of(run_id), with_arrays)
    except (ValueError, FileNotFoundError, ModelFileError):
        return None


def delete(run_id):
    """Remove a saved run and its numbers, if they are there."""
    path_of(run_id).unlink(missing_ok=True)
    path_of(run_id).with_suffix(".json").unlink(missing_ok=True)


def save_numbers(run_id, numbers):
    """Write a run's numbers (a JSON-ready dict) beside its checkpoint, atomically."""
    write_json(path_of(run_id).with_suffix(".json"), numbers)


def numbers(run_id):
    """Return a run's numbers as last written, or None if there are none (or they cannot be read)."""
    return read_json(path_of(run_id).with_suffix(".json"))


def write_json(path, value):
    """Write value as JSON to path atomically: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(value, out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path):
    """Return the JSON value in path, or None if it is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def runs_of(browser):
    """Return [(run id, state)] of the saved runs of one browser, newest first."""
    found = []
    for path, _, _ in reversed(_by_age(folder().glob("*.npz"))):
        saved = load(path.stem, with_arrays=False)
        if saved and saved[1]["extra"].get("browser") == browser:
            found.append((path.stem, saved[1]))
    return found


def trim(cap=None):
    """Delete the oldest checkpoints until the folder is under the cap (bytes)."""
    cap = CAP_BYTES if cap is None else cap
    files = _by_age(folder().glob("*.npz"))
    total = sum(size for _, _, size in files)
    for path, _, size in files[:-1]:  # never the newest: it is the run being written
        if total <= cap:
            break
        total -= size
        delete(path.stem)


def _by_age(paths):
    """Return [(path, modified, size)] of the files that still exist, oldest first.

    Replicas share the folder: a file another process removes between listing and reading is skipped.
    """
    found = []
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        found.append((path, stat.st_mtime, stat.st_size))
    return sorted(found, key=lambda item: item[1])
