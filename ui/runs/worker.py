"""What runs in a worker process: one training run, driven by a thread, checkpointed as it goes.

The web server never trains.  ``ui.runs.pool`` places each run as a ``RunActor`` on a
worker process of the cluster (a local pool that the app starts itself, or a Dask
cluster named by ``$PLAYGROUND_CLUSTER``), and the page reads the run's numbers through
``ui.runs.handle.RunHandle``.  Inside a worker, a ``Run`` is a ``Trainer`` with its
``Control`` and the thread that drives it; the runs of one worker take turns on its one
core through that worker's ``Scheduler``, so twenty runs on two workers all move.  Each
worker loads a dataset once and every run on it shares those arrays.  The checkpoint of
every run owned by a browser is written to the shared run folder every few seconds, so a
reload, a closed tab or a dead worker loses at most that much.  When a run is carried on
elsewhere from its checkpoint (a reload that landed on another replica), the copy left
behind finds out at its next checkpoint, from the lease in the file (``ui.runs.store``),
and stops without writing.  Nothing here calls Streamlit.
"""

import logging
import os
import threading
import time

from distributed import WorkerPlugin

from nn.data import DataError, load_dataset, make_splits
from nn.digits.augment import transform_for
from nn.explain.scorecard import confusion_matrix
from nn.files.checkpoint import restore_trainer
from nn.network import Network
from nn.settings import TrainConfig
from nn.train import Trainer
from ui.runs import store
from ui.runs.scheduler import ScheduledControl, Scheduler

REPORT_SECONDS = 0.5  # the charts' refresh: fast enough to look live, rare enough to cost little
# Slow motion: a run spread over the seconds asked for, reported more often so its chart has 100+ points,
# and never held below this many steps a second (so a tiny run does not crawl).
SLOW_REPORT_SECONDS = 0.2
SLOW_MIN_STEPS_PER_SECOND = 20
# How often a live run is checkpointed: at most this much training is lost in a crash.
SAVE_SECONDS = float(os.environ.get("PLAYGROUND_SAVE_SECONDS", "5"))
NUMBERS_SECONDS = 1.0  # how often its numbers (no weights) are written for the class board, which redraws every 2 s
WORKER_NICE = int(os.environ.get("PLAYGROUND_WORKER_NICE", "5"))  # below the web process, which serves pages

SCHEDULER = Scheduler(1)  # one run computes at a time in a worker: each worker process has a core of its own
_DATA = {}  # dataset name -> splits, loaded once per worker process and shared by its runs
_DATA_LOCK = threading.Lock()
log = logging.getLogger(__name__)


def splits_of(source):
    """Return the splits of a named dataset, loaded once in this process and shared by its runs.

    A run whose data this worker cannot read (an upload, or the full MNIST missing here)
    trains on the bundled sample instead.
    """
    source = source if source in ("sample", "mnist") else "sample"
    with _DATA_LOCK:
        if source not in _DATA:
            try:
                _DATA[source] = make_splits(load_dataset(source), seed=0)
            except DataError:
                _DATA[source] = make_splits(load_dataset("sample"), seed=0)
        return _DATA[source]


