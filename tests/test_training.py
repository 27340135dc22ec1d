"""Training on real digits: it learns, the controls work from another thread, and bad runs end cleanly."""

import math
import threading
import time

import numpy as np
import pytest

from nn import classic
from nn.data import load_dataset, make_splits
from nn.losses import L2
from nn.network import Network
from nn.optim import OPTIMIZERS
from nn.schedules import SCHEDULES
from nn.settings import TrainConfig
from nn.train import Control, Trainer

LR = {"gd": 0.1, "momentum": 0.02, "adam": 0.002, "rmsprop": 0.002}  # a rate that suits each optimiser on this data
METRIC_KEYS = {"step", "epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds",
               "grad_norm", "dead_relu", "update_ratio"}


def trainer(splits, net=None, report_epochs=False, **settings):
    """Return a Trainer of a small net that reports only at the end (and each epoch if asked)."""
    config = TrainConfig(**{"hidden": (32,), "batch_size": 50, "epochs": 2, "train_size": 500, **settings})
    return Trainer(splits, config, net, report_seconds=0, report_epochs=report_epochs)


def same_weights(a, b):
    """Return True when two {name: array} weight dicts are equal."""
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_a_tiny_batch_is_learnt_by_heart(splits):
    t = trainer(splits, hidden=(64,), optimizer="adam", lr=0.01, batch_size=32, train_size=32, epochs=30)
    list(t.run())
    assert t.status == "done"
    loss, accuracy = t.net.evaluate(t.X, t.y)
    assert accuracy == 1.0 and loss < 0.01


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_every_optimizer_and_schedule_lowers_the_loss(splits, optimizer, schedule):
    t = trainer(splits, optimizer=optimizer, schedule=schedule, lr=LR[optimizer], epochs=3)
    before = t.net.evaluate(t.X, t.y)[0]
    list(t.run())
    after = t.net.evaluate(t.X, t.y)[0]
    assert after < 0.8 * before


def test_gradients_never_change_the_weights(splits):
    net = Network(hidden=(32, 16), dropout=0.2, seed=0)
    before = net.copy_weights()
    net.gradients(splits.X_train[:64], splits.y_train[:64], L2(1.0, 1000))
    assert same_weights(net.copy_weights(), before)
    assert all(np.abs(g).sum() > 0 for _, _, g in net.params())


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_a_step_moves_every_weight_and_leaves_the_gradients_readable(splits, optimizer):
    net = Network(hidden=(32,), seed=0)
    step = OPTIMIZERS[optimizer](net.params())
    for i in range(3):  # later steps use the optimiser's running state
        before = net.copy_weights()
        net.gradients(splits.X_train[64 * i:64 * (i + 1)], splits.y_train[64 * i:64 * (i + 1)])
        grads = {name: g.copy() for name, _, g in net.params()}
        step.step(0.01)
        for name, p, g in net.params():
            assert not np.array_equal(p, before[name]), f"{name} did not move"
            assert np.array_equal(g, grads[name]), f"d{name} changed in the step"


def test_full_batch_gd_matches_the_seed_notebook(splits):
    iterations, alpha = 15, 0.1
    W1, b1, W2, b2 = classic.init_params(hidden=10, seed=7)
    net = Network(hidden=(10,), dtype=np.float64)
    net.set_weights({"W1": W1.T, "b1": b1[:, 0], "W2": W2.T, "b2": b2[:, 0]})
    t = trainer(splits, net, hidden=(10,), optimizer="gd", lr=alpha, batch_size=0, epochs=iterations, train_size=300)
    list(t.run())
    assert t.step_count == iterations

    X = t.X.astype(np.float64).T
    expected = classic.gradient_descent(X, t.y, alpha, iterations, hidden=10, seed=7)
    for got, want in zip((net.dense[0].W.T, net.dense[0].b, net.dense[1].W.T, net.dense[1].b), expected):
        np.testing.assert_allclose(got, want.reshape(got.shape), rtol=1e-9, atol=1e-12)


