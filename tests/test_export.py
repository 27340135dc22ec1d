"""Take it home (nn/files/script.py): the exported script and notebook train a run again to its test accuracy.

Each test trains a short run with the engine on the bundled sample, writes the same digits to a
file, runs the exported code on it in a fresh Python process and compares the test accuracies.
"""

import re
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from nn.conv import MaxPool2D
from nn.data import make_splits, read_dataset
from nn.files.model_file import save_model
from nn.files.script import notebook, script
from nn.settings import TrainConfig
from nn.train import Trainer

TOLERANCE = 0.005  # half a point of test accuracy, as issue 14 asks

# One run per optimiser, between them every activation, init, schedule, full and mini batches, L2 and dropout;
# then conv runs: one block (its input is the data, so no dA), and two blocks, the second's dA added back (col2im)
# onto an image whose odd side the pooling cuts (28 - 4 + 1 = 25).
RUNS = {
    "adam-relu": dict(hidden=(32,), epochs=2),
    "adam-sigmoid-dropout-l2-cosine": dict(hidden=(32, 16), activation="sigmoid", lr=0.01, dropout=0.2, l2=1.0,
                                           schedule="cosine", epochs=2),
    "gd-full-batch": dict(hidden=(16,), optimizer="gd", lr=0.5, batch_size=0, epochs=30),
    "momentum-leaky-small-step": dict(hidden=(24,), optimizer="momentum", activation="leaky_relu", init="small",
                                      lr=0.05, schedule="step", epochs=2),
    "rmsprop-tanh-xavier-subset": dict(hidden=(20,), optimizer="rmsprop", activation="tanh", init="xavier",
                                       train_size=1000, epochs=2),
    "conv-adam": dict(conv=((4, 5),), hidden=(16,), epochs=2),
    "two-conv-blocks-momentum-dropout-l2": dict(conv=((4, 4), (8, 3)), hidden=(16,), optimizer="momentum", lr=0.05,
                                                dropout=0.2, l2=1.0, epochs=2),
}
CONV_RUN = TrainConfig(**RUNS["conv-adam"])


@pytest.fixture(scope="module")
def sample_file(sample, tmp_path_factory):
    """Return the bundled sample written out as Keras' mnist.npz."""
    path = tmp_path_factory.mktemp("data") / "mnist.npz"
    np.savez(path, x_train=sample.x_train, y_train=sample.y_train, x_test=sample.x_test, y_test=sample.y_test)
    return path


def trained(splits, config):
    """Return a Trainer that has run config to its end on splits, as a run does."""
    trainer = Trainer(splits, config, report_seconds=0)
    for _ in trainer.run():
        pass
    assert trainer.status == "done"
    return trainer


