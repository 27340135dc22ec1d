"""Classroom mode: the presenter's key, the lesson, and the class board, all kept in the run folder.

The server is started with ``$PLAYGROUND_PRESENTER_KEY``; without it ``enabled()`` is False and
none of this shows.  An attendee's run joins the board under a nickname: one small file
``board/<run id>.json`` in the shared run folder (``ui.runs.store``), so a board on any replica
that shares the folder lists the runs of every replica.  The board's numbers are the ones each
run's worker writes beside its checkpoint every second (``store.numbers``); reading them costs
the web process a few file reads every refresh and the workers nothing.  The presenter's lesson
is ``class/lesson.json`` in the same folder.

The key is compared in constant time, never written anywhere, and every wrong try makes the
next one wait longer (``KeyGate``).  Attendees never see run ids or browser ids: the board's
rows carry them for the presenter's page only.  Not for Streamlit calls (``pages/class.py``)
nor for figures (``ui.figures.training.class_curves``, ``ui.figures.qr``).
"""

import csv
import hmac
import io
import math
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field

from nn.files.model_file import build_metadata
from nn.network import Network
from nn.settings import SETTINGS, TrainConfig
from ui.runs import store

SUMMARY = ("nickname", "val acc", "test acc", "score")  # the leaderboard's columns an attendee may see
NICKNAME_CHARS = 24  # long enough for a first name and an initial, short enough for a leaderboard column
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

@dataclass(frozen=True)
class Challenge:
    """What a lesson may ask of its runs, and how a run's score is ranked."""

    menu: str  # its name in the presenter's menu
    wording: str  # as the class reads it, with {limit}
    limit: float | None  # the limit's default
    lower_is_better: bool


CHALLENGES = {
    "none": Challenge("No challenge", "No challenge", None, False),
    "small": Challenge("Best test accuracy with few weights", "Best test accuracy with at most {limit:,} weights",
                       20_000, False),
    "fast": Challenge("Fewest epochs to an accuracy", "Fewest epochs to {limit:.0%} validation accuracy", 0.95, True),
}


def presenter_key():
    """Return the presenter key this server was started with, or '' (classroom mode off)."""
    return os.environ.get("PLAYGROUND_PRESENTER_KEY", "")


def enabled():
    """Return True if the server was started with a presenter key."""
    return bool(presenter_key())


class KeyGate:
    """Checks typed presenter keys; each wrong try doubles the wait before the next is looked at.

    One gate per server process, shared by every session: opening a new tab does not reset it.
    """

    FREE_TRIES = 3  # typos are human: the first few wrong tries cost nothing
    LONGEST_WAIT = 60.0

    def __init__(self):
        self._wrong, self._last_wrong = 0, -math.inf
        self._lock = threading.Lock()

    def wait_left(self, now=None):
        """Return how many seconds are left before the next try is looked at (0: now)."""
        over = self._wrong - self.FREE_TRIES
        if over <= 0:
            return 0.0
        wait = min(2.0 ** over, self.LONGEST_WAIT)
        return max(0.0, self._last_wrong + wait - (time.monotonic() if now is None else now))

    def check(self, typed):
        """Return (True, '') if typed is the key, else (False, one line saying why); wrong tries slow down."""
        key = presenter_key()
        if not key:
            return False, "Classroom mode is off on this server: it was started without a presenter key."
        with self._lock:
            left = self.wait_left()
            if left > 0:
                return False, f"Too many wrong keys: try again in {math.ceil(left)} s."
            if hmac.compare_digest(typed.encode(), key.encode()):
                self._wrong = 0
                return True, ""
            self._wrong += 1
            self._last_wrong = time.monotonic()
        return False, "That is not the presenter key."


GATE = KeyGate()


def clean_nickname(typed):
    """Return a nickname as the board shows it: no control characters, spaces squeezed, NICKNAME_CHARS at most."""
    return " ".join(CONTROL_CHARS.sub("", typed or "").split())[:NICKNAME_CHARS]


# --- the lesson ------------------------------------------------------------------------------------