class Run:
    """One run: a Trainer, its Control and the thread that drives it."""

    def __init__(self, run_id, splits, config, net=None, data_name="", data_source="sample", browser=None,
                 scheduler=SCHEDULER, trainer=None, created=None, measure_test=True):
        self.id = run_id
        self.measure_test = measure_test  # False for tuning trials: only the one picked is scored, afterwards
        self.data_name, self.data_source = data_name, data_source
        self.browser = browser  # whose run this is; None: not checkpointed
        self.trainer = trainer or Trainer(splits, config, net, report_seconds=REPORT_SECONDS,
                                          transform=transform_for(config))
        self.control = ScheduledControl(scheduler)
        self.test_loss = self.test_acc = None
        self.confusion = None  # (10, 10) counts on the test digits, once measured
        self.error = ""
        self.created = created or time.time()
        self.paced = None  # the seconds asked for in slow motion, kept in the checkpoint; None: full speed
        self.lease = None  # [generation, token] once this placement has claimed the run's checkpoint (ui.runs.store)
        self.taken_over = False  # another placement carries the run on: this copy has stopped
        self._thread = None

    def pace(self, seconds):
        """Spread the run over about seconds (slow motion, see SLOW_MIN_STEPS_PER_SECOND); None: full speed."""
        t = self.trainer
        self.paced = seconds
        gap = min(1 / SLOW_MIN_STEPS_PER_SECOND, seconds / max(t.total_steps, 1)) if seconds else 0.0
        t.report_seconds = SLOW_REPORT_SECONDS if seconds else REPORT_SECONDS
        self.control.set_gap(gap)

    @property
    def config(self):
        """Return the run's settings."""
        return self.trainer.config

    def start(self, paused=False):
        """Start the training thread; with paused=True it waits for Step or Resume."""
        if paused:
            self.control.pause()
        self._thread = threading.Thread(target=self._work, name=f"run-{self.id}", daemon=True)
        self._thread.start()

    def _work(self):
        """Drive the trainer to its end, checkpointing as it goes, then measure the test accuracy if asked.

        A copy that another placement has taken over ends at its next checkpoint, measuring nothing.
        """
        try:
            if self.save():  # at once: a tab closed straight after Start still finds its run from a plain link
                self._train()
        except Exception as e:  # a run must not die silently: the page shows what went wrong
            self.trainer.status, self.error = "failed", f"Training failed: {e}"
        finally:
            self.control.release()
            self.save(ended=True)

    def _train(self):
        """Iterate the trainer, checkpointing every SAVE_SECONDS, until it ends or the run is taken over.

        Between checkpoints the run's numbers (no weights) are written every NUMBERS_SECONDS, for the class board.
        """
        saved = told = time.monotonic()
        for _ in self.trainer.run(self.control):
            if time.monotonic() - saved > SAVE_SECONDS:
                if not self.save():
                    return
                saved = told = time.monotonic()
            elif time.monotonic() - told > NUMBERS_SECONDS and self.browser is not None:
                if store.lease_of(self.id) != self.lease and not self.save():  # carried on elsewhere: this copy
                    return  # stops, and leaves the numbers to the copy that carries the run on
                store.save_numbers(self.id, self.numbers())
                told = time.monotonic()
        if self.measure_test:
            self.measure()

    def measure(self):
        """Measure the test loss, accuracy and confusion matrix (what the class board sums)."""
        t = self.trainer
        self.test_loss, self.test_acc = t.test()
        self.confusion = confusion_matrix(t.y_test, t.net.predict(t.X_test)).tolist()

    def numbers(self):
        """Return the run's numbers for the run folder: its snapshot, settings, size, test confusion, and its
        validation curve as two lists (the board reads thirty of these every 2 s: no full history)."""
        snap = self.snapshot()
        history = snap.pop("history")
        curve = {"epoch": [round(m["epoch"], 4) for m in history], "val_acc": [round(m["val_acc"], 4) for m in history]}
        return {**snap, "queued_ahead": None, "config": self.config.to_dict(), "curve": curve,
                "weights": sum(p.size for _, p, _ in self.trainer.net.params()),
                "created": self.created, "confusion": self.confusion}

    def save(self, ended=False):
        """Checkpoint the run, and its numbers, if it belongs to a browser; return False once it is taken over.

        ended: the training thread's last save, made while it is still alive; its numbers say how the run
        ended (done, stopped…), not "finishing", as the class board reads them.

        The first checkpoint of this placement claims the run with a lease one generation above
        the file's; a later one that finds another placement's lease of that generation or above
        writes nothing, and this copy stops (as ``stopped``).
        """
        if self.browser is None or self.taken_over:
            return not self.taken_over
        claim = self.lease is None
        if claim:
            held = store.lease_of(self.id)
            self.lease = [held[0] + 1 if held else 0, os.urandom(8).hex()]
        extra = {"browser": self.browser, "data_source": self.data_source, "data_name": self.data_name,
                 "test_acc": self.test_acc, "test_loss": self.test_loss, "created": self.created,
                 "steps_per_epoch": self.trainer.steps_per_epoch, "total_steps": self.trainer.total_steps,
                 "measure_test": self.measure_test, "pace": self.paced, "lease": self.lease,
                 "confusion": self.confusion}
        if store.save(self.id, self.trainer, extra, claim=claim):
            numbers = self.numbers()
            if ended:
                numbers.update(status=self.trainer.status, alive=False)
            store.save_numbers(self.id, numbers)
            return True
        self.taken_over = True
        self.trainer.status = "stopped"
        log.warning("Run %s was carried on by another placement from its checkpoint: this copy (process %d) stops "
                    "at step %d.", self.id, os.getpid(), self.trainer.step_count)
        return False

    @classmethod
    def restore(cls, run_id, scheduler=SCHEDULER):
        """Return run run_id rebuilt from its checkpoint, or None if there is no readable one."""
        saved = store.load(run_id)
        if saved is None:
            return None
        arrays, state = saved
        extra = state["extra"]
        splits = splits_of(extra["data_source"])
        config = TrainConfig.from_dict(state["config"])
        trainer = restore_trainer(splits, arrays, state, report_seconds=REPORT_SECONDS, transform=transform_for(config))
        run = cls(run_id, splits, config, data_name=extra["data_name"], data_source=extra["data_source"],
                  browser=extra["browser"], scheduler=scheduler, trainer=trainer, created=extra["created"],
                  measure_test=extra.get("measure_test", True))
        run.test_acc, run.test_loss = extra["test_acc"], extra["test_loss"]
        run.confusion = extra.get("confusion")
        run.pace(extra.get("pace"))  # slow motion stays slow on the worker that carries the run on
        return run

    def join(self, timeout=None):
        """Wait for the training thread to end."""
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self):
        """Return True while the training thread is running, paused or queued."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def unfinished(self):
        """Return True for a restored run that was cut off mid-training and can carry on."""
        return not self.alive and self.trainer.status in ("ready", "running")

    @property
    def status(self):
        """Return one of ready, queued, running, paused, done, stopped, diverged, failed, finishing."""
        if self.alive and self.trainer.status in ("ready", "running"):
            if self.control.queued_behind() is not None:
                return "queued"
            return "paused" if self.control.holding else "running"
        if self.alive:
            return "finishing"  # ended, measuring the test accuracy
        return self.trainer.status

    def snapshot(self, since=0):
        """Return the run's numbers now, with the metrics reported after the first ``since``, as plain values."""
        t = self.trainer
        return {
            "status": self.status, "alive": self.alive,
            "step": t.step_count, "total_steps": t.total_steps, "steps_per_epoch": t.steps_per_epoch,
            "seconds": t.seconds, "lr": t.lr, "message": t.message, "error": self.error,
            "test_acc": self.test_acc, "test_loss": self.test_loss, "paused": self.control.paused,
            "queued_ahead": self.control.queued_behind(), "history": t.history[since:],
        }


