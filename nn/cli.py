"""The command line: ``python -m nn {download,train,tune,evaluate}``.

Progress and messages go to stderr; the last line on stdout is one JSON object with the
results, so scripts can read it.  The training options are generated from the settings
table (``nn.settings.SETTINGS``), so they always match the Train page.  Every error is one
line on stderr, never a traceback.  Not for anything the browser app does.
"""

import argparse
import json
import re
import sys
import time
from pathlib import Path

from nn.data import MNIST_SHA256, MNIST_URL, DataError, download_mnist, load_dataset, make_splits, normalize
from nn.digits.augment import transform_for
from nn.files.model_file import ModelFileError, build_metadata, load_model, save_model
from nn.settings import SETTINGS, TrainConfig, display_name
from nn.train import Trainer
from nn.tune import TUNABLE, Halving, apply, describe, parse, pick, run_in_lockstep, trials

EXIT_CODES = """exit codes:
  0  done
  1  the work failed: the download failed, the full MNIST is not downloaded yet, the data could
     not be read, the model could not be saved, or training diverged (the last good weights
     are still saved to --out and the JSON line says "status": "diverged")
  2  the command is wrong: an unknown option, a setting out of bounds, a --data or --model file
     that does not exist, or a --model file that is not a valid model"""
DATA_HELP = "the digits: 'sample' (bundled 5,000), 'mnist' (after `python -m nn download`), or a path " \
            "to mnist.npz, Kaggle's train.csv, or the IDX files (default: sample)"


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, for people and for scripts alike."""

    def error(self, message):
        """Print one line naming the problem and exit with code 2."""
        message = " ".join(str(message).split())
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class ProgressBar:
    """Draw a download's progress on one stderr line: bar, MB done/total, speed, time left."""

    def __init__(self, stream=sys.stderr, width=30, every=0.1):
        self.stream, self.width, self.every = stream, width, every
        self.start, self.drawn, self.last = time.perf_counter(), 0.0, None

    def __call__(self, done, total):
        """Note the progress; redraw at most every ``every`` seconds."""
        self.last = (done, total)
        if time.perf_counter() - self.drawn >= self.every:
            self.draw()

    def draw(self):
        """Write the progress line over the previous one."""
        done, total = self.last
        self.drawn = time.perf_counter()
        speed = done / max(self.drawn - self.start, 1e-9)
        if total:
            filled = round(self.width * min(done / total, 1))
            left = f"{(total - done) / speed:4.0f} s left" if speed else "  ? s left"
            line = f"[{'#' * filled}{'-' * (self.width - filled)}] {done / 1e6:5.1f}/{total / 1e6:.1f} MB"
        else:
            left, line = "", f"[{'?' * self.width}] {done / 1e6:5.1f} MB"
        self.stream.write(f"\r{line}  {speed / 1e6:5.1f} MB/s  {left}")
        self.stream.flush()

    def close(self):
        """Draw the final state and end the line, if anything was downloaded."""
        if self.last:
            self.draw()
            self.stream.write("\n")


