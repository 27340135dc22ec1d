"""Tuning done right: trials from a grid or random draws, halving that stops the laggards, and one look at the test set.

The command line's ``tune`` runs in this process on a tiny slice of the bundled sample, so
the test can count every time a trial is scored on the test digits.
"""

import json
import math

import pytest

from nn import cli
from nn.files.model_file import load_model
from nn.settings import TrainConfig
from nn.train import Trainer
from nn.tune import Halving, apply, parse, pick, trials

TINY = ["--train-size", "300", "--epochs", "2", "--seed", "0"]


def tune(capsys, *args):
    """Run `python -m nn tune args` in this process; return (exit code, JSON results, stderr lines)."""
    code = cli.main(["tune", *map(str, args)])
    out, err = capsys.readouterr()
    return code, json.loads(out.strip().splitlines()[-1]), err.strip().splitlines()


@pytest.fixture
def test_scores(monkeypatch):
    """Count every scoring on the test set: return the list of the configs scored, in order."""
    scored, real = [], Trainer.test

    def counted(self):
        scored.append(self.config)
        return real(self)

    monkeypatch.setattr(Trainer, "test", counted)
    return scored


def test_tuning_picks_the_best_validation_accuracy_and_scores_only_it(capsys, test_scores, tmp_path):
    code, out, err = tune(capsys, *TINY, "--grid", "hidden=16,48", "--grid", "lr=0.0003,0.01",
                          "--out", tmp_path / "best.npz")
    assert code == 0
    vals = [t["val_accuracy"] for t in out["trials"]]
    assert len(vals) == 4 and len(set(vals)) > 1  # the settings matter on this slice
    best = max(range(4), key=vals.__getitem__)
    assert out["best"] == out["trials"][best]["settings"] and out["val_accuracy"] == vals[best]
    grid = [{"hidden": h, "lr": lr} for h in (16, 48) for lr in (0.0003, 0.01)]
    assert [t["settings"] for t in out["trials"]] == grid
    assert len(test_scores) == 1  # the test set was used once: for the picked trial alone
    assert test_scores[0] == apply(TrainConfig(train_size=300, epochs=2), out["best"])
    assert 0 < out["test_accuracy"] <= 1
    assert sum(line.startswith("trial ") for line in err) == 4 and "used once" in err[-2]
    net, meta = load_model(tmp_path / "best.npz")
    assert net.sizes[1] == out["best"]["hidden"] and meta["metrics"]["test_accuracy"] == out["test_accuracy"]


def test_halving_stops_the_worse_half_at_the_rung(capsys, test_scores):
    code, out, err = tune(capsys, "--train-size", "300", "--epochs", "4", "--halving",
                          "--grid", "lr=0.00001,0.0001,0.003,0.01")
    assert code == 0
    stopped = [t for t in out["trials"] if t["status"] == "stopped"]
    done = [t for t in out["trials"] if t["status"] == "done"]
    assert len(done) == 1 and len(stopped) == 3  # rungs at epochs 1 and 2, each keeping the better half
    assert sorted(t["epochs"] for t in stopped) == [1, 1, 2] and done[0]["epochs"] == 4
    assert out["best"] == done[0]["settings"] and len(test_scores) == 1
    assert sum("stopped early" in line for line in err) == 3


def test_random_draws_stay_in_range_on_a_log_scale_and_repeat_with_the_seed():
    space = dict([parse("lr", "0.0001, 0.1"), parse("hidden", "16,256"), parse("optimizer", "adam,rmsprop")])
    draws = trials(space, draws=200, seed=3)
    assert draws == trials(space, draws=200, seed=3) and draws != trials(space, draws=200, seed=4)
    lrs = [d["lr"] for d in draws]
    assert all(1e-4 <= lr <= 0.1 for lr in lrs)
    assert 0.3 < sum(lr < 0.00316 for lr in lrs) / len(lrs) < 0.7  # half below the middle decade, not 3%
    assert all(16 <= d["hidden"] <= 256 and isinstance(d["hidden"], int) for d in draws)
    assert {d["optimizer"] for d in draws} == {"adam", "rmsprop"}


def test_a_grid_is_every_combination_and_layers_share_the_width():
    space = dict([parse("hidden", "32,64"), parse("layers", "1,2,3")])
    grid = trials(space)
    assert len(grid) == 6 and {"hidden": 64, "layers": 3} in grid
    assert apply(TrainConfig(hidden=(128, 16)), {"layers": 3}).hidden == (128, 128, 128)
    assert apply(TrainConfig(hidden=(128, 16)), {"hidden": 8}).hidden == (8, 8)


def test_halving_rule_keeps_the_best_share_once_enough_are_measured():
    h = Halving(epochs=8)
    assert h.rungs == [1, 2, 4]
    h.record(1, 0, 0.5)
    assert not h.behind(1, 0)  # alone, nothing to be behind
    for trial, acc in ((1, 0.9), (2, 0.7), (3, math.nan)):
        h.record(1, trial, acc)
    assert [h.behind(1, t) for t in range(4)] == [True, False, False, True]
    assert pick([0.5, None, 0.9, 0.9, math.nan]) == 2 and pick([None]) is None


@pytest.mark.parametrize("grid, words", [
    ("foo=1,2", ["cannot vary 'foo'"]),
    ("lr=abc", ["'abc' is not a number"]),
    ("hidden=12.5", ["'12.5' is not a whole number"]),
    ("dropout=0.5,2", ["Dropout must be between"]),
    ("optimizer=sgd", ["Optimiser must be one of"]),
    ("hidden", ["NAME=V1,V2"]),
    ("lr=", ["at least one value"]),
])
def test_a_bad_grid_gets_one_line_and_exit_2(capsys, grid, words):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["tune", "--grid", grid])
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    for word in words:
        assert word in err, err