class WatchedControl(Control):
    """A Control that signals whenever the run starts to hold."""

    def __init__(self):
        super().__init__()
        self.held = threading.Event()

    def idle(self):
        """Signal that the run holds."""
        self.held.set()


def start(t, control):
    """Run the trainer on a daemon thread; return the thread."""
    thread = threading.Thread(target=lambda: list(t.run(control)), daemon=True)
    thread.start()
    return thread


def hold(t, control):
    """Pause the run, wait until it holds and return its step count there."""
    control.held.clear()
    control.pause()
    assert control.held.wait(20), "the run did not hold after pause"
    return t.step_count


def test_pause_step_resume_and_stop_from_another_thread(splits, wait_until):
    t = trainer(splits, epochs=5000, train_size=200)  # 20,000 steps: still running when the test ends
    initial = t.net.copy_weights()
    control = WatchedControl()
    thread = start(t, control)
    try:
        assert wait_until(lambda: t.step_count >= 5)
        paused_at = hold(t, control)
        held_weights = t.net.copy_weights()
        assert control.holding

        control.held.clear()
        control.step(3)
        assert control.held.wait(20)
        # Exactly three: a step slipping through the pause would make it four.
        assert t.step_count == paused_at + 3
        assert not same_weights(t.net.copy_weights(), held_weights)

        control.resume()
        assert wait_until(lambda: t.step_count >= paused_at + 20)
        paused_at = hold(t, control)
        weights = t.net.copy_weights()
        control.stop()
        thread.join(20)
        assert not thread.is_alive()
        assert t.status == "stopped" and t.step_count == paused_at
        assert same_weights(t.net.copy_weights(), weights)
        assert not same_weights(weights, initial)
    finally:
        control.stop()


def test_stop_while_running_keeps_the_learnt_weights(splits, wait_until):
    t = trainer(splits, epochs=5000, train_size=200)
    control = Control()
    thread = start(t, control)
    try:
        assert wait_until(lambda: t.step_count >= 40)
    finally:
        control.stop()
    thread.join(20)
    assert not thread.is_alive() and t.status == "stopped"
    stopped_at = t.step_count
    assert 40 <= stopped_at < t.total_steps
    assert t.net.evaluate(t.X, t.y)[1] > 0.5


def test_pause_holds_even_after_an_unfinished_step_request():
    control = Control()
    control.step(100)  # Step 100 ...
    control.resume()  # ... Resume before they are done ...
    control.pause()  # ... then Pause: the run must hold after its current step
    assert control.holding


class Paced(Control):
    """A Control that notes when each step was let go and how often it gave its resources back."""

    def __init__(self):
        super().__init__()
        self.times, self.idles = [], 0

    def wait(self):
        go = super().wait()
        self.times.append(time.monotonic())
        return go

    def idle(self):
        self.idles += 1


def test_a_gap_spaces_the_steps_and_gives_resources_back_in_between(splits):
    control = Paced()
    control.set_gap(0.05)
    trainer = Trainer(splits, TrainConfig(train_size=64 * 4, epochs=2), report_seconds=0)
    for _ in trainer.run(control):
        pass
    assert trainer.status == "done" and trainer.step_count == 8
    assert min(np.diff(control.times)) >= 0.05 * 0.99  # at least the gap between steps
    assert control.idles >= 1  # the compute slot is free while a slow-motion run waits (a slow step needs no wait)


def test_steps_asked_for_go_at_once_whatever_the_gap():
    control = Control()
    control.set_gap(3600.0)
    control.pause()
    control.step(3)
    took = []
    worker = threading.Thread(target=lambda: took.extend(control.wait() for _ in range(3)), daemon=True)
    worker.start()
    worker.join(30)
    assert took == [True, True, True]