def main(argv=None) -> int:
    """Run one subcommand; return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args, args.parser)
    except (DataError, ModelFileError, OSError) as err:
        return fail(f"{args.parser.prog}: error: {err}")
    except KeyboardInterrupt:
        return fail(f"{args.parser.prog}: interrupted.", 130)


def build_parser():
    """Return the parser of ``python -m nn`` with its four subcommands."""
    parser = Parser(prog="python -m nn", description="Get MNIST, train a NumPy network on it, evaluate a saved model.",
                    epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(title="commands", required=True, metavar="{download,train,tune,evaluate}")

    download = command(commands, run_download, "fetch the full MNIST (11 MB) into the cache and check it")
    download.add_argument("--url", default=MNIST_URL, help="where to fetch mnist.npz from (default: %(default)s)")
    download.add_argument("--sha256", default=MNIST_SHA256, type=sha256_hex, metavar="HEX",
                          help="the file's expected SHA-256 (default: the real MNIST's)")

    train = command(commands, run_train, "train a network and print its test accuracy",
                    "test_accuracy, val_accuracy, train_seconds, epochs, train_size, architecture, status")
    add_settings(train)
    train.add_argument("--out", type=Path, metavar="PATH",
                       help="save the trained model here as .npz (default: not saved)")

    tune = command(commands, run_tune, "train one trial per setting tried, pick on the validation set, "
                   "then measure only the picked one on the test set",
                   "trials, best, val_accuracy, test_accuracy of the picked trial, config, data, model")
    add_settings(tune)
    tune.add_argument("--grid", action="append", type=grid_values, default=[], metavar="NAME=V1,V2,...",
                      help=f"values to try for one setting ({', '.join(TUNABLE)}; hidden is every hidden "
                           "layer's width); repeat it for more settings, every combination is tried")
    tune.add_argument("--random", type=int, default=0, metavar="N",
                      help="instead of every combination, N random draws between each setting's smallest and "
                           "largest value (log scale for hidden, lr, l2 and batch_size)")
    tune.add_argument("--halving", action="store_true",
                      help="successive halving: stop the trials in the worse half at epochs/2, epochs/4, ...")
    tune.add_argument("--out", type=Path, metavar="PATH", help="save the picked trial's model here as .npz")

    evaluate = command(commands, run_evaluate, "measure a saved model on the test digits",
                       "test_accuracy, test_loss, n_test")
    evaluate.add_argument("--model", required=True, type=Path, metavar="PATH", help="a model .npz saved by this app")
    return parser


def command(commands, run, summary, results=None):
    """Add the subcommand that run_<name> runs; one with results takes --data and ends stdout with them as JSON."""
    name = run.__name__.removeprefix("run_")
    description = f"{summary[0].upper()}{summary[1:]}."
    if results:
        description += f" Progress goes to stderr; the last line on stdout is JSON\n({results})."
    sub = commands.add_parser(name, help=summary, description=description, epilog=EXIT_CODES,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    if results:
        sub.add_argument("--data", default="sample", help=DATA_HELP)
    sub.set_defaults(run=run, parser=sub)
    return sub


def add_settings(parser):
    """Add one option per field of the settings table, as its declared widget kind says, with help and default."""
    for f in SETTINGS:
        m, default, widget = f.metadata, f.default, f.metadata["widget"]
        flag = "--" + f.name.replace("_", "-")
        bounds = f" [{number(m['lo'])} to {number(m['hi'])}]" if m["lo"] is not None else ""
        if widget == "checkbox":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                                help=f"{m['help']} (default: {'on' if default else 'off'})")
        elif widget == "layers":
            parser.add_argument(flag, action="append", type=int, metavar="WIDTH",
                                help=f"{m['help']} Repeat it for more layers, up to {m['max_count']}{bounds} "
                                     f"(default: {' '.join(map(str, default))})")
        elif widget == "conv_layers":
            parser.add_argument(flag, action="append", type=conv_layer, metavar="C:K",
                                help=f"Add a conv layer: C channels of K×K kernels (stride 1, no padding), the "
                                     f"--activation, then 2×2 max pooling; --hidden layers follow. Repeat it for more, "
                                     f"up to {m['max_count']}; C from {m['lo']} to {m['hi']}, K from "
                                     f"{m['kernels'][0]} to {m['kernels'][1]} (default: none, fully connected). "
                                     f"{m['help']}")
        elif widget == "choice":
            names = "".join(f"; {c} is {display_name(f, c)}" for c in m["choices"] if display_name(f, c) != c)
            parser.add_argument(flag, choices=m["choices"], help=f"{m['help']} (default: {default}{names})")
        else:  # a number, on a slider or not: typed as the table declares the field
            parser.add_argument(flag, type=f.type, metavar="N", help=f"{m['help']}{bounds} (default: {default})")


def config_from(args, parser):
    """Return the TrainConfig of the options given (the table's defaults for the rest); bad values exit with 2."""
    given = {f.name: getattr(args, f.name) for f in SETTINGS if getattr(args, f.name) is not None}
    try:
        return TrainConfig(**given)
    except ValueError as err:
        parser.error(str(err))


def run_download(args, parser):
    """Download and verify the full MNIST into the cache, drawing a progress bar."""
    bar = ProgressBar()
    try:
        path = download_mnist(args.url, sha256=args.sha256, progress=bar)
    finally:
        bar.close()
    print(f"The full MNIST is at {path}." if bar.last else f"The full MNIST was already at {path}.",
          file=sys.stderr)
    print(json.dumps({"path": str(path), "bytes": path.stat().st_size}))
    return 0


def run_train(args, parser):
    """Train a network on the chosen data, print progress per epoch, save it if asked, print JSON results."""
    config = config_from(args, parser)
    if args.out and not args.out.parent.is_dir():
        parser.error(f"--out: there is no folder {args.out.parent} to save the model in.")
    ds = load_dataset(existing(args.data, parser, "--data"))
    splits = make_splits(ds, train_size=config.train_size or None, seed=0)  # seed 0: the Train page's split
    trainer = Trainer(splits, config, report_seconds=None, report_epochs=True, transform=transform_for(config))
    print(f"Training {trainer.net.describe()} ({config.activation}) on {len(trainer.y):,} digits "
          f"from {ds.name}", file=sys.stderr)
    for m in trainer.run():
        print(f"epoch {m['epoch']:>5.4g}/{config.epochs}  train loss {m['train_loss']:.4f}  "
              f"val accuracy {m['val_acc']:7.2%}  {m['seconds']:6.1f} s", file=sys.stderr)
    if trainer.message:
        print(trainer.message, file=sys.stderr)
    test_loss, test_acc = trainer.test()
    last = trainer.history[-1] if trainer.history else {}
    results = {"status": trainer.status, "test_accuracy": test_acc, "test_loss": test_loss,
               "val_accuracy": last.get("val_acc"), "train_seconds": trainer.seconds, "epochs": trainer.epoch,
               "train_size": len(trainer.y), "architecture": trainer.net.spec(), "data": ds.name,
               "model": str(args.out) if args.out else None}
    print(f"Test accuracy {test_acc:.2%} on {len(trainer.y_test):,} digits.", file=sys.stderr)
    return finish(args, trainer, results, 1 if trainer.status == "diverged" else 0)


def run_tune(args, parser):
    """Train a trial per setting tried, pick the best on the validation set, score only it on the test set."""
    base = config_from(args, parser)
    if args.out and not args.out.parent.is_dir():
        parser.error(f"--out: there is no folder {args.out.parent} to save the model in.")
    if args.random < 0:
        parser.error("--random: give a number of draws of 0 or more.")
    space = dict(args.grid)
    try:
        choices = trials(space, args.random, base.seed)
        configs = [apply(base, c) for c in choices]
    except ValueError as err:  # a combination out of bounds, e.g. a width on more layers than allowed
        parser.error(f"--grid: {err}")
    ds = load_dataset(existing(args.data, parser, "--data"))
    splits = make_splits(ds, train_size=base.train_size or None, seed=0)  # seed 0: the Train page's split
    trainers = [Trainer(splits, c, report_seconds=None, report_epochs=True, transform=transform_for(c))
                for c in configs]
    print(f"Tuning: {len(trainers)} trials of {base.epochs} epochs on {len(trainers[0].y):,} digits from {ds.name}"
          f"{', stopping the worse half early' if args.halving else ''}", file=sys.stderr)

    def done(i, stopped_at):
        t = trainers[i]
        val = t.history[-1]["val_acc"] if t.history else float("nan")
        end = f"stopped early at epoch {stopped_at}: behind" if stopped_at else t.status
        print(f"trial {i + 1}/{len(trainers)} {describe(choices[i])}: val accuracy {val:.2%} after "
              f"{t.epoch:g} epochs, {t.seconds:.1f} s ({end})", file=sys.stderr)

    run_in_lockstep(trainers, Halving(base.epochs) if args.halving else None, done)
    rows = [{"settings": c, "val_accuracy": t.history[-1]["val_acc"] if t.history else None, "status": t.status,
             "epochs": t.epoch, "seconds": t.seconds} for c, t in zip(choices, trainers)]
    best = pick([r["val_accuracy"] if r["status"] == "done" else None for r in rows])
    if best is None:
        print(json.dumps({"trials": rows, "best": None, "val_accuracy": None, "test_accuracy": None}))
        return fail("No trial trained to the end: every one blew up. Try smaller learning rates.")
    chosen = trainers[best]
    test_loss, test_acc = chosen.test()  # the only look at the test set
    print(f"Picked trial {best + 1} ({describe(choices[best])}) on the validation set: "
          f"{rows[best]['val_accuracy']:.2%}; its test accuracy {test_acc:.2%} (the test set was used once).",
          file=sys.stderr)
    results = {"trials": rows, "best": choices[best], "val_accuracy": rows[best]["val_accuracy"],
               "test_accuracy": test_acc, "test_loss": test_loss, "config": chosen.config.to_dict(),
               "epochs": chosen.epoch, "train_seconds": chosen.seconds, "data": ds.name,
               "model": str(args.out) if args.out else None}
    return finish(args, chosen, results, 0)


def finish(args, trainer, results, code):
    """Save the trainer's model to --out if given, print results as the JSON line, and return the exit code."""
    if args.out:
        metrics = {k: results[k] for k in ("test_accuracy", "val_accuracy", "epochs", "train_seconds")}
        try:
            save_model(args.out, trainer.net, build_metadata(trainer.config, metrics, results["data"]))
            print(f"Saved the model to {args.out}.", file=sys.stderr)
        except OSError as err:
            results["model"], code = None, fail(f"Could not save the model to {args.out} ({err.strerror or err}).")
    else:
        print("The model was not saved: add --out model.npz to keep it.", file=sys.stderr)
    print(json.dumps(results))
    return code


def run_evaluate(args, parser):
    """Measure a saved model on the test digits and print JSON results."""
    try:
        net, _ = load_model(existing(args.model, parser, "--model"))
    except ModelFileError as err:
        parser.error(str(err))
    ds = load_dataset(existing(args.data, parser, "--data"))
    test_loss, test_acc = net.evaluate(normalize(ds.x_test), ds.y_test)
    print(f"Test accuracy {test_acc:.2%} on {len(ds.y_test):,} digits from {ds.name}.", file=sys.stderr)
    print(json.dumps({"test_accuracy": test_acc, "test_loss": test_loss, "n_test": len(ds.y_test),
                      "data": ds.name, "architecture": net.spec()}))
    return 0


def existing(source, parser, option):
    """Return source unchanged if it is 'sample', 'mnist' or a path that exists; else exit with code 2."""
    if str(source) not in ("sample", "mnist") and not Path(source).expanduser().exists():
        parser.error(f"{option}: there is no file or folder at {source}.")
    return source


def conv_layer(text):
    """Return 'C:K' as (channels, kernel) whole numbers, or raise ArgumentTypeError."""
    match = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"a conv layer is CHANNELS:KERNEL, e.g. 8:5, not {text!r}")
    return int(match[1]), int(match[2])


def grid_values(text):
    """Return (name, values) of one --grid NAME=V1,V2,...; raise ArgumentTypeError with a plain message if wrong."""
    name, sep, values = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"write NAME=V1,V2,..., e.g. hidden=64,128, not {text!r}")
    try:
        return parse(name.strip(), values)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def sha256_hex(text):
    """Return text as a lowercase SHA-256 hex digest, or raise ArgumentTypeError."""
    if not re.fullmatch(r"[0-9a-fA-F]{64}", text):
        raise argparse.ArgumentTypeError(f"a SHA-256 is 64 hexadecimal digits, not {text!r}")
    return text.lower()


def number(v):
    """Return v as help text shows it: whole numbers in full, others in short form (1e-07)."""
    return str(v) if isinstance(v, int) else f"{v:g}"


def fail(message, code=1):
    """Print message as one line on stderr and return code."""
    print(" ".join(message.split()), file=sys.stderr)
    return code