@dataclass
class Lesson:
    """What the presenter asked the class to do: settings, locked and hidden controls, a challenge."""

    id: str = ""
    values: dict = field(default_factory=dict)  # setting name -> value (TrainConfig.to_dict's form)
    locked: tuple = ()
    hidden: tuple = ()
    challenge: str = "none"
    limit: float | None = None
    show_summary: bool = False  # attendees see the board's leaderboard on their Train page

    @property
    def config(self):
        """Return the lesson's settings as a TrainConfig (defaults where it says nothing)."""
        return TrainConfig.from_dict(self.values)

    def challenge_text(self):
        """Return the challenge in words, e.g. 'Best test accuracy with at most 20,000 weights'."""
        challenge = CHALLENGES[self.challenge]
        return challenge.wording.format(limit=challenge.limit if self.limit is None else self.limit)

    def score(self, numbers):
        """Return a run's challenge score from its numbers (None: no score yet, or out of the challenge)."""
        limit = CHALLENGES[self.challenge].limit if self.limit is None else self.limit
        if self.challenge == "small":
            return numbers.get("test_acc") if numbers.get("weights", math.inf) <= limit else None
        if self.challenge == "fast":
            curve = numbers.get("curve") or {"epoch": [], "val_acc": []}
            return next((epoch for epoch, acc in zip(curve["epoch"], curve["val_acc"]) if acc >= limit), None)
        return None


def lesson_path():
    """Return the lesson file's path in the run folder."""
    path = store.folder() / "class"
    path.mkdir(exist_ok=True)
    return path / "lesson.json"


def publish(lesson):
    """Make lesson the class's lesson (a new id: links to an older lesson no longer count); return it."""
    lesson.id = uuid.uuid4().hex[:12]
    TrainConfig.from_dict(lesson.values)  # raises ValueError with a plain message if a value is out of bounds
    store.write_json(lesson_path(), {**lesson.__dict__, "locked": list(lesson.locked), "hidden": list(lesson.hidden)})
    return lesson


def current_lesson():
    """Return the class's lesson, or an empty Lesson if the presenter has not published one."""
    saved = store.read_json(lesson_path())
    if not isinstance(saved, dict):
        return Lesson()
    try:
        return Lesson(**{**saved, "locked": tuple(saved["locked"]), "hidden": tuple(saved["hidden"])})
    except (TypeError, KeyError):
        return Lesson()


# --- the board -------------------------------------------------------------------------------------


def board_folder():
    """Return the folder of board entries, creating it."""
    path = store.folder() / "board"
    path.mkdir(exist_ok=True)
    return path


def join(run_id, browser, nickname):
    """Put run run_id of browser on the board under nickname (cleaned); an empty nickname keeps it off."""
    nickname = clean_nickname(nickname)
    if nickname:
        store.path_of(run_id)  # raises ValueError for anything that is not a run id
        store.write_json(board_folder() / f"{run_id}.json",
                         {"nickname": nickname, "browser": browser, "joined": time.time()})


def entries():
    """Return {run id: entry} of every run on the board."""
    found = {}
    for path in board_folder().glob("*.json"):
        entry = store.read_json(path)
        if isinstance(entry, dict) and store.ID.match(path.stem):
            found[path.stem] = entry
    return found


def on_board(browser):
    """Return {run id: nickname} of this browser's runs on the board."""
    return {run_id: e["nickname"] for run_id, e in entries().items() if e.get("browser") == browser}


def leave(run_id, browser):
    """Take run run_id off the board, if it is there and belongs to browser (nobody else can)."""
    entry = entries().get(run_id)
    if entry is not None and entry.get("browser") == browser:
        (board_folder() / f"{run_id}.json").unlink(missing_ok=True)


def rename(browser, nickname):
    """Show this browser's runs on the board under a new nickname (empty: take them all off)."""
    for run_id in on_board(browser):
        leave(run_id, browser)
        join(run_id, browser, nickname)


def clear():
    """Empty the board for the next group; the runs themselves stay with their attendees."""
    for path in board_folder().glob("*.json"):
        path.unlink(missing_ok=True)


@dataclass
class BoardRun:
    """One run on the board: who, its numbers, and how it differs from the lesson."""

    run_id: str
    nickname: str
    numbers: dict

    @property
    def config(self):
        """Return the run's settings."""
        return TrainConfig.from_dict(self.numbers["config"])

    @property
    def val_acc(self):
        """Return the validation accuracy at its last report, or None."""
        accuracies = (self.numbers.get("curve") or {}).get("val_acc") or []
        return accuracies[-1] if accuracies else None


