"""One browser session's state, owned by one object: ``Session``, reached by ``session()``.

The datasets and the bundled models are loaded once per server process
(``st.cache_resource``) and never copied per user.  Everything a browser session owns
lives in its ``Session``: its runs, an uploaded or fine-tuned model, which bundled model it uses, its choice of data,
the digits it drew, the scorecards of its finished runs, its tuning study, its Lab (``ui.lab``).
Pages call its methods and
read its properties; they never assign its fields or keep state of their own beyond
their widgets.  The runs themselves train on worker processes (``ui.runs``).

A browser's identity is its browser id: random, made here, kept in the page URL (``?b=``, which
works in any browser it is sent to) and in a first-party cookie of this browser
(``ui/frontend/remember.js``), so a plain link opened in the same browser finds its saved
runs again and reattaches the last one still learning.  A browser without the cookie or the
address gets an id of its own and sees none of them.

The address also carries the Train page's settings and the lesson link the session was opened
with (``ui.lesson``): the session reads that link once, as it is created, and keeps the settings
in the URL beside its ids, so a reload keeps them.  Query params it does not own are left alone.
Not for drawing: figures are ``ui.figures``' job.
"""

import os
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote

import streamlit as st

from nn.data import DataError, load_dataset, make_splits, read_dataset
from nn.digits.finetune import MyDigits, finetune
from nn.explain.backprop import Stepper
from nn.explain.scorecard import scorecard
from nn.files.model_file import load_model, model_bytes
from nn.files.script import notebook, script
from nn.network import describe
from nn.settings import TrainConfig
from ui import classroom, frontend, lesson
from ui.activation_map import ActivationMap
from ui.lab import Lab
from ui.runs import store
from ui.runs.handle import ENDED, RunHandle
from ui.tuning import Study

ASSETS = Path(__file__).resolve().parent.parent / "assets"
# The models that ship with the app (assets/README.md), by name.  The convolutional one reads best, drawn digits
# too, so it is the default; the fully connected one stays, as only its first-layer neurons see all 784 pixels and
# draw as 28×28 pictures on the Weights page.  $MNIST_PLAYGROUND_PRETRAINED swaps in another file for the default
# one, e.g. for benchmarks/draw_accuracy.py --model.
BUNDLED = {"conv": Path(os.environ.get("MNIST_PLAYGROUND_PRETRAINED") or ASSETS / "pretrained_conv.npz"),
           "dense": ASSETS / "pretrained.npz"}
DEFAULT_BUNDLED = "conv"
KEY = "session"
SLOW_MOTION_SECONDS = 30.0  # a run on the sample in slow motion: long enough to watch it learn
# On which digits a test accuracy was measured, by data source ({n}: how many).
TESTED_ON = {"sample": "the bundled sample's {n:,} test digits", "mnist": "the {n:,} MNIST test digits",
             "upload": "the {n:,} test digits of your dataset"}
PRETRAINED_TESTED_ON = TESTED_ON["mnist"].format(n=10_000)  # the bundled models were measured on the full MNIST
COOKIE = "mnist_playground_browser"  # holds the browser id in the browser
NICKNAME_COOKIE = "mnist_playground_nickname"  # holds the nickname this browser shows on the class board
IDS = ("b", "run")  # the query params of a browser's identity: never in a link meant for someone else


def architecture(hidden, activation=None, conv=()):
    """Return a network's shape as people read it: '784-128-10', '784-128-10, relu' or 'conv8x5-...-10, relu'."""
    sizes = describe(hidden, conv)
    return f"{sizes}, {activation}" if activation else sizes


def kind(net):
    """Return what kind of network net is, as people read it: 'convolutional' or 'fully connected'."""
    return "convolutional" if net.conv else "fully connected"


