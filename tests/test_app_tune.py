"""The Train page's Tune section through Streamlit's AppTest: a tiny grid on the bundled sample, run to its end.

The trials train on the worker pool like any run; the test checks that none of them touched
the test digits, that only the picked one was scored afterwards, and that every trial is a
saved run of the browser.
"""

import pytest

from tests.helpers import open_section
from ui import figures
from ui.tuning import Study


@pytest.fixture(autouse=True)
def checked_figures(monkeypatch):
    """Check every figure the page draws against Plotly's schema."""
    monkeypatch.setattr(figures.base, "VALIDATE", True)


@pytest.fixture
def scored(monkeypatch):
    """Count the study's scorings on the test set: return the list of trials scored, in order."""
    calls, real = [], Study._score

    def counted(self, i):
        calls.append(i)
        return real(self, i)

    monkeypatch.setattr(Study, "_score", counted)
    return calls


def keys(at):
    """Return the keys of the widgets the page drew."""
    return {w.key for kind in ("text_input", "number_input", "toggle", "checkbox", "button") for w in at.get(kind)}


def test_the_closed_section_draws_nothing_and_keeps_its_values(open_page):
    at = open_page("train")
    assert "Tune: try many settings" in at.expander[-1].label and not {k for k in keys(at) if k.startswith("tune_")}
    open_section(at, "tune_open").text_input(key="tune_lr").set_value("0.001, 0.01").run()
    assert at.button(key="tune_start").disabled is False
    at.session_state["tune_open"] = False  # closed: its widgets are gone, their values kept
    at.run()
    assert not {k for k in keys(at) if k.startswith("tune_")}
    assert open_section(at, "tune_open").text_input(key="tune_lr").value == "0.001, 0.01"


def test_a_tiny_grid_runs_to_the_end_and_scores_only_the_pick(open_page, wait_until, scored):
    at = open_section(open_section(open_page("train"), "tune_open"), "set_more_open")
    at.number_input(key="set_train_size").set_value(300)
    at.text_input(key="tune_hidden").set_value("16, 48")
    at.text_input(key="tune_lr").set_value("0.0003,0.01")
    at.number_input(key="tune_epochs").set_value(1).run()  # the button is enabled once values are given
    at.button(key="tune_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    me = at.session_state["session"]
    study = me.study
    assert study.choices == [{"hidden": h, "lr": lr} for h in (16, 48) for lr in (0.0003, 0.01)]

    # Nobody polls from here on, as when the page is closed: the study's own thread starts the waiting trials.
    assert wait_until(lambda: not study.running, 240)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert all(run.status == "done" and run.test_acc is None for run in study.runs)  # no trial looked at the test set
    table = next(d.value for d in at.dataframe if "trial" in d.value.columns)
    assert len(table) == 4 and list(table["status"]) == ["done"] * 4
    vals = [run.history[-1]["val_acc"] for run in study.runs]
    chosen = study.chosen()
    assert vals[chosen] == max(vals)
    assert scored == [chosen]  # the test set was used once, for the pick alone
    said = " ".join(s.value for s in at.success)
    assert "picked on the validation set; the test set was used once" in said
    assert f"{study.test_acc():.1%}" in said
    assert {run.id for run in study.runs} <= {run_id for run_id, _ in me.saved_runs()}  # each trial is a saved run
    assert me.run is None  # the trials did not take the place of the session's own run

    at.toggle(key="tune_peek").set_value(True).run()
    assert "overstates" in " ".join(w.value for w in at.warning)
    assert sorted(scored[1:]) == [0, 1, 2, 3]  # peeking scores every trial, and only when asked


def test_a_bad_value_is_shown_and_nothing_starts(open_page):
    at = open_section(open_page("train"), "tune_open")
    at.text_input(key="tune_lr").set_value("0.01, fast").run()
    assert any("'fast' is not a number" in e.value for e in at.error)
    assert at.button(key="tune_start").disabled
    assert at.session_state["session"].study is None


class FakeRun:
    """A run handle as a Study sees it, moved by the test instead of a worker."""

    def __init__(self, config, test_acc):
        self.config, self.id, self.history = config, "abcdef123456", []
        self.alive, self.status, self.epoch, self.seconds = True, "running", 0.0, 0.0
        self.net = self
        self.test_acc_of_net, self.scored = test_acc, 0

    def report(self, epoch, val_acc):
        self.history.append({"epoch": epoch, "val_acc": val_acc})
        self.epoch = epoch

    def finish(self):
        self.alive, self.status = False, "done"

    def stop(self):
        self.alive, self.status = False, "stopped"

    def evaluate(self, X, y):
        self.scored += 1
        return 0.0, self.test_acc_of_net


def test_halving_stops_laggards_as_they_come_and_the_pick_is_scored_once(splits):
    from nn.settings import TrainConfig
    from nn.tune import parse

    placed = []

    def place(config):
        placed.append(FakeRun(config, test_acc=0.5 + 0.1 * len(placed)))
        return placed[-1]

    study = Study(TrainConfig(epochs=4), dict([parse("lr", "0.1,0.01,0.001,0.0001")]), 0, True, place, splits)
    assert study.halving.rungs == [1, 2]
    study.update()
    assert len(placed) == 2  # two at a time: the others wait their turn
    placed[0].report(1, 0.8)
    study.update()
    assert placed[0].alive and len(placed) == 2
    placed[1].report(1, 0.6)  # behind trial 0 at epoch 1: stopped, and the next trial starts
    study.update()
    assert placed[1].status == "stopped" and len(placed) == 3
    placed[2].report(1, 0.9)
    placed[2].report(2, 0.95)
    study.update()
    placed[0].report(2, 0.85)
    study.update()  # trial 0 reaches epoch 2 behind trial 2, which got there first
    assert placed[0].status == "stopped" and placed[2].alive and len(placed) == 4
    placed[3].report(1, 0.99)
    placed[3].report(4, 0.97)
    placed[2].report(4, 0.96)
    study.update()
    assert placed[3].alive  # the best at both rungs
    placed[2].finish()
    placed[3].finish()
    study.update()
    assert not study.running and "stopped early (behind at epoch 1)" in study.rows()[1]["status"]
    assert study.chosen() == 3 and study.test_acc() == study.test_acc() == 0.8
    assert [r.scored for r in placed] == [0, 0, 0, 1]  # the pick alone, once
