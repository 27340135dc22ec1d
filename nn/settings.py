"""Every training setting in one declarative table.

``TrainConfig`` is the table: each field carries its label, the kind of widget
that sets it, its bounds or choices (with display names where a code name is
cryptic) and a one-line help text that says what it does to learning.  The
command line and the Train page are both generated from it and read the widget
kind from here rather than guess it, so a setting is added in one place.  Not for
settings of the app itself (ports, folders), nor for drawing widgets (the page does).
"""

from dataclasses import asdict, dataclass, field, fields

from nn.activations import ACTIVATIONS
from nn.init import INITS
from nn.network import conv_features
from nn.optim import OPTIMIZERS
from nn.schedules import SCHEDULES

# How a setting is set, on the page and on the command line:
WIDGETS = {
    "layers": "a count of hidden layers and a whole-number width for each, up to max_count",
    "conv_layers": "a count of conv layers (0 to max_count) and for each its channels (lo to hi) and kernel size "
                   "(within kernels)",
    "choice": "one of choices, shown by its display name",
    "checkbox": "on or off",
    "log_choice": "a number from lo to hi on a logarithmic 1-2-5 scale, picked from a list, for values spanning "
                  "decades",
    "number": "a number from lo to hi in steps of step",
}


def setting(default, label, help, *, widget, lo=None, hi=None, step=None, choices=None, names=None,
            max_count=None, kernels=None, advanced=False):
    """Return a dataclass field carrying a setting's label, widget kind (one of WIDGETS), bounds and help text.

    step: a number's (or a layer width's) increment on the page; names: display names
    of the choices whose code name is cryptic, e.g. {"gd": "gradient descent"}; kernels:
    the (smallest, largest) kernel size of a conv layer; advanced: a setting a first run leaves
    alone, which the page groups under "More settings", closed at first.
    """
    if widget not in WIDGETS:
        raise ValueError(f"{label}: widget must be one of {', '.join(WIDGETS)}, not {widget!r}.")
    meta = {"label": label, "help": help, "widget": widget, "lo": lo, "hi": hi, "step": step, "choices": choices,
            "names": names or {}, "max_count": max_count, "kernels": kernels, "advanced": advanced}
    return field(default=default, metadata=meta)


def display_name(f, choice):
    """Return how choice of setting f reads for people: its display name, else the code name itself."""
    return f.metadata["names"].get(choice, choice)


