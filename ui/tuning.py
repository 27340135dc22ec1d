"""The app's side of tuning: one study's trials on the worker pool, stopped early or not, and one test score.

A ``Study`` starts its trials as ordinary runs of the session (``RunHandle.start`` with the
browser id, so each is saved and can be opened on every page) but tells them to leave the
test digits alone.  At most ``AT_ONCE`` trials train at a time, so one person's study takes
turns with everyone else's runs instead of crowding them out; ``update`` starts the next
trials and applies successive halving (``nn.tune``).  ``drive`` calls it every second on a
thread of its own until the study ends, so the study goes on when its page is closed; the
page calls it too when it polls, so what it shows is fresh.
Once every trial has ended, only the one with the best validation accuracy is scored on
the test set; ``peek`` works out what scoring every trial would have claimed, for the
page's lesson.  Not for Streamlit calls (``ui/tune_panel.py``) nor for choosing the trials
(``nn.tune``).
"""

import math
import threading

from nn.tune import Halving, apply, describe, pick, trials

AT_ONCE = 2  # trials of one study training at the same time
DRIVE_SECONDS = 1.0  # how often the study's own thread starts and stops trials


class Study:
    """One tuning study: its trials' settings, their runs once started, and the halving rule."""

    def __init__(self, base, space, draws, halving, place, splits):
        """Plan the trials of base (a TrainConfig) over space {name: values}; place(config) starts a run.

        Raises ValueError with a plain message if a combination is out of bounds.
        """
        self.choices = trials(space, draws, base.seed)
        self.configs = [apply(base, c) for c in self.choices]
        self.names = list(space)
        self.halving = Halving(base.epochs) if halving else None
        self.runs = [None] * len(self.configs)  # a RunHandle once the trial has started
        self.stopped_at = {}  # trial -> the rung it fell behind at
        self._place, self._splits = place, splits
        self._test = None  # (trial, test accuracy) once the picked trial is scored
        self._peeked = None
        self._lock = threading.Lock()  # the study's thread and the page both update it
        self._ended = threading.Event()

    def drive(self):
        """Keep the study going on a thread of its own (no Streamlit calls there) until every trial has ended."""
        def loop():
            while not self._ended.wait(DRIVE_SECONDS):
                self.update()
                if not self.running:
                    self._ended.set()

        threading.Thread(target=loop, name="tuning-study", daemon=True).start()

    def update(self):
        """Stop the trials that fell behind at a rung, and start waiting ones while fewer than AT_ONCE train."""
        with self._lock:
            self._update()

    def _update(self):
        """``update`` without the lock."""
        for i, run in enumerate(self.runs):
            if run is not None and run.alive and self.halving and i not in self.stopped_at:
                self._judge(i, run)
        training = sum(run is not None and run.alive for run in self.runs)
        for i, run in enumerate(self.runs):
            if run is None and training < AT_ONCE:
                self.runs[i] = self._place(self.configs[i])
                training += 1

    def _judge(self, i, run):
        """Record the trial's validation accuracy at each rung it has passed; stop it if it is behind."""
        for rung in self.halving.rungs:
            reached = next((m for m in run.history if m["epoch"] >= rung), None)
            if reached is None:
                return
            if i not in self.halving.scores[rung]:
                self.halving.record(rung, i, reached["val_acc"])
                if self.halving.behind(rung, i):
                    self.stopped_at[i] = rung
                    run.stop()
                    return

    @property
    def running(self):
        """Return True until every trial has started and ended."""
        return any(run is None or run.alive for run in self.runs)

    def val_acc(self, i):
        """Return trial i's latest validation accuracy, or None before its first report."""
        run = self.runs[i]
        return run.history[-1]["val_acc"] if run is not None and run.history else None

    def rows(self):
        """Return one flat row per trial for the table: its settings, status, validation accuracy and time."""
        rows = []
        for i, (choice, run) in enumerate(zip(self.choices, self.runs)):
            status = "waiting" if run is None else run.status
            if i in self.stopped_at:
                status = f"stopped early (behind at epoch {self.stopped_at[i]})"
            rows.append({"trial": i + 1, **choice, "status": status,
                         "epochs": None if run is None else round(run.epoch, 2), "val acc": self.val_acc(i),
                         "seconds": None if run is None else round(run.seconds, 1),
                         "run": "" if run is None else run.id[:6]})
        return rows

    def best_so_far(self):
        """Return the trial with the best validation accuracy reported so far, or None."""
        return pick([self.val_acc(i) for i in range(len(self.runs))])

    def chosen(self):
        """Return the trial picked on the validation set once every trial has ended (None before, or if none did)."""
        if self.running:
            return None
        return pick([self.val_acc(i) if run.status == "done" and i not in self.stopped_at else None
                     for i, run in enumerate(self.runs)])

    def settings_of(self, i):
        """Return trial i's settings as one line."""
        return describe(self.choices[i])

    def test_acc(self):
        """Return the picked trial's test accuracy, scoring it on the test set the first time: the only time."""
        i = self.chosen()
        if i is None:
            return None
        if self._test is None:
            self._test = (i, self._score(i))
        return self._test[1]

    def peek(self):
        """Return (trial, test accuracy) of the best test accuracy over every trial: what peeking would claim."""
        if self._peeked is None:
            scores = [self._score(i) if run.history else -math.inf for i, run in enumerate(self.runs)]
            best = max(range(len(scores)), key=scores.__getitem__)
            self._peeked = (best, scores[best])
        return self._peeked

    def _score(self, i):
        """Return trial i's accuracy on the test digits."""
        splits = self._splits
        return self.runs[i].net.evaluate(splits.X_test, splits.y_test)[1]