class LowerPriority(WorkerPlugin):
    """Every worker process runs at a lower CPU priority than the web server, which must stay quick.

    own_session: the workers are the app's own pool, on the web server's machine (see ``background_session``).
    """

    name = "playground-lower-priority"
    idempotent = True

    def __init__(self, own_session=False):
        self.own_session = own_session

    def setup(self, worker):
        """Lower this worker process's priority by WORKER_NICE below the one it started with (a restarted worker
        gets it again).  Relative, since a worker starts with the web server's own niceness: a server started
        with ``nice`` keeps its workers below it too."""
        nice = min(19, os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICE)
        os.setpriority(os.PRIO_PROCESS, 0, nice)
        if self.own_session:
            background_session(nice)


def background_session(nice):
    """Move this process to a session of its own whose autogroup has niceness nice (Linux; else nothing).

    Linux shares the CPU first between autogroups, one per session, and only then by niceness
    within each: a worker's niceness alone puts it below the web process, in the same session,
    but level with every other session on the machine.  On a presenter's laptop that serves the
    room, the room's training would take half the cores from the presenter's own browser.  In a
    session of its own at this niceness, training takes what the rest of the machine leaves,
    and still all of it when nothing else wants it.  The worker still ends with the web
    process: Dask's worker exits when the pipe from its parent closes.
    """
    try:
        os.setsid()
        with open("/proc/self/autogroup", "w") as autogroup:  # absent without the kernel's autogroups
            autogroup.write(str(nice))
    except OSError:  # already a session leader, or no autogroups: the niceness above still holds
        pass


class RunActor:
    """One run as an actor of the cluster: every method is a quick call; the training is the Run's thread.

    Created by ``ui.runs.pool``: fresh (``weights`` to continue from, ``data`` for uploaded
    splits, ``measure_test=False`` for a tuning trial) or, with ``restore=True``, from the run's checkpoint.
    """

    def __init__(self, run_id, config=None, data_source="sample", data_name="", browser=None, weights=None,
                 data=None, restore=False, measure_test=True, pace=None):
        if restore:
            self.run = Run.restore(run_id)
            if self.run is None:
                raise LookupError(f"Run {run_id} has no readable checkpoint.")
            return
        config = TrainConfig.from_dict(config)
        splits = data if data is not None else splits_of(data_source)
        net = None
        if weights is not None:  # continue from an uploaded model: its weights replace the random start
            net = Network.from_config(config)
            net.set_weights(weights)
        self.run = Run(run_id, splits, config, net, data_name=data_name, data_source=data_source, browser=browser,
                       measure_test=measure_test)
        self.run.pace(pace)

    def start(self, paused=False):
        """Start training (held at once with paused=True, for Step); return the first snapshot."""
        self.run.start(paused)
        return self.run.snapshot()

    def carry_on(self, since=0):
        """Start a restored run that was cut off mid-training; return a snapshot (see ``Run.snapshot``)."""
        if self.run.unfinished:
            self.run.start()
        return self.run.snapshot(since)

    def pause(self):
        """Hold the run after its current step."""
        self.run.control.pause()

    def resume(self):
        """Let a paused run go on."""
        self.run.control.resume()

    def step(self, n=1):
        """Run n more steps, then hold."""
        self.run.control.step(n)

    def stop(self):
        """End the run; the weights stay and the test accuracy is measured."""
        self.run.control.stop()

    def set_lr(self, lr):
        """Change the base learning rate from the next step on."""
        self.run.trainer.lr = lr

    def pace(self, seconds):
        """Spread the rest of the run over about seconds (slow motion); None: full speed."""
        self.run.pace(seconds)

    def snapshot(self, since=0):
        """Return the run's numbers (see ``Run.snapshot``)."""
        return self.run.snapshot(since)

    def weights(self, unless_step=None):
        """Return (step, {name: array}) of the network now, or (step, None) if it is still at ``unless_step``."""
        t = self.run.trainer
        step = t.step_count
        return step, (None if step == unless_step else t.net.copy_weights())

    def where(self):
        """Return the process id of the worker holding this run (for tests and the benchmark)."""
        return os.getpid()