@dataclass(frozen=True)
class TrainConfig:
    """The settings of one training run (the model's shape, how it learns, on how much data)."""

    conv: tuple = setting(
        (), "Conv layers",
        "Convolution layers before the hidden layers, each a set of small kernels (channels, kernel size) slid over "
        "the image, then the activation and 2×2 max pooling: they learn strokes wherever they are. None = a fully "
        "connected network.", widget="conv_layers", lo=1, hi=64, step=1, max_count=3, kernels=(2, 9))
    hidden: tuple = setting(
        (128,), "Hidden layers", "Width of each hidden layer: wider layers can learn more shapes but are slower.",
        widget="layers", lo=1, hi=1024, step=16, max_count=4)
    activation: str = setting(
        "relu", "Activation", "The bend each hidden neuron puts in its input; ReLU learns fastest here.",
        widget="choice", choices=tuple(ACTIVATIONS))
    init: str = setting(
        "he", "Initialisation", "How big the first random weights are; too small and deep nets start very slowly.",
        widget="choice", choices=tuple(INITS), advanced=True)
    optimizer: str = setting(
        "adam", "Optimiser",
        "How weights move on each step: plain gradient descent (like the classic notebook), momentum, Adam, or "
        "RMSProp (like Adam, each weight's step divided by its recent gradient size, but no momentum).",
        widget="choice", choices=tuple(OPTIMIZERS), names={"gd": "gradient descent", "rmsprop": "RMSProp"})
    lr: float = setting(
        0.001, "Learning rate", "How big each step is: too small crawls, too large diverges.",
        widget="log_choice", lo=1e-7, hi=10.0)
    schedule: str = setting(
        "constant", "Schedule", "How the step size changes over the run: constant, cut in steps, or a cosine glide.",
        widget="choice", choices=tuple(SCHEDULES), advanced=True)
    batch_size: int = setting(
        64, "Batch size",
        "Digits per step (0 = all at once, full-batch like the classic notebook): small batches take noisier, "
        "cheaper steps.", widget="number", lo=0, hi=60000, step=1)
    epochs: int = setting(
        10, "Epochs", "Passes over the training digits (in full-batch mode: iterations).",
        widget="number", lo=1, hi=5000, step=1)
    l2: float = setting(
        0.0, "L2 penalty", "Pulls weights towards zero so the net cannot memorise: try 1 to 5.",
        widget="number", lo=0.0, hi=100.0, step=0.5, advanced=True)
    dropout: float = setting(
        0.0, "Dropout", "Share of hidden neurons switched off at random on each step, so none can be relied on alone.",
        widget="number", lo=0.0, hi=0.9, step=0.05, advanced=True)
    train_size: int = setting(
        0, "Training digits", "How many training digits to learn from (0 = all): fewer is faster, but learns less.",
        widget="number", lo=0, hi=60000, step=1, advanced=True)
    augment: bool = setting(
        False, "Augment", "Shift, turn, scale and thicken each digit at random, so drawn digits are read better.",
        widget="checkbox", advanced=True)
    seed: int = setting(0, "Seed", "Fixes the random start and the order of digits, so a run can be repeated.",
                        widget="number", lo=0, hi=2**31 - 1, step=1, advanced=True)

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        object.__setattr__(self, "conv", tuple((int(c), int(k)) for c, k in self.conv))
        for f in fields(self):
            _check(f, getattr(self, f.name))

    def to_dict(self):
        """Return the settings as plain JSON-ready values."""
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        d["conv"] = [list(ck) for ck in self.conv]
        return d

    @classmethod
    def from_dict(cls, d):
        """Return a config from ``to_dict``'s output, ignoring keys it does not know."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def _check(f, value):
    """Raise ValueError with a plain message if value is outside the setting's bounds."""
    m = f.metadata
    label = m["label"]
    if m["widget"] == "conv_layers":
        _check_conv(m, value)
        return
    if m["choices"] is not None and value not in m["choices"]:
        raise ValueError(f"{label} must be one of {', '.join(m['choices'])}, not {value!r}.")
    values = value if isinstance(value, tuple) else (value,)
    if m["max_count"] is not None and not 1 <= len(values) <= m["max_count"]:
        raise ValueError(f"{label}: give between 1 and {m['max_count']} layers, not {len(values)}.")
    for v in values:
        if m["lo"] is not None and not m["lo"] <= v <= m["hi"]:
            raise ValueError(f"{label} must be between {m['lo']:g} and {m['hi']:g}, not {v:g}.")


SETTINGS = fields(TrainConfig)


def _check_conv(m, conv):
    """Raise ValueError in plain words if conv layers ((channels, kernel), ...) are out of bounds or do not fit."""
    label, (k_lo, k_hi) = m["label"], m["kernels"]
    if len(conv) > m["max_count"]:
        raise ValueError(f"{label}: give at most {m['max_count']} conv layers, not {len(conv)}.")
    for i, (c, k) in enumerate(conv, 1):
        if not m["lo"] <= c <= m["hi"]:
            raise ValueError(f"{label}: layer {i} needs {m['lo']} to {m['hi']} channels, not {c}.")
        if not k_lo <= k <= k_hi:
            raise ValueError(f"{label}: layer {i} needs a kernel size from {k_lo} to {k_hi}, not {k}.")
    try:
        conv_features(conv)
    except ValueError as err:  # a kernel no longer fits the image the blocks before it shrank
        raise ValueError(f"{label}: {err}") from None
