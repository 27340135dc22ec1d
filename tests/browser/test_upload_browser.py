"""Bad files in a real browser: the message shows once, and the app goes on as before.

The ``page`` fixture fails a test if an exception box shows on the page.
"""

import re

import pytest
from playwright.sync_api import expect

from scripts.screenshots import open_page, start_training, wait_for_points

pytestmark = pytest.mark.browser


def send_file(page, key, path):
    """Choose the file at path in the uploader with this widget key, as a user's file dialog does."""
    page.locator(f".st-key-{key} input[type=file]").set_input_files(str(path))
    page.wait_for_app()


def test_a_bad_model_upload_shows_one_message_and_the_app_goes_on(page, tmp_path):
    bad = tmp_path / "model.npz"
    bad.write_bytes(b"PK\x03\x04 half of a zip file")
    open_page(page, "train")
    send_file(page, "model_upload", bad)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(1)
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text("model.npz")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("bundled pretrained model")  # the model in use is still the one before
    start_training(page, epochs=500)  # and training still works
    wait_for_points(page, 2)
    page.get_by_role("button", name="Stop").click()
    page.get_by_text(re.compile("^Stopped after")).wait_for()


def test_a_bad_digits_file_on_the_draw_page_shows_one_message(page, tmp_path):
    bad = tmp_path / "my_digits.npz"
    bad.write_bytes(b"")
    open_page(page, "draw")
    send_file(page, "draw_upload", bad)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(1)
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text("empty")
    expect(page.get_by_text("Your digits will show here.")).to_be_visible()
