"""The web server's side of a run: a handle that steers it and reads its numbers from its worker.

A page never trains and never waits on training: ``RunHandle.start`` places the run on a
worker process (``ui.runs.pool``), the buttons send quick calls (pause, step, …), and the
page reads a snapshot of the run's numbers, fetched at most every ``FRESH_SECONDS`` however
many times a script asks.  The network is copied over only when its step has changed.
Once a run has ended, the handle keeps its last numbers and weights and lets the actor go.

If the worker holding a run dies (killed, out of memory), the handle puts the run back on
a worker from its last checkpoint and says so; a run with no checkpoint says plainly that
it stopped.  Not for Streamlit calls: pages reach runs through ``ui.session``.
"""

import math
import threading
import time
import uuid

from nn.files.model_file import build_metadata
from nn.network import Network
from nn.settings import TrainConfig
from ui.runs import pool, store

FRESH_SECONDS = 0.25  # numbers this recent are reused: a script run asks for them many times
# run id -> handle of every run of this web process still on a worker.  Held strongly: a run must
# stay reachable (a reload reattaches to it) after the tab that started it is gone, and its actor
# lives as long as a handle holds it.  A handle leaves once its run has ended (``_forget_ended``).
LIVE = {}
ENDED = ("done", "stopped", "diverged", "failed")
RECOVER_SECONDS = 30.0  # how long a run whose worker died keeps trying to find another


class NoWorker(RuntimeError):
    """No worker process could take a new run in time; the message says what to do."""


