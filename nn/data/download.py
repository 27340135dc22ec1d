"""The full MNIST: downloaded once into a per-user cache, checked by SHA-256, with progress.

Not for reading the file (``formats.py``).
"""

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from nn.data.dataset import DataError

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_BYTES = 11_490_434
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
CHUNK = 1 << 16


def cache_dir() -> Path:
    """Return the cache folder: $MNIST_PLAYGROUND_CACHE, else ($XDG_CACHE_HOME or ~/.cache)/mnist-playground."""
    if os.environ.get("MNIST_PLAYGROUND_CACHE"):
        return Path(os.environ["MNIST_PLAYGROUND_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says to ignore a relative path.
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "mnist-playground"


def mnist_path() -> Path:
    """Return where the full MNIST is expected: cache_dir()/mnist.npz."""
    return cache_dir() / "mnist.npz"


def download_mnist(url=MNIST_URL, dest=None, sha256=MNIST_SHA256, progress=None, timeout=30.0) -> Path:
    """Download url to dest (default mnist_path()) unless a file with that SHA-256 is there; return dest.

    progress(done_bytes, total_bytes_or_None) is called after each chunk.  The bytes go to a
    temporary file beside dest, which replaces dest only once its checksum matches, so a
    failed download leaves neither a broken file nor an earlier good one destroyed.
    """
    dest = Path(dest) if dest is not None else mnist_path()
    if dest.is_file() and _sha256_of(dest) == sha256:
        return dest
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    except OSError as err:
        raise DataError(
            f"Could not write to {dest.parent} ({err.strerror or err}). "
            "Set MNIST_PLAYGROUND_CACHE to a folder you can write to."
        ) from err
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            # The checksum names the file, so its size is known even if the server sends no Content-Length.
            total = MNIST_BYTES if sha256 == MNIST_SHA256 else None
            digest = _stream(url, out, progress, timeout, total, dest)
        if digest != sha256:
            raise DataError(
                "The download was corrupted (checksum mismatch). Run it again; if it keeps failing, "
                f"get mnist.npz another way and put it at {dest}, or use the bundled sample."
            )
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def _stream(url, out, progress, timeout, total, dest) -> str:
    """Copy url's body into the open file out in chunks; return its SHA-256 hex digest."""
    host = urllib.parse.urlsplit(url).hostname or url
    fallback = f"The bundled sample still works; or put mnist.npz at {dest}."
    slow = f"The download from {host} timed out after {timeout:g} s (slow or no network?). Try again. {fallback}"
    digest = hashlib.sha256()
    done = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            length = response.headers.get("Content-Length", "")
            total = int(length) if length.isdigit() else total
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    except urllib.error.HTTPError as err:
        message = f"{host} answered HTTP {err.code} ({err.reason}) for {url}. Try again later. {fallback}"
        raise DataError(message) from err
    except urllib.error.URLError as err:
        if isinstance(err.reason, TimeoutError):
            raise DataError(slow) from err
        raise DataError(f"Could not reach {host} (no network?). {fallback}") from err
    except TimeoutError as err:
        raise DataError(slow) from err
    except (OSError, http.client.HTTPException) as err:
        raise DataError(f"The download from {host} failed ({err}). Try again. {fallback}") from err
    # urllib does not complain when the server closes early, so compare with what it announced.
    if length.isdigit() and done < int(length):
        raise DataError(
            f"The download was cut off after {done:,} of {int(length):,} bytes. "
            f"Check your connection and try again. {fallback}"
        )
    return digest.hexdigest()


def _sha256_of(path) -> str:
    """Return the SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
