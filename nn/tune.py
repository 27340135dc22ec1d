"""Hyperparameter tuning done right: which trials to run, which to stop early, which to pick.

Shared by the command line (``python -m nn tune``, which trains its trials here, in
lockstep) and the Train page's Tune section (``ui.tuning``, whose trials train on the
worker pool).  ``parse`` reads the values a person gave for one setting, ``trials`` turns
them into the trials' settings (a grid, or random draws between the smallest and largest
value, on a log scale where the setting spans decades), ``Halving`` is successive
halving's rule for stopping trials that fall clearly behind, and ``pick`` chooses a
trial on the validation set only.  Not for the test set: the caller scores the picked
trial on it, once.  Not for drawing anything, nor for the training itself (``nn.train``).
"""

import itertools
import math
from dataclasses import replace

import numpy as np

from nn.settings import TrainConfig

# What can be varied, and how a value is read.  hidden: the width of every hidden layer;
# layers: how many hidden layers; the rest are the training settings of the same name.
TUNABLE = {"hidden": int, "layers": int, "lr": float, "l2": float, "dropout": float, "batch_size": int,
           "optimizer": str}
LOG_SCALE = {"hidden", "lr", "l2", "batch_size"}  # random draws spread evenly over decades, when the range allows


def apply(base, choice):
    """Return base (a TrainConfig) with one trial's choice {name: value} put in; ValueError if out of bounds."""
    changes = {k: v for k, v in choice.items() if k not in ("hidden", "layers")}
    if "hidden" in choice or "layers" in choice:
        width = choice.get("hidden", base.hidden[0])
        changes["hidden"] = (width,) * choice.get("layers", len(base.hidden))
    return replace(base, **changes)


def parse(name, text):
    """Return (name, the tuple of values) read from 'a,b,c'; raise ValueError with a plain message if wrong."""
    if name not in TUNABLE:
        raise ValueError(f"cannot vary {name!r}: vary one of {', '.join(TUNABLE)}.")
    kind = TUNABLE[name]
    values = []
    for word in (w.strip() for w in text.split(",")):
        if not word:
            continue
        try:
            value = kind(float(word)) if kind is int and float(word).is_integer() else kind(word)
        except ValueError:
            raise ValueError(f"{name}: {word!r} is not a {'whole number' if kind is int else 'number'}.") from None
        apply(TrainConfig(), {name: value})  # raises the setting's own message if out of bounds
        values.append(value)
    if not values:
        raise ValueError(f"{name}: give at least one value.")
    return name, tuple(dict.fromkeys(values))


def trials(space, draws=0, seed=0):
    """Return the trials' choices [{name: value}]: the grid of space {name: values}, or ``draws`` random draws.

    A random draw takes each number between the smallest and largest value given (on a log
    scale for the settings in LOG_SCALE when the smallest is above 0), and each optimiser
    or layer count among those given.
    """
    names = list(space)
    if not draws:
        return [dict(zip(names, values)) for values in itertools.product(*(space[n] for n in names))]
    rng = np.random.default_rng(seed)
    return [{name: _draw(rng, name, space[name]) for name in names} for _ in range(draws)]


def _draw(rng, name, values):
    """Return one random value of setting name within the values given."""
    if TUNABLE[name] is str or name == "layers" or len(values) == 1:
        return values[rng.integers(len(values))]
    lo, hi = min(values), max(values)
    log = name in LOG_SCALE and lo > 0
    value = math.exp(rng.uniform(math.log(lo), math.log(hi))) if log else rng.uniform(lo, hi)
    return round(value) if TUNABLE[name] is int else float(f"{value:.3g}")


def describe(choice):
    """Return a trial's choice as one line: 'hidden=64 lr=0.001'."""
    return " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in choice.items()) or "defaults"


class Halving:
    """Successive halving's rule: at each rung (an epoch count), a trial goes on only if it is among the best.

    The rungs are epochs // eta, epochs // eta**2, ... (at least 1).  A trial's validation
    accuracy at a rung is compared with every other measured there so far; it is behind when
    it is not in the best 1/eta of them (rounded up), once eta or more have been measured.
    Trials measured in lockstep (the command line) make this the classic synchronous
    successive halving; trials measured as they come (the app) make it the asynchronous one.
    """

    def __init__(self, epochs, eta=2):
        self.eta = eta
        self.rungs = sorted({epochs // eta**k for k in range(1, 32) if epochs // eta**k >= 1})
        self.scores = {rung: {} for rung in self.rungs}  # rung -> {trial: validation accuracy}

    def record(self, rung, trial, val_acc):
        """Note a trial's validation accuracy at a rung (NaN, from a run that blew up, counts as the worst)."""
        self.scores[rung][trial] = -math.inf if math.isnan(val_acc) else val_acc

    def behind(self, rung, trial):
        """Return True if the trial is not among the best 1/eta of the trials measured at this rung."""
        scores = self.scores[rung]
        if len(scores) < self.eta:
            return False
        better = sum(s > scores[trial] for s in scores.values())
        return better >= math.ceil(len(scores) / self.eta)


def pick(val_accs):
    """Return the index of the best validation accuracy (None for trials that did not finish), or None if none did."""
    finished = [(acc, -i) for i, acc in enumerate(val_accs) if acc is not None and not math.isnan(acc)]
    return -max(finished)[1] if finished else None


def run_in_lockstep(trainers, halving=None, done=None):
    """Train every trainer (report_epochs on) rung by rung; stop those behind; return which were stopped early.

    done(i, stopped_at) is called as trial i ends, stopped_at being the rung it fell behind
    at, or None if it trained all its epochs.
    """
    runs = [t.run() for t in trainers]
    alive, stopped = set(range(len(trainers))), set()
    for rung in (halving.rungs if halving else []):
        for i in sorted(alive):
            for m in runs[i]:
                if m["epoch"] >= rung:
                    break
            halving.record(rung, i, trainers[i].history[-1]["val_acc"] if trainers[i].history else math.nan)
        for i in sorted(alive):
            if halving.behind(rung, i):
                alive.discard(i)
                stopped.add(i)
                trainers[i].status = "stopped"
                if done:
                    done(i, rung)
    for i in sorted(alive):
        for _ in runs[i]:
            pass
        if done:
            done(i, None)
    return stopped