class RunHandle:
    """One run as the pages see it: its settings, its numbers, its network, and its buttons."""

    def __init__(self, run_id, config, data_name, data_source, browser, continued=False, created=None):
        self.id = run_id
        self.config = config
        self.data_name, self.data_source, self.browser = data_name, data_source, browser
        self.continued = continued  # started from given weights, not the config's random ones
        self.created = created or time.time()
        self.notice = ""  # said once something happened to the run that the page should tell
        self._actor = None
        self._lock = threading.RLock()
        self._snap = {"status": "ready", "alive": False, "step": 0, "total_steps": 0, "steps_per_epoch": 1,
                      "seconds": 0.0, "lr": config.lr, "message": "", "error": "", "test_acc": None,
                      "test_loss": None, "paused": False, "queued_ahead": None}
        self._history = []
        self._read_at = -math.inf
        self._net, self._net_step, self._weights_at = None, None, -math.inf

    # --- making one ---------------------------------------------------------------------------

    @classmethod
    def start(cls, config, data_source="sample", data_name="", browser=None, weights=None, data=None, paused=False,
              measure_test=True, pace=None):
        """Place a new run on a worker and start it (held at once with paused=True); return its handle.

        ``weights`` are a network's parameters to continue from; ``data`` uploaded splits
        (they go to the cluster once); ``measure_test=False`` leaves the test digits alone
        when the run ends (a tuning trial: only the one picked is scored, by ``ui.tuning``);
        ``pace`` the seconds to spread the run over (None: full speed).
        """
        _forget_ended()
        run = cls(uuid.uuid4().hex[:12], config, data_name, data_source, browser, continued=weights is not None)
        try:
            run._actor = pool.place(run.id, config=config.to_dict(), data_source=data_source, data_name=data_name,
                                    browser=browser, weights=weights,
                                    data=None if data is None else pool.scatter(data),
                                    measure_test=measure_test, pace=pace)
        except TimeoutError as err:
            raise NoWorker(f"No worker could take the run within {pool.CALL_SECONDS:.0f} s: the training pool is "
                           "down or restarting. Try again in a moment; the presenter can check the server.") from err
        LIVE[run.id] = run
        run._took(run._actor.start(paused).result(pool.CALL_SECONDS))
        return run

    @classmethod
    def open(cls, run_id):
        """Return run run_id: this server's handle if it has one, else rebuilt from its checkpoint, or None.

        A run cut off mid-training goes back on a worker and carries on; an ended one is
        read from its checkpoint alone.  A handle here whose run was taken over by another
        replica has ended (``ui.runs.store``): the run is taken back from its checkpoint.
        """
        held = LIVE.get(run_id)
        if held is not None and held.alive:
            return held
        saved = store.load(run_id)
        if saved is None:
            return None
        arrays, state = saved
        extra = state["extra"]
        try:
            config = TrainConfig.from_dict(state["config"])
        except (TypeError, ValueError):
            return None
        run = cls(run_id, config, extra["data_name"], extra["data_source"], extra["browser"], created=extra["created"])
        run._history = state["history"]
        run._snap.update(status=state["status"], step=state["step_count"], seconds=state["seconds"],
                         lr=state["lr"], message=state["message"], test_acc=extra["test_acc"],
                         test_loss=extra["test_loss"], total_steps=extra.get("total_steps", state["step_count"]),
                         steps_per_epoch=extra.get("steps_per_epoch", 1))
        run._set_net(state["step_count"], arrays)
        if state["status"] in ("ready", "running"):
            run._carry_on()
        return run

    @staticmethod
    def held(run_id):
        """Return this server's handle of run run_id if it has one, else None (never reads a checkpoint)."""
        return LIVE.get(run_id)

    def _carry_on(self):
        """Put the run back on a worker from its checkpoint and let it train on; the history is the checkpoint's."""
        self._actor = pool.place(self.id, restore=True)
        LIVE[self.id] = self
        snap = self._actor.carry_on(0).result(pool.CALL_SECONDS)
        self._history = []
        self._took(snap)

    # --- talking to the worker --------------------------------------------------------------

    def _call(self, method, *args):
        """Call the actor's method and return its answer; if its worker is gone, recover and return None."""
        with self._lock:  # pages of several tabs may share this run: one call, and one recovery, at a time
            if self._actor is None:
                return None
            try:
                return getattr(self._actor, method)(*args).result(pool.CALL_SECONDS)
            except Exception:  # the worker died or cannot be reached: whatever the error, the run must recover
                self._lost()
                return None

    def _lost(self):
        """The worker holding the run is gone: carry on from the checkpoint elsewhere, or say it stopped."""
        self._actor = None
        saved = store.load(self.id, with_arrays=False) if self.browser else None
        if saved is not None and saved[1]["status"] in ("ready", "running"):
            deadline = time.monotonic() + RECOVER_SECONDS
            while time.monotonic() < deadline:  # the cluster may take a moment to see the worker gone
                try:
                    self._carry_on()
                except Exception:  # placed on the dead worker, or none free yet: try again
                    self._actor = None
                    time.sleep(1)
                    continue
                self.notice = (f"The worker training this run stopped; the run carried on from its last checkpoint "
                               f"(step {saved[1]['step_count']:,}) on another worker.")
                return
        LIVE.pop(self.id, None)
        self._snap.update(alive=False, status="failed", queued_ahead=None,
                          error="The worker training this run stopped, and the run could not be carried on. "
                                "Start it again, or open it from the saved runs.")

    def _read(self):
        """Refresh the snapshot unless it is fresh; once the run has ended, keep its weights and let the actor go."""
        with self._lock:
            if self._actor is None or time.monotonic() - self._read_at < FRESH_SECONDS:
                return self._snap
            snap = self._call("snapshot", len(self._history))
            if snap is not None:
                self._took(snap)
                if not snap["alive"] and snap["status"] in ENDED:
                    self._fetch_weights()
                    self._actor = None  # the run is over: its numbers and weights are here now
                    LIVE.pop(self.id, None)
            return self._snap

    def _took(self, snap):
        """Keep a snapshot from the worker: its new metrics join the history."""
        self._history = self._history + snap.pop("history")
        self._snap = snap
        self._read_at = time.monotonic()

    def _fetch_weights(self):
        """Copy the network over if its step has changed since the last copy."""
        answer = self._call("weights", self._net_step)
        if answer is not None:
            step, weights = answer
            if weights is not None:
                self._set_net(step, weights)

    def _set_net(self, step, weights):
        """Make a network of the run's shape holding these weights."""
        net = Network.from_config(self.config)
        net.set_weights(weights)
        self._net, self._net_step = net, step
        self._weights_at = time.monotonic()

    # --- what the pages read ----------------------------------------------------------------

    @property
    def status(self):
        """Return one of ready, queued, running, paused, finishing, done, stopped, diverged, failed."""
        return self._read()["status"]

    @property
    def alive(self):
        """Return True while the run is on a worker: running, paused, queued or finishing."""
        return self._read()["alive"]

    @property
    def history(self):
        """Return the metrics reported so far, oldest first."""
        self._read()
        return self._history

    @property
    def step_count(self):
        """Return how many steps the run has taken."""
        return self._read()["step"]

    @property
    def total_steps(self):
        """Return how many steps the whole run takes."""
        return self._read()["total_steps"]

    @property
    def steps_per_epoch(self):
        """Return how many steps make one epoch."""
        return self._snap["steps_per_epoch"]

    @property
    def epoch(self):
        """Return how many epochs are done, as a float."""
        return self.step_count / max(self.steps_per_epoch, 1)

    @property
    def seconds(self):
        """Return the seconds spent computing so far."""
        return self._read()["seconds"]

    @property
    def message(self):
        """Return why the run ended early, if it diverged."""
        return self._read()["message"]

    @property
    def error(self):
        """Return what went wrong if the run failed."""
        return self._read()["error"]

    @property
    def test_acc(self):
        """Return the test accuracy once measured, else None."""
        return self._read()["test_acc"]

    @property
    def paused(self):
        """Return True when Pause (or Step) holds the run."""
        return self._read()["paused"]

    @property
    def queued_ahead(self):
        """Return how many runs wait before this one for a core, or None when it is not waiting."""
        return self._read()["queued_ahead"]

    @property
    def net(self):
        """Return the run's network as of its last copy (recopied while it learns, at most every FRESH_SECONDS)."""
        with self._lock:
            if self._actor is not None and time.monotonic() - self._weights_at >= FRESH_SECONDS:
                self._fetch_weights()
        if self._net is None:  # its worker died before a copy was made: show the shape it had
            self._net = Network.from_config(self.config)
        return self._net

    def progress(self):
        """Return (share done in [0, 1], seconds left estimated from the speed so far, or None)."""
        done, total = self.step_count, max(self.total_steps, 1)
        if not done:
            return done / total, None
        return done / total, self.seconds / done * (total - done)

    def metadata(self):
        """Return the model-file metadata of the run's network as it is now."""
        last = self.history[-1] if self.history else {}
        metrics = {"test_accuracy": self.test_acc, "val_accuracy": last.get("val_acc"),
                   "epochs": self.epoch, "train_seconds": self.seconds}
        return build_metadata(self.config, metrics, f"trained in the playground on {self.data_name}")

    # --- the buttons ------------------------------------------------------------------------

    def pause(self):
        """Hold the run after its current step."""
        self._steer("pause")

    def resume(self):
        """Let a paused run go on."""
        self._steer("resume")

    def step(self, n=1):
        """Run n more steps, then hold."""
        self._steer("step", n)

    def stop(self):
        """End the run; the weights stay and the test accuracy is measured."""
        self._steer("stop")

    def set_lr(self, lr):
        """Change the base learning rate from the run's next step on."""
        self._steer("set_lr", lr)

    def pace(self, seconds):
        """Spread the rest of the run over about seconds (slow motion); None: full speed."""
        self._steer("pace", seconds)

    def _steer(self, method, *args):
        """Send a control to the run and make the next read fetch its new state."""
        self._call(method, *args)
        self._read_at = -math.inf

    def join(self, timeout=None):
        """Wait until the run has ended (for tests and scripts); return True if it did."""
        end = time.monotonic() + (math.inf if timeout is None else timeout)
        while self.alive and time.monotonic() < end:
            time.sleep(FRESH_SECONDS)
        return not self.alive


def _forget_ended():
    """Let go of the handles of runs that have ended (their tabs may be long closed), reading each once."""
    for run in list(LIVE.values()):
        run._read()  # a run found ended leaves LIVE