@dataclass
class Model:
    """A network with where it came from and what it scored."""

    net: object
    source: str
    meta: dict = field(default_factory=dict)
    tested_on: str = ""  # on which digits its test accuracy was measured, e.g. 'the 10,000 MNIST test digits'

    @property
    def architecture(self):
        """Return e.g. '784-128-10, relu'."""
        return architecture(self.net.sizes[1:-1], self.net.activation, self.net.conv_spec)

    @property
    def kind(self):
        """Return 'convolutional' or 'fully connected'."""
        return kind(self.net)

    @property
    def accuracy(self):
        """Return the test accuracy recorded for this model (a share, 0..1), or None."""
        metrics = self.meta.get("metrics")
        acc = metrics.get("test_accuracy") if isinstance(metrics, dict) else None
        # An uploaded file's metadata is its own: anything but a share is taken as not recorded.
        return float(acc) if isinstance(acc, (int, float)) and not isinstance(acc, bool) and 0 <= acc <= 1 else None

    def file_bytes(self):
        """Return the model as the bytes of an .npz model file."""
        return model_bytes(self.net, self.meta)

    @property
    def source_text(self):
        """Return where the model came from, escaped for Markdown (an upload's file name, a nickname)."""
        return lesson.markdown_text(self.source)

    @property
    def tested_on_text(self):
        """Return on which digits the model was tested, escaped for Markdown (an upload's metadata names them)."""
        return lesson.markdown_text(self.tested_on)

    @property
    def training(self):
        """Return the TrainConfig this model was trained with, or None when its file does not record it."""
        training = self.meta.get("training")
        try:
            return TrainConfig.from_dict(training) if training else None
        except (TypeError, ValueError, AttributeError):  # an uploaded file's settings that do not fit
            return None

    def take_home(self, kind):
        """Return the model's training run as a NumPy script ('script') or a Jupyter notebook ('notebook'), as bytes.

        Needs ``training``.
        """
        note = "" if self.accuracy is None else f"The run reached a test accuracy of {self.accuracy:.2%}."
        export = script if kind == "script" else notebook
        return export(self.training, note).encode()


@st.cache_resource(show_spinner="Loading the digits…")
def shared_splits(source):
    """Return train/validation/test splits of a named dataset ('sample', 'mnist' or a path), loaded once."""
    return make_splits(load_dataset(source), seed=0)


def sample_size():
    """Return the bundled sample's size, read from it, as every page words it: '4,000 training + 1,000 test digits'."""
    sample = shared_splits("sample")
    return f"{len(sample.y_train) + len(sample.y_val):,} training + {len(sample.y_test):,} test digits"


@st.cache_resource(show_spinner="Reading your dataset…", max_entries=8)
def uploaded_splits(data, filename):
    """Return splits of an uploaded dataset file, loaded once per distinct file."""
    return make_splits(read_dataset(data, filename), seed=0)


@st.cache_resource(show_spinner=False)
def pretrained(name=DEFAULT_BUNDLED):
    """Return the bundled model name ('conv' or 'dense', a key of BUNDLED), loaded once per server process."""
    net, meta = load_model(BUNDLED[name])
    return Model(net, f"bundled pretrained model ({kind(net)})", meta, PRETRAINED_TESTED_ON)


def bundled_models():
    """Return every bundled Model, in BUNDLED's order."""
    return [pretrained(name) for name in BUNDLED]


def bundled_label(name):
    """Return how a chooser names bundled model name: its kind and test accuracy, e.g. 'convolutional (99.48%)'."""
    model = pretrained(name)
    return f"{model.kind} ({model.accuracy:.2%})" if model.accuracy is not None else model.kind