def test_learning_rate_changed_mid_run_is_used(splits):
    t = trainer(splits, optimizer="gd", lr=0.1, epochs=4, report_epochs=True)
    reports = t.run()
    assert next(reports)["lr"] == 0.1
    t.lr = 0.0
    weights = t.net.copy_weights()
    assert next(reports)["lr"] == 0.0
    assert same_weights(t.net.copy_weights(), weights)  # a zero step size moved nothing
    t.lr = 0.05
    assert next(reports)["lr"] == 0.05
    assert not same_weights(t.net.copy_weights(), weights)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN on purpose
def test_a_nan_ends_the_run_with_the_last_good_weights(splits):
    t = trainer(splits, epochs=6, report_epochs=True)
    reports = t.run()
    next(reports)
    next(reports)
    good = t.net.copy_weights()
    t.net.dense[1].W[0, 0] = np.nan  # as if the last step had blown up
    assert list(reports) == []
    assert t.status == "diverged"
    assert "learning rate" in t.message
    assert same_weights(t.net.copy_weights(), good)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN on purpose
def test_an_update_that_overflows_never_becomes_the_last_good_weights():
    # No validation set: only the weights themselves can tell that the last update overflowed.
    splits = make_splits(load_dataset("sample"), val_fraction=0, train_size=200, seed=0)
    t = trainer(splits, epochs=6, train_size=200, report_epochs=True)
    real_step = t.optimizer.step

    def overflowing_step(lr):
        real_step(lr)
        if t.step_count + 1 == 2 * t.steps_per_epoch:  # the update that ends epoch 2
            t.net.dense[0].W[300, 0] = np.inf

    t.optimizer.step = overflowing_step
    reports = t.run()
    next(reports)
    good = t.net.copy_weights()
    assert len(list(reports)) == 1  # epoch 2 is reported, then the next step's loss is NaN
    assert t.status == "diverged"
    assert all(np.isfinite(p).all() for _, p, _ in t.net.params())
    assert same_weights(t.net.copy_weights(), good)


@pytest.mark.parametrize("settings, message", [
    ({"lr": 0}, "Learning rate must be between"),
    ({"hidden": (0,)}, "Hidden layers must be between 1 and 1024, not 0"),
    ({"hidden": (64,) * 5}, "between 1 and 4 layers, not 5"),
    ({"activation": "softsign"}, "Activation must be one of"),
])
def test_config_rejects_bad_values_with_a_plain_message(settings, message):
    with pytest.raises(ValueError, match=message) as error:
        TrainConfig(**settings)
    assert "\n" not in str(error.value)


def test_metrics_have_every_number(splits):
    t = trainer(splits, hidden=(32, 16), epochs=2, report_epochs=True)
    for m in t.run():
        assert set(m) == METRIC_KEYS
        assert len(m["grad_norm"]) == len(m["update_ratio"]) == 3 and len(m["dead_relu"]) == 2
        assert all(0 <= d <= 1 for d in m["dead_relu"])
        assert all(r > 0 for r in m["update_ratio"])
        assert all(math.isfinite(m[k]) for k in ("train_loss", "train_acc", "val_loss", "val_acc"))


def test_a_conv_runs_metrics_have_each_conv_layers_health(splits):
    t = trainer(splits, conv=((4, 5), (6, 3)), hidden=(16,), report_epochs=True)
    reports = list(t.run())
    assert len(reports) == 2
    for m in reports:
        assert set(m) == METRIC_KEYS | {"conv_grad_norm", "conv_update_ratio", "conv_dead_relu"}
        assert len(m["conv_grad_norm"]) == len(m["conv_update_ratio"]) == len(m["conv_dead_relu"]) == 2
        assert len(m["grad_norm"]) == 2 and len(m["dead_relu"]) == 1  # the dense layers keep their places
        assert all(g > 0 for g in m["conv_grad_norm"]) and all(r > 0 for r in m["conv_update_ratio"])
        assert all(0 <= d <= 1 for d in m["conv_dead_relu"])


