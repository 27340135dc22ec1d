"""A training run of one browser session, computed on a worker thread.

The page script never trains: it starts a ``Run`` and later reads its numbers
(``history``, ``progress``, ``status``), which the worker thread keeps up to
date.  The worker also checkpoints the run to the run folder every few seconds,
so a reload or a closed tab loses nothing (``Run.restore``).  The worker never
calls Streamlit.  Not for charts (``ui.figures``).
"""

import threading
import time
import uuid
import weakref

from nn.files.checkpoint import restore_trainer
from nn.files.model_file import build_metadata
from nn.settings import TrainConfig
from nn.train import Trainer
from ui import store
from ui.scheduler import ScheduledControl, Scheduler

SCHEDULER = Scheduler()
LIVE = weakref.WeakValueDictionary()  # run id -> Run, for every run object in this server process
REPORT_SECONDS = 0.5  # the charts' refresh: fast enough to look live, rare enough to cost little
SAVE_SECONDS = 5.0  # how often a live run is checkpointed: at most this much training is lost in a crash


class Run:
    """One run: a Trainer, its Control and the thread that drives it."""

    def __init__(self, splits, config, net=None, data_name="", scheduler=SCHEDULER, report_seconds=REPORT_SECONDS,
                 data_source="sample", browser=None, trainer=None):
        self.id = uuid.uuid4().hex[:12]
        self.data_name, self.data_source = data_name, data_source
        self.browser = browser  # whose run this is; None: not checkpointed
        self.continued = net is not None  # started from given weights, not the config's random ones
        self.trainer = trainer or Trainer(splits, config, net, report_seconds=report_seconds)
        self.control = ScheduledControl(scheduler)
        LIVE[self.id] = self
        self.test_loss = self.test_acc = None
        self.error = ""
        self.created = time.time()
        self._thread = None

    @property
    def config(self):
        """Return the run's settings."""
        return self.trainer.config

    @property
    def net(self):
        """Return the network being trained (live: other pages read it as it learns)."""
        return self.trainer.net

    @property
    def history(self):
        """Return the metrics reported so far, oldest first."""
        return self.trainer.history

    def start(self, paused=False):
        """Start the worker thread; with paused=True it waits for Step or Resume."""
        if paused:
            self.control.pause()
        self._thread = threading.Thread(target=self._work, name=f"run-{self.id}", daemon=True)
        self._thread.start()

    def _work(self):
        """Drive the trainer to its end, checkpointing as it goes, then measure the test accuracy."""
        try:
            saved = time.monotonic()
            for _ in self.trainer.run(self.control):
                if time.monotonic() - saved > SAVE_SECONDS:
                    self.save()
                    saved = time.monotonic()
            self.test_loss, self.test_acc = self.trainer.test()
        except Exception as e:  # a worker must not die silently: the page shows what went wrong
            self.trainer.status, self.error = "failed", f"Training failed: {e}"
        finally:
            self.control.release()
            self.save()

    def save(self):
        """Checkpoint the run to the run folder, if it belongs to a browser."""
        if self.browser is not None:
            store.save(self.id, self.trainer, {"browser": self.browser, "data_source": self.data_source,
                                               "data_name": self.data_name, "test_acc": self.test_acc,
                                               "test_loss": self.test_loss, "created": self.created})

    @classmethod
    def restore(cls, run_id, splits_of):
        """Return run run_id: the live one if this server still has it (a reload), else from its checkpoint, or None.

        ``splits_of(source)`` gives the data of a restored run.
        """
        if run_id in LIVE:
            return LIVE[run_id]
        saved = store.load(run_id)
        if saved is None:
            return None
        arrays, state = saved
        extra = state["extra"]
        splits = splits_of(extra["data_source"])
        run = cls(splits, TrainConfig.from_dict(state["config"]), data_name=extra["data_name"],
                  data_source=extra["data_source"], browser=extra["browser"],
                  trainer=restore_trainer(splits, arrays, state, report_seconds=REPORT_SECONDS))
        del LIVE[run.id]
        run.id, run.created = run_id, extra["created"]
        LIVE[run.id] = run
        run.test_acc, run.test_loss = extra["test_acc"], extra["test_loss"]
        return run

    @property
    def unfinished(self):
        """Return True for a restored run that was cut off mid-training and can carry on."""
        return not self.alive and self.trainer.status in ("ready", "running")

    def pause(self):
        """Hold the run after its current step."""
        self.control.pause()

    def resume(self):
        """Let a paused run go on."""
        self.control.resume()

    def step(self, n=1):
        """Run n more steps, then hold."""
        self.control.step(n)

    def stop(self):
        """End the run; the weights stay and the test accuracy is measured."""
        self.control.stop()

    def set_lr(self, lr):
        """Change the base learning rate from now on."""
        self.trainer.lr = lr

    def join(self, timeout=None):
        """Wait for the worker thread to end."""
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self):
        """Return True while the worker thread is running, paused or queued."""
        return self._thread is not None and self._thread.is_alive()

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

    def progress(self):
        """Return (share done in [0, 1], seconds left estimated from the speed so far, or None)."""
        t = self.trainer
        done = t.step_count / max(t.total_steps, 1)
        if not t.step_count:
            return done, None
        return done, t.seconds / t.step_count * (t.total_steps - t.step_count)

    def metadata(self):
        """Return the model-file metadata of the run's network as it is now."""
        last = self.history[-1] if self.history else {}
        metrics = {"test_accuracy": self.test_acc, "val_accuracy": last.get("val_acc"),
                   "epochs": self.trainer.epoch, "train_seconds": self.trainer.seconds}
        return build_metadata(self.config, metrics, f"trained in the playground on {self.data_name}")

    def summary(self):
        """Return the run's settings and results as one flat row, for the table of runs."""
        last = self.history[-1] if self.history else {}
        c = self.config
        return {
            "run": self.id[:6], "status": self.status, "data": self.data_name,
            "layers": "-".join(map(str, self.net.sizes)), "activation": c.activation, "optimiser": c.optimizer,
            "lr": c.lr, "batch": c.batch_size, "epochs": c.epochs,
            "val acc": last.get("val_acc"), "test acc": self.test_acc, "seconds": round(self.trainer.seconds, 1),
        }
