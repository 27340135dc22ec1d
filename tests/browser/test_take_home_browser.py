"""In a real browser, the Train page's "Download as a script" gives a file that reads digits as the model does."""

import re
import subprocess
import sys

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from benchmarks.harness import choose_fully_connected, open_expander, open_page, wait_for_app

pytestmark = pytest.mark.browser


def download(page, label, folder):
    """Click the download button labelled label; return the path of the file it saved in folder.

    On a fresh Train page a first click sometimes brings no download (seen once in a full CI run; the
    cause is not found, see the closing note): the button is pressed again, at most twice more.  The next
    button is waited for as long as a page load may take (while one is fetched, a download button shows a
    spinner and is disabled).
    """
    button = page.get_by_role("button", name=label)
    for attempt in range(3):
        expect(button).to_be_enabled(timeout=90_000)
        try:
            with page.expect_download(timeout=15_000) as info:
                button.click()
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            wait_for_app(page)
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def test_the_downloaded_script_runs_the_downloaded_weights(page, sample, splits, pretrained, tmp_path):
    open_page(page, "train")
    choose_fully_connected(page)  # the default bundled model is convolutional: the other one, as a person would
    open_expander(page, "files_open")
    script = download(page, "Download as a script (.py)", tmp_path)
    weights = download(page, "Download the model (.npz)", tmp_path)
    notebook = download(page, "Download as a notebook (.ipynb)", tmp_path)
    assert script.name == "mnist-784-512-256-10.py" and notebook.suffix == ".ipynb"
    data = tmp_path / "mnist.npz"
    np.savez(data, x_train=sample.x_train, y_train=sample.y_train, x_test=sample.x_test, y_test=sample.y_test)
    done = subprocess.run([sys.executable, str(script), str(data), "--weights", str(weights)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    said = float(re.search(r"test accuracy: ([0-9.]+)", done.stdout).group(1))
    _, want = pretrained[0].evaluate(splits.X_test, splits.y_test)
    assert said == pytest.approx(want, abs=1e-9)  # the chosen bundled model (the page's) on the sample's test digits
