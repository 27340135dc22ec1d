"""A session's run trains on its worker thread, is checkpointed as it goes, and comes back after a reload."""

import uuid

import numpy as np
import pytest

from nn.settings import TrainConfig
from ui.runs import store
from ui.runs import worker as runs
from ui.runs.scheduler import Scheduler
from ui.runs.worker import Run


@pytest.fixture(autouse=True)
def run_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_PLAYGROUND_RUNS", str(tmp_path))
    monkeypatch.setattr(runs, "SAVE_SECONDS", 0.0)
    return tmp_path


def test_finished_run_is_saved_and_restored(splits, run_folder):
    run = Run(
        uuid.uuid4().hex[:12],
        splits,
        TrainConfig(hidden=(16,), lr=0.01, epochs=2, train_size=300),
        data_name="sample",
        browser="me",
        scheduler=Scheduler(1),
    )
    run.start()
    run.join(60)
    assert run.status == "done" and 0 < run.test_acc <= 1
    back = Run.restore(run.id)
    assert back.status == "done" and not back.unfinished
    assert back.test_acc == run.test_acc and back.trainer.history == run.trainer.history
    for (name, a, _), (_, b, _) in zip(run.trainer.net.params(), back.trainer.net.params()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_run_cut_off_mid_training_carries_on(splits):
    run = Run(
        uuid.uuid4().hex[:12],
        splits,
        TrainConfig(hidden=(16,), epochs=3, train_size=300),
        browser="me",
        scheduler=Scheduler(1),
    )
    run.start(paused=True)
    run.control.step(5)
    while run.trainer.step_count < 5:
        run.join(0.05)
    run.save()  # what the worker does every few seconds; then the server restarts
    back = Run.restore(run.id)
    run.control.stop()
    assert back.unfinished and back.trainer.step_count == 5
    back.start()
    back.join(60)
    assert back.status == "done"
    assert back.trainer.step_count == back.trainer.total_steps


def test_unknown_or_unowned_runs_are_not_saved_or_found(splits, run_folder):
    run = Run(
        uuid.uuid4().hex[:12], splits, TrainConfig(hidden=(16,), epochs=1, train_size=100), scheduler=Scheduler(1)
    )
    run.start()
    run.join(60)
    assert list(run_folder.iterdir()) == []  # no browser: nothing written
    assert Run.restore("abcdef123456") is None


def test_a_tuning_trial_leaves_the_test_digits_alone_even_after_a_restart(splits, monkeypatch):
    scored = []
    monkeypatch.setattr(runs.Trainer, "test", lambda self: scored.append(self) or (0.0, 1.0))
    run = Run(uuid.uuid4().hex[:12], splits, TrainConfig(hidden=(16,), epochs=2, train_size=300), browser="me",
              scheduler=Scheduler(1), measure_test=False)
    run.start(paused=True)
    run.control.step(3)
    while run.trainer.step_count < 3:
        run.join(0.05)
    run.save()  # the worker dies here; the trial carries on elsewhere from its checkpoint
    back = Run.restore(run.id)
    run.control.stop()
    run.join(60)
    back.start()
    back.join(60)
    assert back.status == "done" and back.test_acc is None and run.test_acc is None
    assert scored == []


def test_a_run_carried_on_elsewhere_stops_the_copy_it_took_over_from(splits, run_folder, wait_until):
    def holder():
        """Return (lease, step) of the run's checkpoint now."""
        state = store.load(run.id, with_arrays=False)[1]
        return state["extra"]["lease"], state["step_count"]

    run = Run(uuid.uuid4().hex[:12], splits, TrainConfig(hidden=(16,), epochs=3000, train_size=300), browser="me",
              scheduler=Scheduler(1))
    run.pace(30.0)
    run.start(paused=True)
    run.control.step(5)
    while run.trainer.step_count < 5:
        run.join(0.05)
    run.save()
    # Two replicas carry the run on from this one checkpoint (the first replica's worker died meanwhile).
    older, newer = Run.restore(run.id, scheduler=Scheduler(1)), Run.restore(run.id, scheduler=Scheduler(1))
    run.control.stop()
    run.join(60)
    assert older.paced == newer.paced == 30.0  # slow motion carries on slow
    older.start()
    assert wait_until(lambda: holder()[0] == older.lease and holder()[1] > 5, 60), "the older copy saving"
    newer.start()
    older.join(30)  # the older copy stops at its next checkpoint, without measuring anything
    assert not older.alive and older.taken_over and older.status == "stopped" and older.test_acc is None
    assert newer.alive and not newer.taken_over
    taken_at = holder()
    assert taken_at[0] == newer.lease and older.lease[0] == 1 and newer.lease[0] == 2  # one above the file's
    assert wait_until(lambda: holder()[1] > taken_at[1], 60), "the newer copy saving on"
    assert holder()[0] == newer.lease
    newer.control.stop()
    newer.join(60)
    assert newer.status == "stopped" and holder()[0] == newer.lease
