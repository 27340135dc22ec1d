"""Peak memory of one training step, beyond the data: what a run costs a server besides MNIST itself.

    python benchmarks/step_memory.py                       # the CNN of --conv 8:5 --conv 16:5 --hidden 128
    python benchmarks/step_memory.py --batch-size 64 --conv 8:5 --hidden 256

NumPy reports its array allocations to ``tracemalloc``, so the peak it measures over a
few ``Trainer.step`` calls is every array a step makes (batch copy, im2col patches,
activations kept for backward, gradients, Adam's update), with the weights and Adam's
moments counted once as they are made.  The data (the full MNIST as float32, ~180 MB) is
loaded before tracing starts and is not counted.  Not a test: it prints what it measured.
"""

import argparse
import sys
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import FULL_MNIST  # noqa: E402
from nn.cli import conv_layer  # noqa: E402
from nn.data import make_splits, read_dataset  # noqa: E402
from nn.settings import TrainConfig  # noqa: E402
from nn.train import Trainer  # noqa: E402


def main(argv=None):
    """Trace a few training steps and print the peak."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=FULL_MNIST, help="a full mnist.npz (default: %(default)s)")
    parser.add_argument("--conv", action="append", type=conv_layer, metavar="C:K", help="default: 8:5 16:5")
    parser.add_argument("--hidden", action="append", type=int, metavar="WIDTH", help="default: 128")
    parser.add_argument("--batch-size", type=int, default=128, help="default: %(default)s")
    args = parser.parse_args(argv)
    splits = make_splits(read_dataset(args.data), val_fraction=0)
    config = TrainConfig(conv=args.conv or ((8, 5), (16, 5)), hidden=args.hidden or (128,),
                         batch_size=args.batch_size, epochs=1)
    tracemalloc.start()
    trainer = Trainer(splits, config)
    built = tracemalloc.get_traced_memory()[0]
    for _ in range(5):
        trainer.step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{trainer.net.describe()}, batch {config.batch_size}, float32: weights and Adam state "
          f"{built / 2**20:.1f} MB; peak of a training step {peak / 2**20:.1f} MB beyond the data "
          f"({splits.X_train.nbytes / 2**20:.0f} MB of training digits, not counted)")


if __name__ == "__main__":
    main()
