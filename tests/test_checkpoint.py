"""A run checkpointed and restored carries on exactly as if nothing had happened; the run folder stays tidy."""

import json
import os

import numpy as np
import pytest

from nn.files import model_file as modelio
from nn.files.checkpoint import read_checkpoint, restore_trainer, save_checkpoint
from nn.files.model_file import ModelFileError
from nn.settings import TrainConfig
from nn.train import Trainer
from ui.runs import store


@pytest.mark.parametrize("optimizer, conv", [("gd", ()), ("momentum", ()), ("adam", ()), ("rmsprop", ()),
                                            ("adam", ((4, 5),))])
def test_restored_run_continues_exactly(splits, tmp_path, optimizer, conv):
    config = TrainConfig(hidden=(32,), optimizer=optimizer, lr=0.01, batch_size=50, epochs=2, train_size=600,
                         conv=conv)
    a = Trainer(splits, config)
    for _ in range(17):  # stop mid-epoch (12 steps per epoch), so the shuffled order matters too
        a.step()
    save_checkpoint(tmp_path / "run.npz", a, {"browser": "b1"})
    arrays, state = read_checkpoint(tmp_path / "run.npz")
    b = restore_trainer(splits, arrays, state)
    assert state["extra"] == {"browser": "b1"}
    assert b.step_count == 17
    for _ in range(7):
        a.step()
        b.step()
    for (name, wa, _), (_, wb, _) in zip(a.net.params(), b.net.params()):
        np.testing.assert_array_equal(wa, wb, err_msg=name)


def test_history_lr_and_status_come_back(splits, tmp_path):
    t = Trainer(splits, TrainConfig(hidden=(16,), epochs=1, train_size=300), report_epochs=True)
    list(t.run())
    t.lr = 0.005
    save_checkpoint(tmp_path / "run.npz", t)
    restored = restore_trainer(splits, *read_checkpoint(tmp_path / "run.npz"))
    assert restored.status == "done"
    assert restored.lr == 0.005
    assert restored.history == t.history
    assert restored.test() == t.test()


def test_damaged_checkpoint_is_refused_plainly(splits, tmp_path):
    t = Trainer(splits, TrainConfig(hidden=(16,), train_size=100))
    path = tmp_path / "run.npz"
    save_checkpoint(path, t)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ModelFileError, match="damaged"):
        read_checkpoint(path)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelFileError):
        read_checkpoint(path)


def test_crash_mid_write_keeps_the_previous_checkpoint(splits, tmp_path, monkeypatch):
    t = Trainer(splits, TrainConfig(hidden=(16,), train_size=100))
    path = tmp_path / "run.npz"
    save_checkpoint(path, t)
    before = path.read_bytes()
    t.step()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(modelio.np, "savez", crash)
    with pytest.raises(OSError):
        save_checkpoint(path, t)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]


def test_store_finds_runs_by_browser_and_refuses_paths(splits, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_PLAYGROUND_RUNS", str(tmp_path))
    t = Trainer(splits, TrainConfig(hidden=(16,), train_size=100))
    store.save("aaaaaa", t, {"browser": "me"})
    store.save("bbbbbb", t, {"browser": "someone else"})
    assert [run_id for run_id, _ in store.runs_of("me")] == ["aaaaaa"]
    assert store.load("cccccc") is None
    for bad in ("../../etc/passwd", "", "AAAAAA", "a/b"):
        with pytest.raises(ValueError):
            store.path_of(bad)
    store.delete("aaaaaa")
    assert store.runs_of("me") == []


def test_store_trims_oldest_first_to_the_cap(splits, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_PLAYGROUND_RUNS", str(tmp_path))
    t = Trainer(splits, TrainConfig(hidden=(16,), train_size=100))
    for i, run_id in enumerate(["aaaaa1", "aaaaa2", "aaaaa3"]):
        store.save(run_id, t, {"browser": "me"})
        path = store.path_of(run_id)
        size = path.stat().st_size
        os.utime(path, (1000 + i, 1000 + i))
    store.trim(cap=2 * size)
    assert sorted(p.stem for p in tmp_path.glob("*.npz")) == ["aaaaa2", "aaaaa3"]


def test_state_round_trips_with_its_reporting_window_and_transform(splits, tmp_path):
    config = TrainConfig(hidden=(16,), batch_size=50, epochs=2, train_size=300)
    shift = lambda X, rng: np.roll(X, int(rng.integers(1, 3)), axis=1)  # draws from the trainer's rng, as augment does
    a = Trainer(splits, config, transform=shift)
    for _ in range(4):
        a.step()
    save_checkpoint(tmp_path / "run.npz", a)
    b = restore_trainer(splits, *read_checkpoint(tmp_path / "run.npz"), transform=shift)
    assert b.transform is shift
    for _ in range(5):
        assert a.step() == b.step()
    assert b.metrics()["train_loss"] == a.metrics()["train_loss"]  # the window began before the checkpoint
    for (name, wa, _), (_, wb, _) in zip(a.net.params(), b.net.params()):
        np.testing.assert_array_equal(wa, wb, err_msg=name)


def test_a_version_1_file_without_the_reporting_window_still_restores(splits, tmp_path):
    # The layout checkpoints had before Trainer.state existed: the same keys, no "window".
    config = TrainConfig(hidden=(16,), optimizer="momentum", batch_size=50, epochs=2, train_size=300)
    a = Trainer(splits, config)
    for _ in range(3):
        a.step()
    state = {"version": 1, "config": config.to_dict(), "step_count": a.step_count, "seconds": 1.5, "history": [],
             "lr": a.lr, "status": "running", "message": "", "optimizer_t": a.optimizer.t,
             "rng": a.rng.bit_generator.state, "extra": {"browser": "b1"}}
    arrays = {name: p for name, p, _ in a.net.params()}
    arrays.update({f"opt_{k}": v for k, v in a.optimizer.state().items()})
    arrays["order"] = a._order
    np.savez(tmp_path / "old.npz", **arrays, checkpoint=np.array(json.dumps(state)))
    b = restore_trainer(splits, *read_checkpoint(tmp_path / "old.npz"))
    assert (b.step_count, b.seconds, b.status) == (3, 1.5, "running")
    for _ in range(4):
        assert a.step() == b.step()
