"""The training loop: a step function that returns numbers, and a run that yields them.

``Trainer.step`` does one mini-batch update (or one full-batch iteration, as the
classic notebook does).  ``Trainer.run`` repeats it and yields a metrics dict every
so often; a ``Control`` lets another thread pause, resume, step or stop it
without losing the weights.  A loss that turns NaN or infinite ends the run,
puts back the last good weights and says why.  ``Trainer.state`` and
``Trainer.load_state`` are everything needed to carry a run on elsewhere (a
checkpoint file, ``nn/files/checkpoint.py``).

Not for drawing anything (the command line prints these numbers, the Train page
charts them), nor for varying the digits: a caller that wants augmentation hands
the trainer a ``transform`` (``nn.digits.augment.transform_for``), so the engine
imports no support code.
"""

import math
import threading
import time

import numpy as np

from nn.losses import L2
from nn.network import Network
from nn.optim import OPTIMIZERS
from nn.schedules import SCHEDULES


def _update_ratio(W, before):
    """Return how far the last step moved the weights W against their size: ‖W - before‖ / ‖W‖."""
    return float(np.linalg.norm(W - before) / (np.linalg.norm(W) + 1e-12))


def _dead_shares(activations):
    """Return, per activation that is silent below zero, the share of its units that fired for no input of the batch.

    An activation's last training output a is (n, units) for a dense layer, (n, channels, h, w)
    for a conv block: there a unit is a channel, dead when its whole feature map is silent for
    every digit.  The block pools before its activation (``nn/network.py``), so a is the pooled
    map; a channel that fires anywhere (but in an odd last row or column the pool drops) fires at
    its window's maximum, so it shows there too.
    """
    return [float(1 - (act.a > 0).any(axis=tuple(i for i in range(act.a.ndim) if i != 1)).mean())
            for act in activations if act.silent_below_zero]


class Diverged(Exception):
    """The loss became NaN or infinite."""


class Control:
    """Pause, resume, step and stop a run from another thread."""

    def __init__(self):
        self._cond = threading.Condition()
        self.paused = False
        self.stopped = False
        self._steps_left = 0  # steps allowed while paused, for Step
        self.gap = 0.0  # at least this many seconds between steps (slow motion); 0: as fast as the machine goes
        self._last = -math.inf  # when the last step was let go (time.monotonic)

    def pause(self):
        """Hold the run after its current step, dropping steps a Step asked for and not yet taken."""
        with self._cond:
            self.paused = True
            self._steps_left = 0

    def resume(self):
        """Let a paused run go on."""
        with self._cond:
            self.paused = False
            self._cond.notify_all()

    def step(self, n=1):
        """Let a paused run take n more steps, then hold again."""
        with self._cond:
            self.paused = True
            self._steps_left += n
            self._cond.notify_all()

    def stop(self):
        """End the run after its current step; the weights stay."""
        with self._cond:
            self.stopped = True
            self._cond.notify_all()

    def set_gap(self, seconds):
        """Leave at least this many seconds between steps from now on (0: as fast as the machine goes)."""
        with self._cond:
            self.gap = seconds
            self._cond.notify_all()

    def wait(self):
        """Block while paused, or until the gap since the last step has passed; return False once stopped.

        Steps that Step asked for go at once, gap or not.
        """
        with self._cond:
            while True:
                while self.paused and not self._steps_left and not self.stopped:
                    self.idle()
                    self._cond.wait()
                if self.stopped:
                    return False
                due = self._last + self.gap - time.monotonic()
                if self.paused or due <= 0:
                    break
                self.idle()  # nothing to compute until then: give shared resources back
                self._cond.wait(due)
            self._last = time.monotonic()
            if self.paused:
                self._steps_left -= 1
            return True

    def idle(self):
        """Called when the run starts to hold or to wait out a gap; a subclass gives shared resources back here."""

    @property
    def holding(self):
        """Return True when paused with no steps left to take."""
        return self.paused and not self._steps_left and not self.stopped


