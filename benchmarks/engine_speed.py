"""Time one epoch of the NumPy engine against PyTorch and against its matrix products alone.

    python benchmarks/engine_speed.py                      # full MNIST from ../shared/data/mnist.npz
    python benchmarks/engine_speed.py --data PATH --repeats 7 --threads 1 --models cnn

Two models, each with ReLU, Adam (lr 1e-3), batch 128, float32, on all 60,000 MNIST
training digits: the MLP 784-256-10, and the CNN conv8x5-conv16x5-256-128-10 (two blocks
of a 5×5 'valid' convolution, ReLU and 2×2 max pooling, then dense 256-128-10: the
command line's ``--conv 8:5 --conv 16:5 --hidden 128``).  The contenders, each timed over
one epoch:

- engine: a bare loop over ``Trainer.step`` (shuffled batches, forward, backward, Adam);
- PyTorch: the same model (Conv2d/MaxPool2d/Linear with ReLU, CrossEntropyLoss,
  torch.optim.Adam), its own shuffled batches.  PyTorch is an optional, benchmark-only
  dependency: without it the rows are skipped with a note;
- GEMM bound (MLP only): only the five float32 matrix products of each step (forward x W1
  and h W2, backward dW2, dh and dW1), with NumPy: what no NumPy engine can beat.

They run interleaved, ``--repeats`` times, and the medians are compared, so a shared
machine's drifting speed hits all three alike.  The table gives wall-clock seconds and the
process's CPU seconds: with one thread these are what an idle core would take, even on a busy
machine.  ``--threads`` (default: every core) sets the threads of NumPy's BLAS and of PyTorch:
on a busy machine several threads wait for one another, and ``--threads 1`` measures the code
rather than the queue for the cores.
Not a test: it asserts nothing, it prints a table.
"""

import argparse
import contextlib
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import FULL_MNIST  # noqa: E402  (the standard library only: NumPy waits, see main)

HIDDEN, BATCH, LR = 256, 128, 1e-3
CONV, CONV_HIDDEN = ((8, 5), (16, 5)), 128
MODELS = {"mlp": "MLP 784-256-10", "cnn": "CNN conv8x5-conv16x5-256-128-10"}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def main(argv=None):
    """Time the contenders and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=FULL_MNIST, help="a full mnist.npz (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=5, help="epochs per contender, interleaved (default: 5)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="BLAS and PyTorch threads "
                        "(default: every core, %(default)s)")
    parser.add_argument("--models", choices=["both", *MODELS], default="both", help="which models (default: both)")
    args = parser.parse_args(argv)
    # BLAS libraries read their thread count once, when NumPy (or PyTorch) first loads them:
    # so every import of numpy, torch and nn in this file comes after these lines.
    for name in THREAD_VARIABLES:
        os.environ[name] = str(args.threads)
    from nn.data import make_splits, read_dataset

    splits = make_splits(read_dataset(args.data), val_fraction=0)
    models = list(MODELS) if args.models == "both" else [args.models]
    contenders = {}  # (model, row name) -> epoch function
    for model in models:
        contenders[model, "engine (NumPy)"] = engine_epoch(model)
        if (torch_run := torch_epoch(args.threads, model)) is not None:
            contenders[model, "PyTorch"] = torch_run
    if "mlp" in models:
        contenders["mlp", "GEMM bound (NumPy)"] = gemm_epoch
    print(f"{machine()}, {torch_version()}; {args.threads} thread(s)")
    print(f"ReLU, Adam lr {LR:g}, batch {BATCH}, float32, {len(splits.y_train):,} digits an epoch; "
          f"median of {args.repeats} interleaved epochs each\n")
    for epoch in contenders.values():
        epoch(splits, steps=20)  # warm up: first calls load libraries and fill caches
    seconds = {name: [] for name in contenders}
    for _ in range(args.repeats):
        for name, epoch in contenders.items():
            seconds[name].append(epoch(splits))
    print(table(seconds))
    if not any(name == "PyTorch" for _, name in contenders):
        print("\nPyTorch is not installed, so its column is skipped. It is needed only here: "
              "pip install torch (the CPU build) to compare.")


def timed(work):
    """Return (wall-clock seconds, CPU seconds of this process) that work() took."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def engine_epoch(model):
    """Return a function timing (wall, CPU) seconds of one epoch (or ``steps`` steps) of Trainer.step on model."""

    def epoch(splits, steps=None):
        from nn.digits.augment import transform_for
        from nn.settings import TrainConfig
        from nn.train import Trainer

        shape = {"hidden": (HIDDEN,)} if model == "mlp" else {"hidden": (CONV_HIDDEN,), "conv": CONV}
        config = TrainConfig(**shape, optimizer="adam", lr=LR, batch_size=BATCH, epochs=1)
        trainer = Trainer(splits, config, transform=transform_for(config))

        def work():
            for _ in range(steps or trainer.steps_per_epoch):
                trainer.step()

        return timed(work)

    return epoch


