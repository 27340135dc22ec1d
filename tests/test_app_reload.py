"""A reload, a dropped connection or a closed tab loses no run: the URL brings it back.

A reload starts a new Streamlit session.  With the browser and run ids in the URL, the new
session reattaches to the run if the server still has it, and otherwise restores it from its
checkpoint, carrying on if it was cut off mid-training.
"""

import pytest

from nn.settings import TrainConfig
from ui import runs
from ui.runs import Run
from ui.scheduler import Scheduler

BROWSER = "0123456789abcdef"


@pytest.fixture(autouse=True)
def run_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_PLAYGROUND_RUNS", str(tmp_path))
    return tmp_path


@pytest.fixture
def open_train_page(open_page):
    """Return open(**params): an AppTest of the Train page opened with these URL query parameters."""
    return lambda **params: open_page("train", query=params)


def test_new_session_gets_ids_in_the_url(open_train_page):
    at = open_train_page()
    lab = at.session_state["lab"]
    assert len(lab.browser) == 16
    assert at.query_params["b"] == lab.browser


def test_reload_brings_back_a_finished_run(splits, open_train_page):
    run = Run(splits, TrainConfig(hidden=(16,), epochs=1, train_size=300), data_name="bundled sample",
              browser=BROWSER, scheduler=Scheduler(1))
    run.start()
    run.join(60)
    del runs.LIVE[run.id]  # as after a server restart: only the checkpoint is left
    at = open_train_page(b=BROWSER, run=run.id)
    back = at.session_state["lab"].run
    assert back is not run and back.id == run.id and back.status == "done"
    assert any(m.label == "Test accuracy" for m in at.metric)
    assert at.query_params["run"] == run.id


def test_reload_reattaches_to_the_live_run(splits, open_train_page):
    run = Run(splits, TrainConfig(hidden=(16,), epochs=5000, train_size=300), browser=BROWSER,
              scheduler=Scheduler(1))
    run.start()
    try:
        at = open_train_page(b=BROWSER, run=run.id)
        assert at.session_state["lab"].run is run  # the very same run, still learning: nothing lost
    finally:
        run.stop()
        run.join(10)


def test_run_cut_off_mid_training_carries_on_after_a_restart(splits, open_train_page):
    run = Run(splits, TrainConfig(hidden=(16,), epochs=3, train_size=300), browser=BROWSER, scheduler=Scheduler(1))
    run.start(paused=True)
    run.step(4)
    while run.trainer.step_count < 4:
        run.join(0.05)
    run.save()  # its last checkpoint, written mid-training; then the server "restarts"
    runs.LIVE.pop(run.id)
    try:
        at = open_train_page(b=BROWSER, run=run.id)
        back = at.session_state["lab"].run
        assert back is not run
        back.join(60)
        assert back.history[:len(run.history)] == run.history  # carried on from step 4, not from scratch
        assert back.trainer.step_count == back.trainer.total_steps and back.status == "done"
    finally:
        run.stop()
        run.join(10)


def test_unknown_or_malformed_run_ids_open_an_empty_page(open_train_page):
    for bad in ("ffffffffffff", "../../etc/passwd"):
        at = open_train_page(b=BROWSER, run=bad)
        assert at.session_state["lab"].run is None
        assert "run" not in at.query_params


def test_saved_runs_of_this_browser_are_listed_opened_and_deleted(splits, run_folder, open_train_page):
    mine = []
    for _ in range(2):
        run = Run(splits, TrainConfig(hidden=(16,), epochs=1, train_size=100), data_name="bundled sample",
                  browser=BROWSER, scheduler=Scheduler(1))
        run.start()
        run.join(60)
        mine.append(run.id)
    other = Run(splits, TrainConfig(hidden=(16,), epochs=1, train_size=100), browser="fedcba9876543210",
                scheduler=Scheduler(1))
    other.start()
    other.join(60)
    at = open_train_page(b=BROWSER)
    listed = [o.split(" ")[0] for o in at.selectbox(key="saved_run").options]
    assert sorted(listed) == sorted(i[:6] for i in mine)  # not the other browser's run
    at.selectbox(key="saved_run").set_value(mine[0])
    at.button(key="open_saved").click().run()
    assert at.session_state["lab"].run.id == mine[0]
    at.selectbox(key="saved_run").set_value(mine[1]).run()
    at.button(key="delete_saved").click().run()
    assert not (run_folder / f"{mine[1]}.npz").exists()
    assert (run_folder / f"{mine[0]}.npz").exists() and (run_folder / f"{other.id}.npz").exists()
