"""Settings at their extremes either train or are refused by their bounds, and a run that blows up ends cleanly.

Every bound comes from ``nn.settings.SETTINGS``, so a new or changed setting is
tested by itself.  Each run takes a few steps on a small slice of the bundled
sample: the point is that nothing crashes, hangs or leaves NaN weights behind.
"""

from dataclasses import replace

import numpy as np
import pytest

from nn.settings import SETTINGS, TrainConfig
from nn.train import Control, Trainer
from ui.runs.scheduler import Scheduler
from ui.runs.worker import Run

SMALL = TrainConfig(hidden=(32,), batch_size=32, epochs=1, train_size=64)
# A setting that really does blow up on this data: momentum carries a too-big step into the next one.
DIVERGES = replace(SMALL, hidden=(32, 32), activation="leaky_relu", optimizer="momentum", lr=10.0, train_size=500)
BOUNDED = [f for f in SETTINGS if f.metadata["lo"] is not None]


class Steps(Control):
    """Let a run take at most n steps, then stop it."""

    def __init__(self, n):
        super().__init__()
        self.left = n

    def wait(self):
        """Count the step down; return False once n steps were taken."""
        self.left -= 1
        return self.left >= 0 and super().wait()


def finite(net):
    """Return True when every weight and bias of net is a finite number."""
    return all(np.isfinite(p).all() for _, p, _ in net.params())


def extremes():
    """Return (setting name, value) for each end of every bounded setting and every choice."""
    cases = []
    for f in SETTINGS:
        m = f.metadata
        if f.name == "hidden":
            cases += [("hidden", (m["lo"],)), ("hidden", (m["hi"],) * m["max_count"])]
        elif f.name == "conv":  # the most layers fit only with small kernels: 28 -> 27 -> 13 -> 12 -> 6 -> 5 -> 2
            (k_lo, k_hi), most = m["kernels"], m["max_count"]
            cases += [("conv", ((m["lo"], k_lo),)), ("conv", ((m["hi"], k_hi),)), ("conv", ((m["hi"], k_lo),) * most)]
        elif m["lo"] is not None:
            cases += [(f.name, m["lo"]), (f.name, m["hi"])]
        elif m["choices"] is not None:
            cases += [(f.name, c) for c in m["choices"]]
    return cases


def outside(f):
    """Return values just outside setting f's bounds."""
    lo, hi = f.metadata["lo"], f.metadata["hi"]
    if f.name == "hidden":
        return [(lo - 1,), (hi + 1,), (lo,) * (f.metadata["max_count"] + 1)]
    if f.name == "conv":
        k_lo, k_hi = f.metadata["kernels"]
        too_many = ((8, 3),) * (f.metadata["max_count"] + 1)
        return [((lo - 1, 5),), ((hi + 1, 5),), ((8, k_lo - 1),), ((8, k_hi + 1),), too_many]
    if isinstance(f.default, int):
        return [lo - 1, hi + 1]
    return [lo / 10 if lo > 0 else lo - 0.1, hi * 2]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflow on the way to a blow-up is expected
@pytest.mark.parametrize("name, value", extremes(), ids=lambda v: str(v)[:12])
def test_every_setting_at_each_end_trains_or_stops_cleanly(splits, name, value):
    t = Trainer(splits, replace(SMALL, **{name: value}), report_seconds=0)
    list(t.run(Steps(3)))  # a few steps: 1,024 x 4 or 5,000 epochs would take long, and need not
    assert t.status in ("done", "stopped", "diverged")
    assert finite(t.net)
    p = t.net.predict_proba(splits.X_test[:50])
    assert np.isfinite(p).all() and np.allclose(p.sum(axis=1), 1, atol=1e-4)


@pytest.mark.parametrize("f", BOUNDED, ids=lambda f: f.name)
def test_values_just_outside_the_bounds_are_refused_in_one_plain_line(f):
    for value in outside(f):
        with pytest.raises(ValueError, match=f.metadata["label"]) as error:
            TrainConfig(**{f.name: value})
        assert "\n" not in str(error.value)


def test_zero_epochs_is_refused_saying_the_range():
    with pytest.raises(ValueError, match="Epochs must be between 1 and 5000, not 0"):
        TrainConfig(epochs=0)


