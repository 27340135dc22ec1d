"""Get MNIST digits into memory: download, read the usual file formats, split, scale.

Three sources: the bundled 5,000-digit sample (``assets/mnist_sample.npz``, always there),
the full MNIST (downloaded once into a per-user cache), or a file the user has: Keras'
``mnist.npz``, the four original IDX files (a folder, or a .zip of them), or Kaggle's
``train.csv``.  Every reader checks what it gets, and anything wrong becomes one
``DataError`` with a message a person can act on.

Datasets keep images as uint8 (n, 28, 28) and labels as int64 (n,).  ``normalize`` is the
one place model input is defined: float32 (n, 784) = x/255.

Not for augmentation or drawn digits (``nn.digits``).
"""

from dataclasses import replace
from pathlib import Path

from nn.data.dataset import INPUT_SCALE, DataError, Dataset, Splits, make_splits, normalize
from nn.data.download import MNIST_SHA256, MNIST_URL, cache_dir, download_mnist, mnist_path
from nn.data.formats import read_dataset

SAMPLE_PATH = Path(__file__).resolve().parents[2] / "assets" / "mnist_sample.npz"

__all__ = ["INPUT_SCALE", "MNIST_SHA256", "MNIST_URL", "SAMPLE_PATH", "DataError", "Dataset", "Splits", "cache_dir",
           "download_mnist", "load_dataset", "make_splits", "mnist_path", "normalize", "read_dataset"]


def load_dataset(source: str, **kw) -> Dataset:
    """Return the digits named by source: "sample", "mnist" (the downloaded full MNIST) or a path.

    kw go to read_dataset (for example max_bytes).
    """
    if source == "sample":
        ds = read_dataset(SAMPLE_PATH, **kw)
        return replace(ds, name=f"bundled sample ({len(ds.y_train):,} train / {len(ds.y_test):,} test)")
    if source == "mnist":
        path = mnist_path()
        if not path.is_file():
            raise DataError(
                "The full MNIST is not downloaded yet. Run `python -m nn download` or use the "
                f"bundled sample; or put mnist.npz at {path}."
            )
        return replace(read_dataset(path, **kw), name="full MNIST")
    return read_dataset(source, **kw)
