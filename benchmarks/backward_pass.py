"""Measure the Weights page's backward pass of one digit: what each redraw of the section computes.

    python benchmarks/backward_pass.py

For a 784-128-10 network and the bundled pretrained 784-512-256-10 one: copying the model
(``Stepper``, once per model), one redraw's maths (the backward pass, a look-ahead update on the
copy and the backward pass after it: ``Stepper.step(..., apply=False)``) and building the
section's figures (``ui.figures.weights``), each the median of 50 on one core.  The section
runs in the web process, whose threads share one GIL, so this is what a redraw adds for every
page.  Not a test: it asserts nothing.
"""

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nn.data import load_dataset, normalize  # noqa: E402
from nn.explain import inspection  # noqa: E402
from nn.explain.backprop import Stepper, strongest_units  # noqa: E402
from nn.files.model_file import load_model  # noqa: E402
from nn.network import Network  # noqa: E402
from ui.figures import weights  # noqa: E402


def median_ms(f, n=50):
    """Return the median milliseconds of n calls of f."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def section_figures(before, after):
    """Build the figures the section draws for one digit, as pages/weights.py does."""
    for layer in before.layers:
        weights.bias_bars(layer.dZ, f"dZ{layer.j}", "")
    dW1 = before.layers[0].dW
    units = strongest_units(dW1)
    cols = inspection.grid_columns(len(units))
    weights.gradient_grid(inspection.tile(dW1[:, units].T, cols), inspection.robust_scale(dW1[:, units]), cols, units)
    weights.before_after(before.p, after.p, before.label)


def main():
    """Print the copy and the redraw cost for two network sizes."""
    ds = load_dataset("sample")
    x, label = normalize(ds.x_test[:1])[0], int(ds.y_test[0])
    for name, net in [("784-128-10", Network((128,))),
                      ("784-512-256-10 (pretrained)", load_model(ROOT / "assets" / "pretrained.npz")[0])]:
        stepper = Stepper(net)
        copy = median_ms(lambda net=net: Stepper(net))
        redraw = median_ms(lambda stepper=stepper: stepper.step(x, label, 0.1, apply=False))
        drawn = median_ms(lambda stepper=stepper: section_figures(*stepper.step(x, label, 0.1, apply=False)))
        print(f"{name}: copying the model {copy:.1f} ms; per redraw, the backward pass and update {redraw:.1f} ms, "
              f"with the section's figures {drawn:.1f} ms")


if __name__ == "__main__":
    main()