def test_the_pages_widgets_have_the_settings_bounds_and_refuse_beyond(open_page):
    at = open_page("train", session={"set_more_open": True})  # More settings open: every setting drawn
    widgets = {w.key: w for w in at.number_input}
    for f in BOUNDED:
        m = f.metadata
        if f.name == "lr":
            options = at.selectbox(key="set_lr").options
            assert (float(options[0]), float(options[-1])) == (m["lo"], m["hi"])
        elif f.name == "conv":
            assert (widgets["set_conv_count"].min, widgets["set_conv_count"].max) == (0, m["max_count"])
        else:
            w = widgets["set_hidden_0" if f.name == "hidden" else f"set_{f.name}"]
            assert (w.min, w.max) == (m["lo"], m["hi"]), f.name
    at.number_input(key="set_epochs").set_value(0).run()
    assert at.number_input(key="set_epochs").value == 10  # the widget keeps its last good value
    assert not at.exception and not at.error
    conv = next(f for f in BOUNDED if f.name == "conv").metadata
    at.number_input(key="set_conv_count").set_value(1).run()
    channels, kernel = at.number_input(key="set_conv_0_channels"), at.number_input(key="set_conv_0_kernel")
    assert (channels.min, channels.max, kernel.min, kernel.max) == (conv["lo"], conv["hi"], *conv["kernels"])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_learning_rate_10_that_blows_up_stops_as_diverged_with_the_last_good_weights(splits):
    t = Trainer(splits, DIVERGES, report_seconds=0)
    start = t.net.copy_weights()  # the last good weights: nothing was reported before the blow-up
    list(t.run())
    assert t.status == "diverged"
    assert "learning rate may be too high: try 1." in t.message
    assert finite(t.net)
    assert all(np.array_equal(start[k], w) for k, w in t.net.copy_weights().items())
    assert np.isfinite(t.test()).all()


def test_learning_rate_1e_7_trains_but_barely_moves_the_weights(splits):
    t = Trainer(splits, replace(SMALL, lr=1e-7, train_size=500), report_seconds=0)
    start = t.net.copy_weights()
    list(t.run())
    moved = max(float(np.abs(w - start[k]).max()) for k, w in t.net.copy_weights().items())
    assert t.status == "done" and 0 < moved < 1e-5


def test_1024_neurons_by_4_layers_takes_steps(splits):
    t = Trainer(splits, replace(SMALL, hidden=(1024,) * 4), report_seconds=0)
    losses = [t.step(), t.step()]
    assert t.net.sizes == [784, 1024, 1024, 1024, 1024, 10]
    assert np.isfinite(losses).all() and finite(t.net)


def test_batch_of_one_takes_a_step_per_digit(splits):
    t = Trainer(splits, replace(SMALL, batch_size=1, train_size=40), report_seconds=0)
    list(t.run())
    assert t.status == "done" and t.step_count == t.steps_per_epoch == 40


def test_a_batch_larger_than_the_data_is_the_full_batch(splits):
    big = Trainer(splits, replace(SMALL, batch_size=60000, epochs=3), report_seconds=0)
    full = Trainer(splits, replace(SMALL, batch_size=0, epochs=3), report_seconds=0)
    list(big.run())
    list(full.run())
    assert big.batch == len(big.X) == 64 and big.steps_per_epoch == 1
    assert all(np.array_equal(w, full.net.copy_weights()[k]) for k, w in big.net.copy_weights().items())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("config, status", [
    (DIVERGES, "diverged"),
    (replace(SMALL, hidden=(1024,) * 4, train_size=32), "done"),
    (replace(SMALL, hidden=(1,), lr=1e-7, batch_size=1, train_size=20), "done"),
], ids=["lr 10 blows up", "1024x4", "one neuron, lr 1e-7, batch 1"])
def test_a_sessions_run_with_extreme_settings_ends_with_a_plain_status(splits, config, status, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_PLAYGROUND_RUNS", str(tmp_path))
    run = Run("0123456789ab", splits, config, data_name="sample", browser="me", scheduler=Scheduler(1))
    run.start()
    run.join(60)
    assert not run.alive and run.status == status and not run.error
    assert finite(run.trainer.net) and 0 <= run.test_acc <= 1
    back = Run.restore(run.id)  # what a reload shows
    assert back.status == status and finite(back.trainer.net)
