"""The command line as a user runs it: `python -m nn ...` in a fresh process, reading its JSON line and exit code."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--train-size", "500", "--epochs", "1", "--hidden", "32"]


def nn(*args, cache):
    """Run `python -m nn args` from the repo root with its own cache folder; return the finished process."""
    env = {**os.environ, "MNIST_PLAYGROUND_CACHE": str(cache)}
    return subprocess.run([sys.executable, "-m", "nn", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def last_json(result):
    """Return the JSON object on the last stdout line, failing with stderr if the run failed."""
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_one_line_error(result, code, *words):
    """Assert the run exited with code, printing one line on stderr (no traceback) that mentions words."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


def test_help_lists_the_commands_and_exit_codes(cache):
    result = nn("--help", cache=cache)
    assert result.returncode == 0
    for word in ("download", "train", "evaluate", "exit codes"):
        assert word in result.stdout


def test_train_help_comes_from_the_settings_table(cache):
    from nn.settings import SETTINGS

    out = nn("train", "--help", cache=cache).stdout
    for f in SETTINGS:
        assert "--" + f.name.replace("_", "-") in out
    assert "leaky_relu" in out and "--no-augment" in out


def test_train_learns_and_the_saved_model_evaluates_the_same(cache, tmp_path):
    model = tmp_path / "model.npz"
    result = nn("train", "--train-size", "2000", "--epochs", "2", "--hidden", "64", "--lr", "0.003",
                "--out", model, cache=cache)
    assert result.returncode == 0, result.stderr
    got = last_json(result)
    assert got["status"] == "done" and got["epochs"] == 2 and got["train_size"] == 2000
    assert got["architecture"]["sizes"] == [784, 64, 10]
    assert got["train_seconds"] > 0 and 0 <= got["val_accuracy"] <= 1
    assert got["test_accuracy"] > 0.8
    assert "epoch" in result.stderr and "val accuracy" in result.stderr  # progress per epoch
    evaluated = last_json(nn("evaluate", "--model", model, "--data", "sample", cache=cache))
    assert evaluated["test_accuracy"] == got["test_accuracy"]
    assert evaluated["n_test"] == 1000 and evaluated["test_loss"] > 0


def test_conv_layers_come_in_the_order_given_and_the_saved_model_evaluates_the_same(cache, tmp_path):
    model = tmp_path / "conv.npz"
    result = nn("train", "--train-size", "2000", "--epochs", "2", "--lr", "0.003", "--hidden", "32",
                "--conv", "4:5", "--conv", "6:3", "--out", model, cache=cache)
    got = last_json(result)
    assert result.returncode == 0, result.stderr
    assert got["architecture"]["conv"] == [[4, 5], [6, 3]]
    assert got["architecture"]["sizes"] == [6 * 5 * 5, 32, 10]  # 28 -> 24 -> 12 -> 10 -> 5
    assert "conv4x5-conv6x3-150-32-10" in result.stderr
    assert got["test_accuracy"] > 0.7
    evaluated = last_json(nn("evaluate", "--model", model, "--data", "sample", cache=cache))
    assert evaluated["test_accuracy"] == got["test_accuracy"] and evaluated["architecture"] == got["architecture"]


def test_tiny_run_with_several_layers_and_settings(cache, tmp_path):
    result = nn("train", *TINY, "--hidden", "16", "--activation", "tanh", "--lr", "0.005", "--batch-size", "25",
                "--epochs", "3", "--augment", "--dropout", "0.1", "--l2", "1", "--seed", "3", cache=cache)
    got = last_json(result)
    assert result.returncode == 0, result.stderr
    assert got["architecture"] == {"sizes": [784, 32, 16, 10], "activation": "tanh", "init": "he", "dropout": 0.1,
                                   "conv": []}
    assert 0.5 < got["test_accuracy"] <= 1
    assert got["model"] is None and "not saved" in result.stderr


