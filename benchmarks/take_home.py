"""Measure "take it home": the exported NumPy script against the engine on the same run.

    python benchmarks/take_home.py                        # 784-128-10, Adam, 10 epochs on the bundled sample
    python benchmarks/take_home.py --data mnist.npz --epochs 3
    python benchmarks/take_home.py --data mnist.npz --conv 6:5 --conv 16:5 --hidden 120 84 --epochs 1  # LeNet-like

Trains the run with the engine (``nn.train.Trainer``, as a worker does), writes the script
(``nn.files.script``), runs it in a fresh Python process on the same file, and prints both test
accuracies and times, and how long writing the script and the notebook takes.  Run it with
OPENBLAS_NUM_THREADS=1 on a small machine.  Not a test: it asserts nothing.
"""

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from nn.cli import conv_layer  # noqa: E402
from nn.data import SAMPLE_PATH, load_dataset, make_splits  # noqa: E402
from nn.files.script import notebook, script  # noqa: E402
from nn.settings import TrainConfig  # noqa: E402
from nn.train import Trainer  # noqa: E402


def main(argv=None):
    """Train with the engine, then with the exported script; print both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SAMPLE_PATH), help="mnist.npz or train.csv (default: the sample)")
    parser.add_argument("--conv", action="append", type=conv_layer, metavar="C:K", help="a conv block (default: none)")
    parser.add_argument("--hidden", type=int, nargs="+", default=[128])
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args(argv)
    config = TrainConfig(conv=tuple(args.conv or ()), hidden=tuple(args.hidden), epochs=args.epochs)
    splits = make_splits(load_dataset(args.data), seed=0)
    trainer = Trainer(splits, config, report_seconds=0)
    start = time.perf_counter()
    for _ in trainer.run():
        pass
    engine_seconds = time.perf_counter() - start
    _, engine_acc = trainer.test()

    start = time.perf_counter()
    for _ in range(20):
        text = script(config)
    script_ms = (time.perf_counter() - start) / 20 * 1000
    start = time.perf_counter()
    book = notebook(config)
    notebook_ms = (time.perf_counter() - start) * 1000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mnist.py"
        path.write_text(text)
        start = time.perf_counter()
        out = subprocess.run([sys.executable, str(path), args.data], capture_output=True, text=True, check=True)
        script_seconds = time.perf_counter() - start
    script_acc = float(re.search(r"test accuracy: ([0-9.]+)", out.stdout).group(1))
    print(f"{trainer.net.describe()} {config.optimizer} {config.epochs} epochs on {splits.name}: "
          f"engine {engine_acc:.2%} in {engine_seconds:.1f} s, script {script_acc:.2%} in {script_seconds:.1f} s "
          f"(difference {abs(script_acc - engine_acc) * 100:.2f} points)")
    print(f"writing the script: {script_ms:.2f} ms ({len(text.splitlines())} lines, {len(text) / 1024:.1f} kB); "
          f"the notebook: {notebook_ms:.2f} ms ({len(book) / 1024:.1f} kB); numpy {np.__version__}")


if __name__ == "__main__":
    main()