def board_runs():
    """Return a BoardRun for every run on the board whose numbers can be read, oldest first.

    An entry whose run is gone from the folder (deleted, or trimmed to the folder's cap) leaves the board.
    """
    runs = []
    for run_id, entry in sorted(entries().items(), key=lambda item: item[1].get("joined", 0)):
        numbers = store.numbers(run_id)
        if isinstance(numbers, dict) and "config" in numbers:
            runs.append(BoardRun(run_id, entry["nickname"], numbers))
        elif not store.path_of(run_id).exists() and time.time() - entry.get("joined", 0) > 60:
            (board_folder() / f"{run_id}.json").unlink(missing_ok=True)  # a minute: a run just started has no file
    return runs


@dataclass
class Board:
    """The class board as one session may see it (``Session.class_board``)."""

    lesson: Lesson
    runs: list = field(default_factory=list)  # BoardRuns, for the curves: the presenter's only
    rows: list = field(default_factory=list)  # the leaderboard's rows, best first
    confusion: list | None = None  # (10, 10) counts summed over the finished runs
    finished: int = 0  # how many runs that is
    csv: str = ""  # the leaderboard as CSV


def differences(config, lesson):
    """Return how config differs from the lesson's settings, as 'lr 0.1 · optimizer adam' ('' if not at all)."""
    mine, asked = config.to_dict(), lesson.config.to_dict()
    return " · ".join(f"{f.name} {_plain(mine[f.name])}" for f in SETTINGS if mine[f.name] != asked[f.name])


def _plain(value):
    """Return a setting's value as a short text: 128-64 for layers, 0.1 for numbers."""
    if isinstance(value, list):
        return "-".join("x".join(map(str, v)) if isinstance(v, list) else str(v) for v in value) or "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def leaderboard(runs, lesson):
    """Return the board's rows, best first: by challenge score if the lesson has one, else by accuracy.

    Each row is a dict of plain values for a table and the CSV export; ``run_id`` is for the
    presenter's page only.
    """
    lower_is_better = CHALLENGES[lesson.challenge].lower_is_better
    rows = []
    for run in runs:
        n = run.numbers
        rows.append({"nickname": run.nickname, "status": n["status"],
                     "differs from the lesson": differences(run.config, lesson),
                     "val acc": run.val_acc, "test acc": n.get("test_acc"),
                     "epochs": round(n["step"] / max(n["steps_per_epoch"], 1), 2),
                     "seconds": round(n["seconds"], 1), "weights": n["weights"],
                     "score": lesson.score(n), "run_id": run.run_id})

    def rank(row):
        score = row["score"]
        if lesson.challenge != "none":
            return (score is None, (score if lower_is_better else -score) if score is not None else 0)
        return (row["test acc"] is None, -(row["test acc"] or 0), -(row["val acc"] or 0))

    return sorted(rows, key=rank)


def summed_confusion(runs):
    """Return the (10, 10) confusion counts summed over the finished runs, and how many runs that is."""
    done = [run.numbers["confusion"] for run in runs if run.numbers.get("confusion")]
    total = [[sum(c[i][j] for c in done) for j in range(10)] for i in range(10)]
    return total, len(done)


def board_csv(rows):
    """Return the leaderboard as CSV text; a cell a spreadsheet would run as a formula is quoted as text."""
    out = io.StringIO()
    columns = [k for k in rows[0] if k != "run_id"] if rows else ["nickname"]
    writer = csv.DictWriter(out, columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row[k]) for k in columns})
    return out.getvalue()


def _cell(value):
    """Return value for a CSV cell: text starting with = + - @ gets a leading ' (no formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def network_of(run_id):
    """Return (network, model-file metadata) of a board run as its last checkpoint holds it, or None.

    Read from the file alone: the run itself, live or ended, is neither touched nor carried on.
    """
    saved = store.load(run_id)
    if saved is None:
        return None
    arrays, state = saved
    config = TrainConfig.from_dict(state["config"])
    net = Network.from_config(config)
    net.set_weights(arrays)
    extra, history = state["extra"], state["history"]
    metrics = {"test_accuracy": extra.get("test_acc"), "val_accuracy": history[-1]["val_acc"] if history else None,
               "epochs": state["step_count"] / max(extra.get("steps_per_epoch", 1), 1),
               "train_seconds": state["seconds"]}
    return net, build_metadata(config, metrics, f"trained in the playground on {extra['data_name']}")
