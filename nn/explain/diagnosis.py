"""Say in plain words what went wrong with a run, from its reported metrics and its settings.

A run can end "done" without learning anything: at learning rate 10 the loss shoots up,
every ReLU unit falls silent and the accuracy stays at chance, yet nothing becomes NaN.
``diagnose`` reads a run's history (the metric dicts ``nn.train.Trainer`` reports) and its
``TrainConfig`` and returns what it finds: diverged, dead network, not learning, overfitting,
each with what the numbers show, the likely cause and what to try.  Pure functions on plain
values, for any page or script.  Not for showing them (the Train page does) nor for stopping
a run (the Trainer stops only on a loss that is not finite).
"""

import math
from dataclasses import dataclass

N_CLASSES = 10
START_LOSS = math.log(N_CLASSES)  # the loss of a network that guesses every digit equally: where training starts
CHANCE = 1 / N_CLASSES
BLOWN_UP = 3.0  # a loss this many times its start has diverged
AT_CHANCE = 0.2  # an accuracy at most this is no better than guessing, give or take
SILENT = 0.99  # a layer with this share of units never active on a batch is dead
FLAT = 0.05  # a loss that fell by less than this share of its first value is flat
MIN_REPORTS = 4  # fewer reports than this, or less than MIN_EPOCHS, is too early to call a run flat
MIN_EPOCHS = 0.5
OVERFIT_RISE = 1.1  # validation loss this many times its lowest, while the training loss keeps falling
OVERFIT_GAP = 0.05  # and training accuracy at least this far above the validation accuracy
USUAL_LR = {"adam": 0.001, "momentum": 0.05, "gd": 0.1}  # a learning rate each optimiser usually learns well at
OPTIMISER_NAMES = {"adam": "Adam", "momentum": "momentum", "gd": "gradient descent"}


@dataclass(frozen=True)
class Diagnosis:
    """One thing wrong with a run, in plain words."""

    kind: str  # 'diverged', 'dead', 'flat' or 'overfitting'
    title: str  # e.g. 'The training diverged'
    shows: str  # what the numbers show
    cause: str  # what likely caused it
    advice: str  # what to try

    def text(self):
        """Return the whole diagnosis as one paragraph of plain text."""
        return f"{self.title}: {self.shows} {self.cause} Try: {self.advice}"


def diagnose(history, config, status="running"):
    """Return the Diagnoses of a run from its history (oldest first), its TrainConfig and its status; [] if healthy."""
    if not history and status != "diverged":
        return []
    found = [d for d in (_diverged(history, config, status), _dead(history, config)) if d]
    if not found:
        found += [d for d in (_flat(history, config),) if d]
    found += [d for d in (_overfitting(history, config),) if d]
    return found


def _usual_lr(config):
    """Return the learning rate config's optimiser usually learns well at, and the optimiser's name."""
    return USUAL_LR.get(config.optimizer, 0.001), OPTIMISER_NAMES.get(config.optimizer, config.optimizer)


def _diverged(history, config, status):
    """Return a Diagnosis if the loss became not finite or rose far above its start."""
    losses = [m["train_loss"] for m in history if math.isfinite(m["train_loss"])]
    peak = max(losses, default=START_LOSS)
    if status != "diverged" and peak <= BLOWN_UP * START_LOSS:
        return None
    usual, name = _usual_lr(config)
    shows = ("The loss stopped being a number (it overflowed)." if status == "diverged" else
             f"The training loss shot up to {peak:,.0f}; a fresh network starts near {START_LOSS:.2f}.")
    too_high = config.lr > 3 * usual
    cause = (f"The learning rate {config.lr:g} is too high for {name}: each step overshoots, "
             "so the weights are thrown further from a good answer instead of closer." if too_high else
             "The steps overshoot: the learning rate is too high for these settings.")
    return Diagnosis("diverged", "The training diverged", shows, cause,
                     f"a learning rate of {min(usual, config.lr / 10):g} ({name} usually learns well at "
                     f"{usual:g}), or a learning-rate schedule that starts lower.")