class Session:
    """Everything one browser session owns: its runs, an uploaded model, its data, its drawn digits."""

    def __init__(self, browser=None, query=None):
        self.browser = browser or uuid.uuid4().hex[:16]  # kept in the URL: it finds this browser's saved runs
        # The lesson link the session was opened with (from the URL's query params), and what in it was ignored.
        self.lesson, self.link_notes = lesson.parse(query or {}, theirs=IDS)
        self.settings_query = self.lesson.query(self.lesson.values)  # the Train page's settings, as the URL holds them
        self.run = None  # the current run (a RunHandle), live or ended
        self.runs = []  # every run of this session, oldest first
        self.uploaded = None  # a Model uploaded or fine-tuned here, used until the next run starts
        self.bundled = DEFAULT_BUNDLED  # which bundled model (a key of BUNDLED) this session uses where it uses one
        self.data_source = "sample"  # 'sample', 'mnist' or 'upload'
        self.data_name = "bundled sample"
        self.uploaded_data = None  # Splits of an uploaded dataset file
        self.digits = MyDigits()  # digits drawn (or loaded) on the Draw page, with their labels
        self.step_target = None  # (run id, step) a Step asked the run to reach
        self.study = None  # the latest tuning Study (ui.tuning) of the Tune section
        self.pace = SLOW_MOTION_SECONDS  # runs are spread over this many seconds to be watched; None: full speed
        self.nickname = ""  # this browser's name on the class board; '' keeps its runs off it
        self.presenter = False  # True once the presenter key was given in this session (never kept elsewhere)
        self.viewing = None  # a Model of an attendee's run the presenter opened read-only, shown instead of ours
        self._scorecards = {}  # run id -> Scorecard of its test digits
        self.lab = Lab()  # the Lab page's broken copy, its background work, the Draw page's "not sure" threshold
        self._stepper = None  # the Weights page's backward pass: a Stepper, a copy of a model that it steps
        self._stepper_of = None  # whose copy it is: ("run", run id) or ("net", id of the network)
        self.activation_map = ActivationMap()  # the Weights page's map: its last frames and its t-SNE job

    @property
    def lesson_id(self):
        """Return the id of the lesson this session was opened for (its link's ``lesson``), or None."""
        return self.lesson.lesson_id

    def keep_settings(self, config):
        """Keep config's settings (those not at their default) and this session's lesson in the page URL."""
        self.settings_query = self.lesson.query(asdict(config))
        _keep_in_url(self)

    # --- models -------------------------------------------------------------------------------

    def model(self):
        """Return the session's model: an attendee's being viewed, the current run's, an upload, the pretrained one."""
        if self.viewing is not None:
            return self.viewing
        if self.run is not None:
            return Model(self.run.net, f"this session's run {self.run.id[:6]} ({self.run.status})",
                         self.run.metadata(), self.tested_on(self.run.data_source))
        return self.uploaded or self.pretrained()

    def pretrained(self):
        """Return the bundled model this session chose: the model before any run or upload, the pages' "pretrained"."""
        return pretrained(self.bundled)

    def choose_bundled(self, name):
        """Use bundled model name (a key of BUNDLED) from now on; the Lab starts again if it was breaking the other."""
        if name not in BUNDLED:
            raise ValueError(f"There is no bundled model called {name!r}: the app ships with {', '.join(BUNDLED)}.")
        if name != self.bundled and (self.lab.pretrained or self.model() is self.pretrained()):
            self.lab.start_over()
        self.bundled = name

    def use_model_file(self, data, name):
        """Make an uploaded model file the session's model (raises ModelFileError if it is not one)."""
        net, meta = load_model(data, name)
        self.uploaded = Model(net, f"uploaded {name}", meta, f"test digits of its training data ({meta.get('data')})"
                              if meta.get("data") else "test digits not recorded in the file")
        if self.run is not None and not self.run.alive:
            self.run = None  # the upload becomes the active model on every page

    # --- data ---------------------------------------------------------------------------------

    def splits(self):
        """Return the splits of the dataset this session chose."""
        return self._splits_of(self.data_source)

    def use_data_file(self, data, name):
        """Read an uploaded dataset file for training (raises DataError if it cannot be read)."""
        self.uploaded_data = uploaded_splits(data, name)

    def _splits_of(self, source):
        """Return the splits of data source 'sample', 'mnist' or 'upload', or None if this session has no upload."""
        return self.uploaded_data if source == "upload" else shared_splits(source)

    def tested_on(self, source):
        """Return on which digits a model trained on data source ('sample', 'mnist', 'upload') was tested."""
        splits = self._splits_of(source)
        return "the test digits of an uploaded dataset" if splits is None else TESTED_ON[source].format(
            n=len(splits.y_test))

    @property
    def data_name_text(self):
        """Return the name of the data in use, escaped for Markdown (an upload's names its file)."""
        return lesson.markdown_text(self.data_name)

    def validated_on(self, run):
        """Return on which digits run's validation accuracy is measured."""
        splits = self._splits_of(run.data_source)
        return "the validation digits" if splits is None else f"the {len(splits.y_val):,} validation digits"

    def choose_data(self, source):
        """Train on 'sample', 'mnist' or 'upload' from now on; if unreadable, keep the sample and return why."""
        try:
            splits = self._splits_of(source)
        except DataError as err:
            self.data_source, self.data_name = "sample", shared_splits("sample").name
            return str(err)
        self.data_source, self.data_name = source, splits.name
        return None

    # --- runs ---------------------------------------------------------------------------------

    @property
    def training(self):
        """Return True while the session's run is on a worker (running, paused, queued or finishing)."""
        return self.run is not None and self.run.alive

    @property
    def shown_run(self):
        """Return the run the Weights and Draw pages show: the session's, unless an attendee's is being viewed."""
        return None if self.viewing is not None else self.run

    @property
    def shows_live_run(self):
        """Return True while the pages show a run that is still on a worker (and so redraw as it learns)."""
        return self.viewing is None and self.training

    def start_run(self, config, paused=False, from_upload=False):
        """Start a new run with config on the chosen data (from the uploaded model's weights if asked); return it."""
        weights = None
        if from_upload and self.uploaded is not None:
            net = self.uploaded.net
            config = replace(config, hidden=tuple(net.sizes[1:-1]), activation=net.activation, init=net.init,
                             dropout=net.dropout, conv=net.conv_spec)
            weights = net.copy_weights()  # a copy: the upload itself stays as it was
        self.run = self._start(config, self._data(), weights=weights, paused=paused, pace=self.pace)
        if classroom.enabled():
            classroom.join(self.run.id, self.browser, self.nickname)  # no nickname: it stays off the board
        return self.run

    def _data(self):
        """Return (source, name, uploaded splits or None) of the data chosen now."""
        return self.data_source, self.data_name, self.uploaded_data if self.data_source == "upload" else None

    def _start(self, config, data, **kw):
        """Start a run of this browser on data (from ``_data``), with RunHandle.start's keywords; it joins the runs."""
        source, name, uploaded = data
        run = RunHandle.start(config, source, name, self.browser, data=uploaded, **kw)
        self.runs.append(run)
        return run

    def start_study(self, base, space, draws=0, halving=False):
        """Start tuning base's settings over space {name: values} (see ``ui.tuning.Study``); return the study.

        Its trials are saved runs of this browser that leave the test digits alone.  Raises
        ValueError with a plain message if a combination is out of bounds.
        """
        data = self._data()  # every trial learns from the data chosen now, even if the choice changes meanwhile
        self.study = Study(base, space, draws, halving, lambda config: self._start(config, data, measure_test=False),
                           self.splits())
        self.study.update()
        self.study.drive()
        return self.study

    def step(self, config, size):
        """Take one more 'batch' or 'epoch' of the current run (starting one, held, if none is live)."""
        run = self.run if self.training else self.start_run(config, paused=True)
        n = 1 if size == "batch" else run.steps_per_epoch
        self.step_target = (run.id, run.step_count + n)
        run.step(n)

    def reset(self):
        """Stop the current run and forget it as the session's run; the next Start begins afresh."""
        if self.run is not None:
            self.run.stop()
        self.run = None

    def set_pace(self, slow):
        """Train in slow motion (about SLOW_MOTION_SECONDS a run) or at full speed, the live run from now on."""
        self.pace = SLOW_MOTION_SECONDS if slow else None
        if self.training:
            self.run.pace(self.pace)

    def set_lr(self, lr):
        """Give the live run a new learning rate, from its next step on."""
        if self.training:
            self.run.set_lr(lr)

    def changing(self):
        """Return True while the run's numbers may change: running, queued, finishing, or taking asked-for steps."""
        if not self.training:
            return False
        run = self.run
        if run.status != "paused":
            return True
        reported = run.history[-1]["step"] if run.history else 0
        target_run, target = self.step_target or (None, 0)
        return target_run == run.id and reported < target

    def owns(self, run_id):
        """Return True if run run_id is one of this browser's runs (live here, or saved)."""
        held = RunHandle.held(run_id)
        if held is not None:
            return held.browser == self.browser
        saved = store.load(run_id, with_arrays=False) if store.ID.match(run_id or "") else None
        return saved is not None and saved[1]["extra"].get("browser") == self.browser

    def open_run(self, run_id):
        """Make this browser's saved or live run run_id the session's run, carrying on if it was cut off.

        Return it, or None if there is no such run of this browser: another browser's run id,
        guessed or copied, opens nothing.
        """
        run = RunHandle.open(run_id) if self.owns(run_id) else None
        if run is None:
            return None
        self.run = run
        if run not in self.runs:
            self.runs.append(run)
        if run.data_source in ("sample", "mnist"):
            self.data_source, self.data_name = run.data_source, run.data_name
        return run

    def reattach(self):
        """Make this browser's newest saved run that has not ended the session's run (it carries on); return it."""
        live = next((run_id for run_id, state in self.saved_runs() if state["status"] not in ENDED), None)
        return None if live is None else self.open_run(live)

    @staticmethod
    def saved_status(run_id, state):
        """Return (status, epoch) of saved run run_id as it is now: a run this server holds says its own."""
        held = RunHandle.held(run_id)
        if held is not None:
            return held.status, held.epoch
        status = "cut off, carries on when opened" if state["status"] in ("ready", "running") else state["status"]
        return status, state["step_count"] / max(state["extra"].get("steps_per_epoch", 1), 1)

    def saved_runs(self):
        """Return [(run id, checkpoint state)] of this browser's saved runs, newest first."""
        return store.runs_of(self.browser)

    def delete_saved(self, run_id):
        """Remove one of this browser's saved runs for good (not the current one)."""
        if (self.run is None or self.run.id != run_id) and any(i == run_id for i, _ in self.saved_runs()):
            store.delete(run_id)
            classroom.leave(run_id, self.browser)

    def runs_table(self):
        """Return the session's runs, newest first, as flat rows of their settings and results."""
        rows = []
        for run in reversed(self.runs):
            last, c = (run.history[-1] if run.history else {}), run.config
            rows.append({"run": run.id[:6], "status": run.status, "data": run.data_name,
                         "layers": architecture(c.hidden, conv=c.conv), "activation": c.activation,
                         "optimiser": c.optimizer,
                         "lr": c.lr, "batch": c.batch_size, "epochs": c.epochs, "val acc": last.get("val_acc"),
                         "test acc": run.test_acc, "seconds": round(run.seconds, 1)})
        return rows

    def scorecard(self, run):
        """Return the Scorecard of a finished run on this session's test digits, computed once."""
        if run.id not in self._scorecards:
            splits = self.splits()
            self._scorecards[run.id] = scorecard(run.net.predict_proba(splits.X_test), splits.y_test)
        return self._scorecards[run.id]

    # --- the classroom ------------------------------------------------------------------------

    def set_nickname(self, typed):
        """Take a nickname (cleaned: see ``classroom.clean_nickname``); this browser's board runs show it. Return it."""
        self.nickname = classroom.clean_nickname(typed)
        classroom.rename(self.browser, self.nickname)
        return self.nickname

    def on_board(self):
        """Return {run id: nickname} of this browser's runs on the class board."""
        return classroom.on_board(self.browser)

    def join_board(self, run_id):
        """Put one of this browser's runs on the class board under its nickname."""
        if self.owns(run_id):
            classroom.join(run_id, self.browser, self.nickname)

    def leave_board(self, run_id):
        """Take one of this browser's runs off the class board."""
        classroom.leave(run_id, self.browser)

    def enter_key(self, typed):
        """Become the presenter if typed is the presenter key; return None, or one line saying why not."""
        ok, why = classroom.GATE.check(typed)
        self.presenter = self.presenter or ok
        return None if ok else why

    def view_run(self, run_id, nickname):
        """Presenter only: show an attendee's board run read-only on the Weights and Draw pages; return the Model.

        The network is read from the run's checkpoint: the run itself is not touched.
        """
        if not self.presenter or run_id not in classroom.entries():
            return None
        found = classroom.network_of(run_id)
        if found is None:
            return None
        net, meta = found
        self.viewing = Model(net, f"{nickname}'s run, read-only (as of its last checkpoint)",
                             meta, "its own test digits")
        return self.viewing

    def stop_viewing(self):
        """Go back to this session's own model."""
        self.viewing = None

    @staticmethod
    def class_lesson():
        """Return the class's published lesson (an empty one if there is none)."""
        return classroom.current_lesson()

    def class_board(self):
        """Return the class board as this session may see it now (a ``classroom.Board``).

        The presenter gets every row, the runs' curves, the summed confusion matrix and the CSV; an
        attendee only what the presenter shows them (the lesson's summary: nickname and
        accuracies, no ids), else no rows.
        """
        lesson_now = classroom.current_lesson()
        if not (self.presenter or lesson_now.show_summary):
            return classroom.Board(lesson_now)
        runs = classroom.board_runs()
        rows = classroom.leaderboard(runs, lesson_now)
        if not self.presenter:
            return classroom.Board(lesson_now, rows=[{k: row[k] for k in classroom.SUMMARY} for row in rows])
        return classroom.Board(lesson_now, runs, rows, *classroom.summed_confusion(runs), classroom.board_csv(rows))

    def publish_lesson(self, values, locked, hidden, challenge, limit, show_summary):
        """Presenter only: make these the class's lesson; return it (None for anyone else)."""
        if not self.presenter:
            return None
        return classroom.publish(classroom.Lesson(values=values, locked=tuple(locked), hidden=tuple(hidden),
                                                  challenge=challenge, limit=limit, show_summary=show_summary))

    def clear_board(self):
        """Presenter only: empty the class board for the next group (the runs stay with their attendees)."""
        if self.presenter:
            classroom.clear()

    # --- the backward pass of one digit ---------------------------------------------------------

    def stepper(self, model, fresh=False):
        """Return the Weights page's Stepper: a copy of model's network that gradient steps change, never the model.

        The same copy comes back on every rerun, so its steps add up, until the model changes
        (another run, an upload) or ``fresh`` asks for a new copy of the model as it is now.  A
        live run's network is recopied from its worker every few seconds: the copy stays with
        the run, not with that object.
        """
        run = self.shown_run
        whose = ("run", run.id) if run is not None else ("net", id(model.net))  # model is the run's if it shows one
        if fresh or self._stepper is None or self._stepper_of != whose:
            self._stepper, self._stepper_of = Stepper(model.net), whose
        return self._stepper

    # --- drawn digits -------------------------------------------------------------------------

    def add_digit(self, image, label):
        """Keep a drawn digit (28, 28) with its right label."""
        self.digits.add(image, label)

    def finetune(self, base):
        """Fine-tune a copy of Model base on the drawn digits; it becomes the session's model. Return its accuracy."""
        splits = self.splits()
        net = finetune(base.net, self.digits.x, self.digits.y, splits.X_train, splits.y_train)
        _, acc = net.evaluate(splits.X_test, splits.y_test)
        meta = {**base.meta, "metrics": {**base.meta.get("metrics", {}), "test_accuracy": acc},
                "data": f"{base.meta.get('data', '')}; fine-tuned on {len(self.digits)} drawn digits"}
        self.uploaded = Model(net, f"fine-tuned on {len(self.digits)} of your digits, from the {base.source}", meta,
                              self.tested_on(self.data_source))
        self.run = self.viewing = None  # ended (fine-tuning waits for a run to end); it stays in self.runs
        return acc


