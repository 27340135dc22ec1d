"""Bad files in a real browser: the message shows once, and the app goes on as before.

The ``page`` fixture fails a test if an exception box shows on the page.
"""

import re

import pytest
from playwright.sync_api import expect

from benchmarks.harness import open_expander, open_page, start_training, wait_for_points

pytestmark = pytest.mark.browser


def send_bad_file(page, tmp_path, where, section, key, name, data):
    """Open a page and its section (an expander's key), choose a file holding data in its uploader with this widget
    key; return the one error shown."""
    path = tmp_path / name
    path.write_bytes(data)
    open_page(page, where)
    open_expander(page, section)
    page.locator(f".st-key-{key} input[type=file]").set_input_files(str(path))  # as a file dialog does
    page.wait_for_app()
    alert = page.get_by_test_id("stAlertContentError")
    expect(alert).to_have_count(1)
    return alert


def test_a_bad_model_upload_shows_one_message_and_the_app_goes_on(page, tmp_path):
    alert = send_bad_file(page, tmp_path, "train", "files_open", "model_upload", "model.npz",
                          b"PK\x03\x04 half of a zip file")
    expect(alert).to_contain_text("model.npz is damaged or cut off")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("bundled pretrained model")  # the model in use is still the one before
    start_training(page, epochs=500)  # and training still works
    wait_for_points(page, 2)
    page.get_by_role("button", name="Stop").click()
    page.get_by_text(re.compile("^Stopped after")).wait_for()


def test_a_bad_digits_file_on_the_draw_page_shows_one_message(page, tmp_path):
    alert = send_bad_file(page, tmp_path, "draw", "draw_teach_open", "draw_upload", "my_digits.npz", b"")
    expect(alert).to_contain_text("my_digits.npz is empty")
    expect(page.get_by_text("Your digits will show here.")).to_be_visible()