def test_diverging_run_says_so_saves_the_last_good_weights_and_exits_1(cache, tmp_path):
    from nn.files.model_file import load_model

    model = tmp_path / "model.npz"
    result = nn("train", *TINY, "--hidden", "32", "--activation", "leaky_relu", "--optimizer", "momentum", "--lr", "10",
                "--out", model, cache=cache)
    assert result.returncode == 1
    assert last_json(result)["status"] == "diverged"
    assert "learning rate may be too high" in result.stderr
    load_model(model)  # finite weights, or it would refuse


@pytest.mark.parametrize("args, words", [
    (["train", "--bogus"], ["--bogus"]),
    (["train", "--lr", "50"], ["Learning rate", "50"]),
    (["train", "--lr", "fast"], ["--lr"]),
    (["train", "--activation", "swish"], ["swish"]),
    (["train", "--hidden", "0"], ["Hidden layers"]),
    (["train", "--conv", "8"], ["--conv", "CHANNELS:KERNEL"]),
    (["train", "--conv", "8:five"], ["--conv", "8:five"]),
    (["train", "--conv", "8:13"], ["Conv layers", "kernel", "13"]),
    (["train", "--conv", "0:5"], ["Conv layers", "channels"]),
    (["train", "--conv", "4:9", "--conv", "4:9", "--conv", "4:3"], ["Conv layers", "does not fit"]),
    (["train", "--data", "no/such/file.npz"], ["no/such/file.npz"]),
    (["train", "--out", "no/such/folder/model.npz"], ["no/such/folder"]),
    (["evaluate", "--model", "no/such/model.npz"], ["no/such/model.npz"]),
    (["evaluate"], ["--model"]),
    (["download", "--sha256", "abc"], ["SHA-256"]),
])
def test_bad_arguments_get_one_line_and_exit_2(cache, args, words):
    assert_one_line_error(nn(*args, cache=cache), 2, *words)


def test_mnist_not_downloaded_says_how_to_get_it(cache):
    assert_one_line_error(nn("train", "--data", "mnist", *TINY, cache=cache), 1, "python -m nn download")


def test_bad_model_file_gets_one_line_and_exit_2(cache, tmp_path):
    bad = tmp_path / "model.npz"
    bad.write_bytes(b"not a model at all")
    assert_one_line_error(nn("evaluate", "--model", bad, cache=cache), 2, "not a model file")


def test_download_shows_progress_and_verifies(cache, serve, sample_npz, sample):
    payload, sha = sample_npz  # the bundled sample's real digits, in the full MNIST's file layout
    _, url = serve(payload)
    result = nn("download", "--url", url, "--sha256", sha, cache=cache)
    assert result.returncode == 0, result.stderr
    mb = f"{len(payload) / 1e6:.1f}"
    assert "MB/s" in result.stderr and "s left" in result.stderr and f"{mb}/{mb} MB" in result.stderr
    assert (cache / "mnist.npz").read_bytes() == payload
    assert last_json(result)["bytes"] == len(payload)
    again = nn("download", "--url", url, "--sha256", sha, cache=cache)
    assert again.returncode == 0 and "already" in again.stderr
    evaluated = last_json(nn("evaluate", "--model", ROOT / "assets" / "pretrained.npz", "--data", "mnist", cache=cache))
    assert evaluated["n_test"] == len(sample.y_test)  # `--data mnist` now means the downloaded file


def test_download_with_wrong_checksum_fails_and_keeps_nothing(cache, serve, sample_npz):
    _, url = serve(sample_npz[0])
    result = nn("download", "--url", url, "--sha256", "0" * 64, cache=cache)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "checksum mismatch" in result.stderr.splitlines()[-1]
    assert not (cache / "mnist.npz").exists()


def test_download_from_nowhere_fails_in_one_line(cache, serve, sample_npz):
    _, url = serve(sample_npz[0], mode="404")
    assert_one_line_error(nn("download", "--url", url, cache=cache), 1, "404")
    assert not (cache / "mnist.npz").exists()