def _dead(history, config):
    """Return a Diagnosis if a hidden layer's ReLU units are all silent and the accuracy is at chance."""
    if not history:
        return None
    last = history[-1]
    dead = last.get("dead_relu") or []
    if not dead or max(dead) < SILENT or last["val_acc"] > AT_CHANCE:
        return None
    layer = dead.index(max(dead)) + 1
    usual, name = _usual_lr(config)
    return Diagnosis(
        "dead", "The network is dead",
        f"{max(dead):.0%} of the units of hidden layer {layer} never fire, and the validation accuracy is "
        f"{last['val_acc']:.1%}: chance is {CHANCE:.0%}.",
        "A ReLU unit whose input is below zero for every digit outputs 0 and gets no gradient, so it never "
        "comes back. Large steps push units there: " + (f"the learning rate {config.lr:g} is high for {name}."
                                                        if config.lr > 3 * usual else "the steps were too large."),
        f"a lower learning rate ({min(usual, config.lr / 10):g}), or the leaky ReLU activation (its units never go "
        "fully silent).")


def _flat(history, config):
    """Return a Diagnosis if, after long enough to tell, the training loss has hardly fallen."""
    if len(history) < MIN_REPORTS or history[-1]["epoch"] < MIN_EPOCHS:
        return None
    first, last = history[0]["train_loss"], min(m["train_loss"] for m in history[-3:])
    if not (math.isfinite(first) and math.isfinite(last)) or first - last > FLAT * first:
        return None
    usual, name = _usual_lr(config)
    shows = (f"After {history[-1]['epoch']:.1f} epochs the training loss is {last:.3f}, barely below its "
             f"first {first:.3f}, and the validation accuracy is {history[-1]['val_acc']:.1%}.")
    if config.lr < usual / 30:
        cause = f"The learning rate {config.lr:g} is far below what {name} usually needs: each step barely moves."
        advice = f"a learning rate of {usual:g}."
    elif config.init == "small" and len(config.hidden) > 1:
        cause = (f"The 'small' initialisation with {len(config.hidden)} hidden layers: the signal shrinks layer "
                 "by layer until nothing reaches the output, and nothing comes back to learn from.")
        advice = "the he initialisation (ReLU) or xavier (sigmoid, tanh), or Adam."
    elif config.activation in ("sigmoid", "tanh"):
        cause = f"{config.activation.capitalize()} units saturate: pushed to their flat ends they pass on no gradient."
        advice = f"the ReLU activation, or a learning rate of {usual:g} with {name}."
    else:
        cause = "The steps are too small or too noisy to make progress."
        advice = f"Adam at a learning rate of {USUAL_LR['adam']:g}."
    return Diagnosis("flat", "The network is not learning", shows, cause, advice)


def _overfitting(history, config):
    """Return a Diagnosis if the validation loss has risen from its lowest while the training loss kept falling."""
    scored = [m for m in history if math.isfinite(m["val_loss"])]
    if len(scored) < MIN_REPORTS:
        return None
    best = min(scored, key=lambda m: m["val_loss"])
    last = scored[-1]
    if (last["val_loss"] < OVERFIT_RISE * best["val_loss"] or last["train_loss"] >= best["train_loss"]
            or last["train_acc"] - last["val_acc"] < OVERFIT_GAP):
        return None
    few = f"only {config.train_size:,} training digits" if config.train_size else "its training digits"
    helps = [t for t, unused in (("an L2 penalty of 1 to 5", not config.l2), ("dropout of 0.2", not config.dropout),
                                 ("augmentation", not config.augment),
                                 ("more training digits", bool(config.train_size))) if unused]
    return Diagnosis(
        "overfitting", "The network is overfitting",
        f"The validation loss rose from {best['val_loss']:.3f} (epoch {best['epoch']:.1f}) to {last['val_loss']:.3f} "
        f"while the training loss kept falling ({best['train_loss']:.3f} to {last['train_loss']:.3f}); it reads "
        f"{last['train_acc']:.1%} of the training digits right but {last['val_acc']:.1%} of the validation digits.",
        f"It is memorising {few} instead of learning what makes each digit: what it learns no longer carries "
        "over to digits it has not seen.",
        ", ".join(helps + [f"fewer epochs (the validation loss was lowest at epoch {best['epoch']:.0f})"]) + ".")
