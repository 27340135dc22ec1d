"""Lesson links on the Train page, through Streamlit's AppTest: a link sets, locks and hides settings.

The page's address holds its settings (a reload keeps them), a link to them leaves out this
browser's identity, and a bad link gets one line saying what was ignored.
"""

from urllib.parse import parse_qsl, urlsplit

from tests.helpers import open_section
from ui import lesson

BASE = "http://localhost:8501/train"


def ignored_notices(at):
    """Return the texts of the notices saying what a link's params were ignored."""
    return [i.value for i in at.info if i.value.startswith("Ignored in this link")]


def shared_link(at):
    """Return the link the 'Copy a link to these settings' popover shows, read as (address, {param: value})."""
    (code,) = at.code
    parts = urlsplit(code.value)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", dict(parse_qsl(parts.query))


def test_a_link_sets_the_widgets_and_the_address_keeps_them(open_page):
    query = {"lr": "0.05", "hidden": "256,32", "optimizer": "momentum", "conv": "4x3", "augment": "on"}
    at = open_page("train", query=query)
    assert at.selectbox(key="set_lr").value == 0.05
    assert at.number_input(key="set_hidden_count").value == 2
    assert (at.number_input(key="set_hidden_0").value, at.number_input(key="set_hidden_1").value) == (256, 32)
    assert (at.number_input(key="set_conv_0_channels").value, at.number_input(key="set_conv_0_kernel").value) == (4, 3)
    assert at.selectbox(key="set_optimizer").value == "momentum"
    assert at.checkbox(key="set_augment").value is True  # More settings opened by itself: the link sets one
    assert not ignored_notices(at)
    me = at.session_state["session"]
    assert {k: at.query_params[k] for k in query} == query
    assert at.query_params["b"] == me.browser
    again = open_page("train", query=dict(at.query_params))  # a reload: a new session, same address
    assert again.selectbox(key="set_lr").value == 0.05
    assert again.session_state["session"].browser == me.browser


def test_a_persons_changes_win_over_the_link_after_the_first_run(open_page):
    at = open_page("train", query={"lr": "0.05", "epochs": "3"})
    at.selectbox(key="set_lr").set_value(0.1).run()
    at.number_input(key="set_epochs").set_value(10).run()  # back to the default: left out of the address
    at.run()
    assert at.selectbox(key="set_lr").value == 0.1
    assert at.query_params["lr"] == "0.1" and "epochs" not in at.query_params


def test_a_locked_setting_is_shown_disabled_and_keeps_the_links_value(open_page):
    at = open_page("train", query={"lr": "0.05", "hidden": "64", "lock": "lr,hidden"})
    rate = at.selectbox(key="set_lr")
    assert rate.disabled and rate.value == 0.05
    assert at.number_input(key="set_hidden_count").disabled and at.number_input(key="set_hidden_0").disabled
    assert at.number_input(key="set_epochs").disabled is False
    assert any(c.value.startswith("Some settings are set by this lesson: locked Hidden layers, Learning rate")
               for c in at.caption)
    at.session_state["set_lr"] = 0.1  # even a value forced into the disabled widget does not change the setting
    at.run()
    assert at.query_params["lr"] == "0.05" and at.query_params["lock"] == "hidden,lr"


def test_a_hidden_setting_is_not_drawn_and_the_run_takes_the_links_value(open_page):
    at = open_page("train", query={"optimizer": "momentum", "hide": "optimizer,augment", "train_size": "300",
                                   "epochs": "2"})
    assert "set_optimizer" not in [s.key for s in at.selectbox]
    assert "set_augment" not in [c.key for c in at.checkbox]
    assert "Optimiser" not in [w.label for w in at.selectbox]
    at.button(key="start").click().run()
    config = at.session_state["session"].run.config
    assert (config.optimizer, config.augment, config.train_size, config.epochs) == ("momentum", False, 300, 2)


def test_out_of_range_and_unknown_values_get_one_notice_and_the_defaults(open_page):
    at = open_page("train", query={"lr": "50", "epochs": "0", "colour": "red", "lock": "nothing"})
    (notice,) = ignored_notices(at)
    for shown in (r"lr\=50", r"epochs\=0", r"colour\=red", r"lock\=nothing", "Learning rate must be between"):
        assert shown in notice, notice
    assert at.selectbox(key="set_lr").value == 0.001 and at.number_input(key="set_epochs").value == 10
    assert not at.error
    assert "lr" not in at.query_params and "epochs" not in at.query_params  # dropped from the address
    assert at.query_params["colour"] == "red"  # a param the app does not own is left alone


def test_a_scripted_value_is_shown_as_text(open_page):
    at = open_page("train", query={"optimizer": "<img src=x onerror=alert(1)>[link](http://e.vil)"})
    (notice,) = ignored_notices(at)
    assert r"\<img" in notice and r"\[link\]\(http\:" in notice
    assert at.selectbox(key="set_optimizer").value == "adam"


def test_the_copy_link_has_the_settings_and_not_this_browsers_id(open_page):
    at = open_page("train", query={"lr": "0.05", "hidden": "128,64", "lock": "lr", "lesson": "abc123"})
    at.context["url"] = BASE
    at.number_input(key="set_epochs").set_value(3).run()
    assert at.query_params["b"]
    assert not at.code and "link_hide" not in {m.key for m in at.multiselect}  # closed: nothing drawn in it
    open_section(at, "share_open")
    address, params = shared_link(at)
    assert address == BASE
    assert "b" not in params and "run" not in params
    assert params == {"lr": "0.05", "hidden": "128,64", "epochs": "3", "lock": "lr", "lesson": "abc123"}
    link, notes = lesson.parse(params)
    assert notes == [] and link.values == {"lr": 0.05, "hidden": (128, 64), "epochs": 3}
    at.multiselect(key="link_hide").set_value(["optimizer"]).run()
    assert shared_link(at)[1]["hide"] == "optimizer"
    at.session_state["share_open"] = False  # closed and opened again: the choice is kept
    at.run()
    open_section(at, "share_open")
    assert at.multiselect(key="link_hide").value == ["optimizer"] and shared_link(at)[1]["hide"] == "optimizer"


def test_a_lesson_id_is_kept_in_the_address_on_any_page(open_page):
    at = open_page("", query={"lesson": "0a1b2c3d"})
    assert at.session_state["session"].lesson_id == "0a1b2c3d"
    assert at.query_params["lesson"] == "0a1b2c3d"