class Trainer:
    """One training run of a network on prepared splits (see ``nn.data.make_splits``).

    ``transform(X, rng)``, if given, varies each training batch X (n, 784) float in [0, 1]
    and returns the same shape, drawing its randomness from the trainer's rng so a
    run repeats exactly.  The caller chooses it from the settings
    (``nn.digits.augment.transform_for(config)``).
    """

    def __init__(self, splits, config, net=None, report_seconds=0.5, report_epochs=False, transform=None):
        self.config = config
        self.transform = transform
        n = config.train_size or len(splits.X_train)
        self.X, self.y = splits.X_train[:n], splits.y_train[:n]  # views: the shared data is never copied
        self.X_val, self.y_val = splits.X_val, splits.y_val
        self.X_test, self.y_test = splits.X_test, splits.y_test
        self.net = net or Network.from_config(config)
        self.optimizer = OPTIMIZERS[config.optimizer](self.net.params())
        self.lr = config.lr  # may be changed from another thread while the run goes on
        self.batch = len(self.X) if config.batch_size in (0, None) else min(config.batch_size, len(self.X))
        self.steps_per_epoch = math.ceil(len(self.X) / self.batch)
        self.total_steps = config.epochs * self.steps_per_epoch
        self.l2 = L2(config.l2, len(self.X)) if config.l2 else None
        self.rng = np.random.default_rng(config.seed + 1)
        self.report_seconds, self.report_epochs = report_seconds, report_epochs
        self.step_count, self.seconds = 0, 0.0
        self.history = []
        self.status, self.message = "ready", ""
        self._order = None  # this epoch's shuffled indices; None while every batch is the whole set
        self.start_window()
        self._good, self._good_step = self.net.copy_weights(), 0

    @property
    def epoch(self):
        """Return how many epochs are done, as a float."""
        return self.step_count / self.steps_per_epoch

    def current_lr(self):
        """Return the step size in use now: the base rate times the schedule's factor."""
        return self.lr * SCHEDULES[self.config.schedule](self.step_count / max(self.total_steps, 1))

    def _batch(self):
        """Return the next (X, y) batch, shuffling at the start of each epoch."""
        i = self.step_count % self.steps_per_epoch
        if i == 0:
            self._order = self.rng.permutation(len(self.X)) if self.batch < len(self.X) else None
        if self._order is None:
            X, y = self.X, self.y
        else:
            idx = self._order[i * self.batch:(i + 1) * self.batch]
            X, y = self.X[idx], self.y[idx]
        if self.transform is not None:
            X = self.transform(X, self.rng)
        return X.astype(self.net.dtype, copy=False), y

    def step(self):
        """Run one update on the next batch and return its loss; raise Diverged, changing nothing, if not finite."""
        X, y = self._batch()
        loss, z = self.net.gradients(X, y, self.l2)
        if not math.isfinite(loss):
            raise Diverged(f"The loss became {loss} at step {self.step_count + 1}.")
        self.optimizer.step(self.current_lr())
        self.step_count += 1
        self._since["loss"] += loss * len(y)
        self._since["correct"] += int((z.argmax(axis=1) == y).sum())
        self._since["seen"] += len(y)
        return loss

    def start_window(self):
        """Start a new reporting window: the next ``metrics`` average the training loss and accuracy from here."""
        self._since = {"loss": 0.0, "correct": 0, "seen": 0}

    def metrics(self, before=None):
        """Return the numbers of this moment, changing nothing; ``before`` is the weights before the last step.

        train_loss and train_acc average the steps since ``start_window``; ``before``
        gives the update ratios.  The layers' health is one number per layer: grad_norm
        (‖dW‖) and update_ratio of W1, W2, ..., dead_relu of each hidden layer whose units
        can fall silent; a conv net adds conv_grad_norm, conv_update_ratio and conv_dead_relu
        for conv1, conv2, ... (its kernels, its channels).
        """
        seen = max(self._since["seen"], 1)
        val_loss, val_acc = self.net.evaluate(self.X_val, self.y_val) if len(self.y_val) else (math.nan, math.nan)
        m = {
            "step": self.step_count,
            "epoch": self.epoch,
            "train_loss": self._since["loss"] / seen,
            "train_acc": self._since["correct"] / seen,
            "val_loss": val_loss,
            "val_acc": val_acc,
            "lr": self.current_lr(),
            "seconds": self.seconds,
            "grad_norm": [float(np.linalg.norm(d.dW)) for d in self.net.dense],
            "dead_relu": _dead_shares(self.net.hidden_activations),
        }
        conv = self.net.conv
        if conv:  # keys of their own: W1 stays grad_norm[0] in every run, and a dense run's reports stay as small
            m["conv_grad_norm"] = [float(np.linalg.norm(c.dW)) for c in conv]
            m["conv_dead_relu"] = _dead_shares(self.net.conv_activations)
        if before is not None:
            m["update_ratio"] = [_update_ratio(d.W, before[f"W{i}"]) for i, d in enumerate(self.net.dense, 1)]
            if conv:
                m["conv_update_ratio"] = [_update_ratio(c.W, before[f"conv{i}.W"]) for i, c in enumerate(conv, 1)]
        return m

    def run(self, control=None):
        """Train until the last epoch or a stop, yielding a metrics dict every report; sets status and message."""
        control = control or Control()
        self.status = "running"
        next_report = time.perf_counter() + (self.report_seconds or math.inf)
        while self.step_count < self.total_steps:
            if not control.wait():
                self.status = "stopped"
                return
            start = time.perf_counter()
            report = (start >= next_report or self.step_count + 1 == self.total_steps or control.paused
                      or (self.report_epochs and (self.step_count + 1) % self.steps_per_epoch == 0))
            before = self.net.copy_weights() if report else None
            try:
                self.step()
            except Diverged as e:
                self.net.set_weights(self._good)
                self.status = "diverged"
                self.message = (f"{e} The learning rate may be too high: try {self.lr / 10:g}. "
                                f"The weights are back to the last good ones, from step {self._good_step}.")
                return
            self.seconds += time.perf_counter() - start
            if report:
                start = time.perf_counter()
                m = self.metrics(before)
                self.start_window()
                weights = self.net.copy_weights()
                # The loss is measured before the update, so an update that overflows shows only in the weights.
                finite = all(np.isfinite(w).all() for w in weights.values())
                if finite and math.isfinite(m["val_loss"] if len(self.y_val) else m["train_loss"]):
                    self._good, self._good_step = weights, self.step_count
                self.history.append(m)
                # Measuring is part of the run's time too; it shows in the next report's seconds.
                self.seconds += time.perf_counter() - start
                next_report = time.perf_counter() + (self.report_seconds or math.inf)
                yield m
        self.status = "done"

    def state(self):
        """Return (arrays, values): everything ``load_state`` needs to carry this run on exactly.

        arrays: the parameters by name (``W1``, ``b1``, ...), the optimiser's arrays
        (``opt_...``) and, mid-epoch, the epoch's shuffled ``order``; values: plain
        JSON-ready settings, counters, history and random state.  The arrays are the
        live ones, not copies: save them before the next step.
        """
        arrays = {name: p for name, p, _ in self.net.params()}
        arrays.update({f"opt_{k}": v for k, v in self.optimizer.state().items()})
        if self._order is not None:
            arrays["order"] = self._order
        values = {
            "config": self.config.to_dict(), "step_count": self.step_count, "seconds": self.seconds,
            "history": self.history, "lr": self.lr, "status": self.status, "message": self.message,
            "optimizer_t": self.optimizer.t, "rng": self.rng.bit_generator.state, "window": dict(self._since),
        }
        return arrays, values

    def load_state(self, arrays, values):
        """Carry on from ``state()``'s output, on a trainer built with the same config.

        Raise KeyError or ValueError if the arrays do not fit the network.  The weights it
        starts from count as the last good ones.  ``window`` may be missing (files from
        before it was kept): the reporting window then starts afresh.
        """
        self.net.set_weights(arrays)
        self.optimizer.load_state({k[4:]: v for k, v in arrays.items() if k.startswith("opt_")},
                                  values["optimizer_t"])
        self.step_count, self.seconds = values["step_count"], values["seconds"]
        self.history, self.lr = values["history"], values["lr"]
        self.status, self.message = values["status"], values["message"]
        self.rng.bit_generator.state = values["rng"]
        self._order = arrays.get("order")
        self.start_window()
        self._since.update(values.get("window", {}))
        self._good, self._good_step = self.net.copy_weights(), self.step_count

    def test(self):
        """Return (loss, accuracy) on the test digits."""
        return self.net.evaluate(self.X_test, self.y_test)