def torch_model(torch, model):
    """Return the PyTorch twin of the engine's model: 'mlp' or 'cnn' (NCHW inputs, as the engine's)."""
    nn = torch.nn
    if model == "mlp":
        return nn.Sequential(nn.Linear(784, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10))
    layers, c_in = [nn.Unflatten(1, (1, 28, 28))], 1
    for c, k in CONV:
        layers += [nn.Conv2d(c_in, c, k), nn.ReLU(), nn.MaxPool2d(2)]
        c_in = c
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(256, CONV_HIDDEN), nn.ReLU(), nn.Linear(CONV_HIDDEN, 10))


def torch_epoch(threads, model_name):
    """Return a function timing (wall, CPU) one epoch of the same model in PyTorch, or None if PyTorch is missing."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)

    def epoch(splits, steps=None):
        X, y = torch.from_numpy(splits.X_train), torch.from_numpy(splits.y_train)
        model = torch_model(torch, model_name)
        optimizer = torch.optim.Adam(model.parameters(), lr=LR)
        loss_fn = torch.nn.CrossEntropyLoss()

        def work():
            order = torch.randperm(len(y))
            for i in range(0, min(len(y), (steps or len(y)) * BATCH), BATCH):
                idx = order[i:i + BATCH]
                optimizer.zero_grad()
                loss_fn(model(X[idx]), y[idx]).backward()
                optimizer.step()

        return timed(work)

    return epoch


def gemm_epoch(splits, steps=None):
    """Return (wall, CPU) seconds of only the engine's matrix products over one epoch (or ``steps`` steps)."""
    import numpy as np

    rng = np.random.default_rng(0)
    W1 = rng.standard_normal((784, HIDDEN), dtype=np.float32) * np.float32(0.05)
    W2 = rng.standard_normal((HIDDEN, 10), dtype=np.float32) * np.float32(0.1)
    X = splits.X_train

    def work():
        for i in range(0, min(len(X), (steps or len(X)) * BATCH), BATCH):
            x = X[i:i + BATCH]
            h = x @ W1
            dz = h @ W2  # stands in for p - y: same shape, and its values do not change a product's time
            _dW2, dh = h.T @ dz, dz @ W2.T
            _dW1 = x.T @ dh

    return timed(work)


def machine():
    """Return one line naming the CPU, its cores, the load now, and the NumPy and BLAS in use."""
    import numpy as np

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError, StopIteration):  # no /proc/cpuinfo outside Linux
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    load = f", load {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (f"{cpu}, {os.cpu_count()} cores{load}; Python {platform.python_version()}, numpy {np.__version__} "
            f"({blas['name']} {blas.get('version', '')})")


def torch_version():
    """Return PyTorch's version, or a note that it is missing."""
    try:
        import torch
    except ImportError:
        return "torch not installed"
    return f"torch {torch.__version__}"


def table(seconds):
    """Return the table of median wall and CPU seconds per epoch, their ratios to PyTorch (same model) and to GEMM."""
    median = {key: [statistics.median(run[k] for run in runs) for k in (0, 1)] for key, runs in seconds.items()}
    lines = [f"{'':35s} {'wall s':>7s} {'× PyTorch':>9s} {'× GEMM':>7s} {'CPU s':>7s} {'× PyTorch':>9s}   "
             "wall s of each run"]
    for (model, name), (wall, cpu) in median.items():
        torch_wall, torch_cpu = median.get((model, "PyTorch"), (None, None))
        vs_torch = (f"{wall / torch_wall:8.2f}×", f"{cpu / torch_cpu:8.2f}×") if torch_wall else (f"{'-':>9s}",) * 2
        gemm = median.get((model, "GEMM bound (NumPy)"))
        vs_gemm = f"{wall / gemm[0]:6.2f}×" if gemm else f"{'-':>7s}"
        runs = " ".join(f"{run[0]:.2f}" for run in seconds[model, name])
        lines.append(f"{MODELS[model][:3] + ' ' + name:35s} {wall:7.2f} {vs_torch[0]} {vs_gemm} "
                     f"{cpu:7.2f} {vs_torch[1]}   {runs}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