def run_python(path, *args):
    """Run a Python file in a fresh process; return its output, failing with its errors if it fails."""
    done = subprocess.run([sys.executable, str(path), *map(str, args)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def accuracy_in(output):
    """Return the test accuracy the exported code printed."""
    return float(re.search(r"test accuracy: ([0-9.]+)", output).group(1))


@pytest.mark.parametrize("settings", RUNS.values(), ids=RUNS.keys())
def test_the_script_reaches_the_runs_test_accuracy(splits, sample_file, tmp_path, settings):
    config = TrainConfig(**settings)
    trainer = trained(splits, config)
    _, want = trainer.test()
    assert want > 0.5  # a run that learned: matching a run that learned nothing would prove little
    path = tmp_path / "mnist.py"
    path.write_text(script(config))
    output = run_python(path, sample_file)
    assert len(re.findall(r"^epoch \d+: loss", output, re.M)) == config.epochs
    assert accuracy_in(output) == pytest.approx(want, abs=TOLERANCE)

    model = tmp_path / "model.npz"  # the run's weights file, as the Train page downloads it
    save_model(model, trainer.net, {})
    assert accuracy_in(run_python(path, sample_file, "--weights", model)) == pytest.approx(want, abs=1e-9)


def test_the_script_reads_kaggles_train_csv_as_the_app_does(sample, files, tmp_path):
    csv = tmp_path / "train.csv"
    csv.write_bytes(files.csv(sample.x_train[:1500], sample.y_train[:1500]))
    config = TrainConfig(hidden=(16,), epochs=2)
    _, want = trained(make_splits(read_dataset(csv), seed=0), config).test()
    path = tmp_path / "mnist.py"
    path.write_text(script(config))
    assert accuracy_in(run_python(path, csv)) == pytest.approx(want, abs=TOLERANCE)


def test_the_script_uses_only_numpy_and_says_what_it_leaves_out():
    text = script(TrainConfig(hidden=(8,), augment=True), "The run reached a test accuracy of 97.00%.")
    imports = set(re.findall(r"^\s*(?:import|from) (\w+)", text, re.M))
    assert imports == {"math", "numpy", "argparse"}
    for name in ("init_params", "forward_prop", "backward_prop", "update_params", "gradient_descent"):
        assert f"\ndef {name}(" in text
    assert "HIDDEN = [8]" in text and "OPTIMIZER = 'adam'" in text
    assert "augmentation" in text and "97.00%" in text
    assert "def tanh(" not in text and "beta1" in text  # only the run's own activation and optimiser are written


def test_only_a_conv_runs_script_holds_the_conv_code():
    dense, conv = script(TrainConfig(hidden=(16,))), script(CONV_RUN)
    conv_functions = ("kernel_rows", "conv_forward", "conv_backward", "pool_forward", "pool_backward")
    for name in conv_functions:
        assert f"\ndef {name}(" in conv and f"def {name}(" not in dense
    assert "sliding_window_view" not in dense and "CONV =" not in dense
    assert "CONV = [[4, 5]]" in conv and "HIDDEN = [16]" in conv and "conv4x5-576-16-10 network" in conv
    for name in ("init_params", "forward_prop", "backward_prop", "update_params", "gradient_descent"):
        assert f"\ndef {name}(" in conv
    assert set(re.findall(r"^\s*(?:import|from) (\w+)", conv, re.M)) == {"math", "numpy", "argparse"}


def test_the_conv_scripts_pooling_sends_a_tied_windows_gradient_once_as_the_engine_does():
    """A digit's blank margin makes every conv output there the bias: four equal values in each pool window."""
    written = {"__name__": "exported"}  # its definitions, not its main
    exec(script(CONV_RUN), written)
    rng = np.random.default_rng(3)
    Z = rng.standard_normal((2, 3, 6, 6))
    Z[:, :, :4, :] = 0.25  # blank rows: tied windows
    P = written["pool_forward"](Z)
    dP = rng.standard_normal(P.shape)
    dZ = written["pool_backward"](dP, Z, P)
    np.testing.assert_array_equal(dZ, MaxPool2D(2).input_gradient(dP, Z))
    np.testing.assert_allclose(dZ.sum(), dP.sum())  # each window's gradient arrives once


@pytest.mark.parametrize("config", [TrainConfig(hidden=(32,), epochs=2), CONV_RUN], ids=["dense", "conv"])
def test_the_notebook_is_valid_and_its_cells_run_as_a_script(splits, sample_file, tmp_path, config):
    _, want = trained(splits, config).test()
    book = nbformat.reads(notebook(config, data=str(sample_file)), as_version=4)
    nbformat.validate(book)
    code = [cell.source for cell in book.cells if cell.cell_type == "code"]
    assert code[-1].startswith("import matplotlib.pyplot as plt")  # the learning curves, at the end
    text = script(config)
    assert len(code) == 8 and all(cell in text for cell in code[:-2])  # the script's code, then train, plot
    # No matplotlib here (the app does not need it): a stand-in records what the last cell plots.
    stub = tmp_path / "matplotlib"
    stub.mkdir()
    (stub / "__init__.py").write_text("")
    (stub / "pyplot.py").write_text(
        "class Axes:\n"
        "    def plot(self, x, y, **kw):\n"
        "        assert len(x) == len(y) > 0 and all(0 <= v for v in y)\n"
        "        print('plotted', len(y), 'points')\n"
        "    def set(self, **kw):\n        pass\n"
        "    def legend(self):\n        pass\n"
        "def subplots(rows, cols, **kw):\n    return None, [Axes() for _ in range(cols)]\n"
        "def show():\n    print('shown')\n")
    path = tmp_path / "notebook.py"
    path.write_text("\n\n".join(code))
    output = run_python(path)
    assert accuracy_in(output) == pytest.approx(want, abs=TOLERANCE)
    assert output.count(f"plotted {config.epochs} points") == 3 and output.rstrip().endswith("shown")
