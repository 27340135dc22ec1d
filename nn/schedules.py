"""Learning-rate schedules: a factor in (0, 1] for how far training has got.

The step size actually used is ``lr * factor(progress)``, progress in [0, 1]
the share of all steps done, so changing lr mid-run keeps the schedule's shape.
"""

import math


def constant(progress):
    """Return 1: the same step size throughout."""
    return 1.0


def step(progress):
    """Return 1, then 0.1 after half the run and 0.01 after three quarters: big moves first, fine ones last."""
    return 0.1 ** ((progress >= 0.5) + (progress >= 0.75))


def cosine(progress):
    """Return 0.5 (1 + cos(pi * progress)): a smooth glide from 1 to 0."""
    return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


SCHEDULES = {"constant": constant, "step": step, "cosine": cosine}