def test_conv_health_numbers_match_a_separate_computation(splits):
    """A full batch, so a twin network given the same weights sees exactly what the step saw."""
    t = trainer(splits, conv=((4, 5),), hidden=(16,), batch_size=0, train_size=200, optimizer="adam", lr=0.01)
    t.net.conv[0].W[1] = -np.abs(t.net.conv[0].W[1])  # channel 1 answers ink with nothing but negative sums:
    before = t.net.copy_weights()  # it never fires, whatever the digit
    t.step()
    m = t.metrics(before)
    twin = Network.from_config(t.config)
    twin.set_weights(before)
    twin.gradients(t.X, t.y)
    z = twin.trace(t.X)[0][0]  # the conv output (n, 4, 24, 24), before pooling and ReLU
    silent = (z <= 0).all(axis=(0, 2, 3))
    assert silent[1] and m["conv_dead_relu"] == [pytest.approx(silent.mean())]
    assert m["conv_grad_norm"] == [pytest.approx(float(np.linalg.norm(twin.conv[0].dW)), rel=1e-5)]
    W, W0 = t.net.conv[0].W, before["conv1.W"]
    assert m["conv_update_ratio"] == [pytest.approx(float(np.linalg.norm(W - W0) / np.linalg.norm(W)), rel=1e-5)]
    assert m["conv_update_ratio"][0] != m["update_ratio"][0]  # its own layer's ratio, not W1's


def test_epoch_reports_come_once_per_epoch(splits):
    t = trainer(splits, epochs=3, report_epochs=True)
    assert [m["epoch"] for m in t.run()] == [1.0, 2.0, 3.0]
    assert [m["step"] for m in t.history] == [10, 20, 30]


def test_metrics_only_read_and_start_window_starts_a_new_average(splits):
    t = trainer(splits)
    losses = [t.step() for _ in range(3)]
    first = t.metrics()
    assert first["train_loss"] == pytest.approx(np.mean(losses))
    assert t.metrics()["train_loss"] == first["train_loss"]  # reading twice changes nothing
    t.start_window()
    later = t.step()
    assert t.metrics()["train_loss"] == pytest.approx(later)


def test_a_report_says_the_seconds_trained_so_far(splits):
    t = trainer(splits, report_epochs=True)
    reports = list(t.run())
    assert 0 < reports[0]["seconds"] < reports[1]["seconds"] <= t.seconds


def test_the_transform_varies_every_training_batch_and_nothing_else(splits):
    calls = []

    def blank(X, rng):
        calls.append((X.shape, rng))
        return np.zeros_like(X)

    t = Trainer(splits, TrainConfig(hidden=(16,), batch_size=50, epochs=1, train_size=200), transform=blank)
    t.step()
    assert calls == [((50, 784), t.rng)]
    assert not t.net.dense[0].dW.any()  # the network learned from the blank batch, not the digits
    t.metrics()
    t.test()
    assert len(calls) == 1  # validation and test digits are never transformed


def test_transform_for_picks_augmentation_from_the_settings():
    from nn.digits.augment import augment, transform_for

    assert transform_for(TrainConfig(augment=True)) is augment
    assert transform_for(TrainConfig(augment=False)) is None


def test_every_setting_declares_a_widget_with_what_it_needs():
    from nn.settings import SETTINGS, WIDGETS, display_name

    needs = {"layers": ("lo", "hi", "step", "max_count"), "conv_layers": ("lo", "hi", "max_count", "kernels"),
             "choice": ("choices",), "checkbox": (),
             "log_choice": ("lo", "hi"), "number": ("lo", "hi", "step")}
    assert needs.keys() == WIDGETS.keys()
    for f in SETTINGS:
        m = f.metadata
        assert all(m[k] is not None for k in needs[m["widget"]]), f.name
        assert "seeds" not in m["help"], f.name  # newcomers have no seed notebooks: say "the classic notebook"
    optimizer = next(f for f in SETTINGS if f.name == "optimizer")
    assert display_name(optimizer, "gd") == "gradient descent" and display_name(optimizer, "adam") == "adam"
