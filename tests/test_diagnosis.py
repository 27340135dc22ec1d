"""The diagnosis of a run (nn/explain/diagnosis.py), each provoked by a real run on the bundled sample."""

import pytest

from nn.explain.diagnosis import diagnose
from nn.settings import TrainConfig
from nn.train import Trainer

# name -> (settings that provoke it, the kinds of diagnosis it must get)
RUNS = {
    "healthy": (dict(epochs=3), set()),
    "relu at lr 10 blows up, then every unit is silent": (dict(lr=10.0, epochs=3), {"diverged", "dead"}),
    "sigmoid at lr 10 blows up, units alive": (dict(activation="sigmoid", lr=10.0, epochs=3), {"diverged"}),
    "gradient descent at lr 3 kills the units without blowing up": (dict(optimizer="gd", lr=3.0, epochs=3),
                                                                      {"dead"}),
    "a learning rate of 1e-7 does not learn": (dict(lr=1e-7, epochs=4), {"flat"}),
    "small weights in three layers do not learn": (dict(init="small", hidden=(64, 64, 64), optimizer="gd", lr=0.01,
                                                        epochs=4), {"flat"}),
    "100 digits for 150 epochs overfit": (dict(train_size=100, hidden=(256,), lr=0.003, epochs=150),
                                          {"overfitting"}),
}


def trained(splits, **settings):
    """Return the history and config of a run on the sample, one report per epoch."""
    config = TrainConfig(**settings)
    trainer = Trainer(splits, config, report_seconds=0, report_epochs=True)
    for _ in trainer.run():
        pass
    return trainer.history, config, trainer.status


@pytest.mark.parametrize("name", list(RUNS))
def test_each_run_gets_the_diagnosis_it_provokes_and_only_that(splits, name):
    settings, kinds = RUNS[name]
    history, config, status = trained(splits, **settings)
    found = diagnose(history, config, status)
    assert {d.kind for d in found} == kinds, [d.text() for d in found]
    for d in found:
        assert d.shows and d.cause and d.advice and d.text().startswith(d.title)


def test_the_diagnosis_names_the_learning_rate_and_what_to_try(splits):
    history, config, status = trained(splits, lr=10.0, epochs=1)
    diverged = next(d for d in diagnose(history, config, status) if d.kind == "diverged")
    assert "learning rate 10 is too high for Adam" in diverged.cause
    assert "0.001" in diverged.advice


def test_a_run_whose_loss_became_nan_is_diverged_even_with_no_report():
    assert [d.kind for d in diagnose([], TrainConfig(lr=10.0), "diverged")] == ["diverged"]


def test_too_early_to_tell_is_no_diagnosis(splits):
    history, config, status = trained(splits, lr=1e-7, epochs=1)
    assert diagnose(history[:1], config, "running") == []