def session():
    """Return this browser session's Session, creating it on first use; keep its ids and settings in the page URL."""
    if KEY not in st.session_state:
        st.session_state[KEY] = _new_session()
    here = st.session_state[KEY]
    _keep_in_url(here)
    if _remembered() != here.browser:
        frontend.remember(COOKIE, here.browser)
    if classroom.enabled() and _remembered(NICKNAME_COOKIE) != here.nickname:
        frontend.remember(NICKNAME_COOKIE, here.nickname)
    return here


def _keep_in_url(here):
    """Make the URL's query params hold session here's ids and settings; leave params it does not own as they are.

    The URL is written only when it changes, so keeping it costs no rerun.
    """
    wanted = {"b": here.browser, **({"run": here.run.id} if here.run is not None and here.run.browser else {}),
              **here.settings_query}
    current = st.query_params.to_dict()
    address = {name: value for name, value in current.items() if name not in IDS and name not in lesson.PARAMS}
    address.update(wanted)
    if current != address:
        st.query_params.from_dict(address)


def _remembered(cookie=COOKIE):
    """Return what this browser's cookie holds, or '' (also where there are no request cookies)."""
    value = st.context.cookies.get(cookie)
    return unquote(value) if isinstance(value, str) else ""  # AppTest's stand-in request holds no real cookies


def _new_session():
    """Return a Session for a new browser session.

    A reload or a shared URL brings back its browser id and run; a plain link, the id this
    browser's cookie remembers.  Without a run in the URL, the browser's last run that has not
    ended becomes the session's run.
    """
    known = st.query_params.get("b", "") or _remembered()
    new = Session(known if store.ID.match(known) else None, st.query_params.to_dict())
    new.nickname = classroom.clean_nickname(_remembered(NICKNAME_COOKIE))
    run_id = st.query_params.get("run", "")
    if store.ID.match(run_id):
        new.open_run(run_id)
    elif new.browser == known:  # a browser seen before: a new id has no runs to look for
        new.reattach()
    return new
