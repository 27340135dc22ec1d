"""A reload, a dropped connection or a closed tab loses no run: the URL brings it back.

A reload starts a new Streamlit session.  With the browser and run ids in the URL, the new
session reattaches to the run if the server still has it, and otherwise restores it from its
checkpoint, carrying on if it was cut off mid-training.
"""

import uuid

import pytest

from nn.settings import TrainConfig
from ui.runs import store
from ui.runs.handle import RunHandle
from ui.runs.scheduler import Scheduler
from ui.runs.worker import Run

BROWSER = uuid.uuid4().hex[:16]  # this file's browser: the run folder is shared with the worker processes


@pytest.fixture
def open_train_page(open_page):
    """Return open(**params): an AppTest of the Train page opened with these URL query parameters."""
    return lambda **params: open_page("train", query=params)


def test_new_session_gets_ids_in_the_url(open_train_page):
    at = open_train_page()
    me = at.session_state["session"]
    assert len(me.browser) == 16
    assert at.query_params["b"] == me.browser


def saved_run(splits, config, browser=BROWSER, steps=None):
    """Train a run here, as a worker would, until it ends (or holds after ``steps``); return it, checkpointed.

    Only its checkpoint stays for the page to find: as after a server restart.
    """
    run = Run(uuid.uuid4().hex[:12], splits, config, data_name="bundled sample", browser=browser,
              scheduler=Scheduler(1))
    run.start(paused=steps is not None)
    if steps is None:
        run.join(60)
    else:
        run.control.step(steps)
        while not run.trainer.history or run.trainer.history[-1]["step"] < steps:  # reported: in the checkpoint
            run.join(0.05)
        run.save()  # its last checkpoint, written mid-training
    return run


def test_reload_brings_back_a_finished_run(splits, open_train_page):
    run = saved_run(splits, TrainConfig(hidden=(16,), epochs=1, train_size=300))
    at = open_train_page(b=BROWSER, run=run.id)
    back = at.session_state["session"].run
    assert back.id == run.id and back.status == "done"
    assert any(m.label == "Test accuracy" for m in at.metric)
    assert at.query_params["run"] == run.id


def test_reload_reattaches_to_the_live_run(open_train_page):
    run = RunHandle.start(TrainConfig(hidden=(16,), epochs=5000, train_size=300), browser=BROWSER)
    try:
        at = open_train_page(b=BROWSER, run=run.id)
        assert at.session_state["session"].run is run  # the very same run, still learning: nothing lost
        assert run.alive
    finally:
        run.stop()
        run.join(10)


def test_run_cut_off_mid_training_carries_on_after_a_restart(splits, open_train_page):
    run = saved_run(splits, TrainConfig(hidden=(16,), epochs=3, train_size=300), steps=4)
    try:  # the old server is gone (its run holds, never to move again); the checkpoint says "cut off at step 4"
        at = open_train_page(b=BROWSER, run=run.id)
        back = at.session_state["session"].run
        assert back.join(60)
        assert back.history[:len(run.trainer.history)] == run.trainer.history  # carried on from step 4, not 0
        assert back.step_count == back.total_steps and back.status == "done"
    finally:
        run.control.stop()


def test_unknown_or_malformed_run_ids_open_an_empty_page(open_train_page):
    for bad in ("ffffffffffff", "../../etc/passwd"):
        at = open_train_page(b=BROWSER, run=bad)
        assert at.session_state["session"].run is None
        assert "run" not in at.query_params


def test_saved_runs_of_this_browser_are_listed_opened_and_deleted(splits, open_train_page):
    run_folder = store.folder()
    config = TrainConfig(hidden=(16,), epochs=1, train_size=100)
    browser = uuid.uuid4().hex[:16]
    mine = [saved_run(splits, config, browser).id for _ in range(2)]
    other = saved_run(splits, config, browser=uuid.uuid4().hex[:16])
    at = open_train_page(b=browser)
    listed = [o.split(" ")[0] for o in at.selectbox(key="saved_run").options]
    assert sorted(listed) == sorted(i[:6] for i in mine)  # not the other browser's run
    at.selectbox(key="saved_run").set_value(mine[0])
    at.button(key="open_saved").click().run()
    assert at.session_state["session"].run.id == mine[0]
    at.selectbox(key="saved_run").set_value(mine[1]).run()
    at.button(key="delete_saved").click().run()
    assert not (run_folder / f"{mine[1]}.npz").exists()
    assert (run_folder / f"{mine[0]}.npz").exists() and (run_folder / f"{other.id}.npz").exists()
