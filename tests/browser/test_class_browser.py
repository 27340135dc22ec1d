"""Classroom mode in real browsers: the presenter's key, a live board of three attendees, a read-only look at one
network, a nickname with markup, and a published lesson's link.

The module starts its own server with a random presenter key (the shared ``app_url`` server has
none).  Each attendee and the presenter are browser contexts of their own, as separate people
are; the presenter's board is opened once and never reloaded: it must follow the runs by itself.
The board's table is drawn in a canvas, so the board is read through its Plotly chart of curves
(a trace per run, named by its nickname, its last x the run's epoch).
"""

import html
import re
import secrets

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from benchmarks.harness import (
    VIEWPORT,
    choose_full_speed,
    exceptions,
    open_page,
    running_app,
    step_shown,
    wait_for_app,
    wait_for_points,
)

pytestmark = pytest.mark.browser

KEY = secrets.token_urlsafe(12)
MARKUP = "<img src=x onerror=alert(1)>"
CUT = MARKUP[:24]  # what the 24-character Nickname field lets through

# {nickname: last epoch drawn} of every trace of the board's curves (the newest chart, if a redraw holds two)
CURVES_JS = """() => {
  const plots = [...document.querySelectorAll('.st-key-class_curves .js-plotly-plot')].filter(e => e._fullData);
  const traces = plots.length ? plots[plots.length - 1]._fullData : [];
  return Object.fromEntries(traces.map(t => [t.name, t.x?.length ? Number(t.x[t.x.length - 1]) : 0]));
}"""


# True once the server took a typed nickname: it then has the browser keep it in a cookie
NICKNAME_KEPT_JS = ("name => document.cookie.split('; ')"
                    ".includes('mnist_playground_nickname=' + encodeURIComponent(name))")


@pytest.fixture(scope="module")
def class_url(browser):
    """Yield the base URL of a server started with the presenter key KEY."""
    with running_app(env={"PLAYGROUND_PRESENTER_KEY": KEY}, timeout=90) as url:
        yield url


@pytest.fixture
def people(browser, class_url):
    """Return new(): a fresh page in a browser context of its own (one person); all are closed after the test,
    and the test fails if any of them showed an exception box."""
    contexts = []

    def new():
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(45_000)
        page.app_url = class_url
        return page

    yield new
    errors = []
    for context in contexts:
        try:
            errors += [e for page in context.pages for e in exceptions(page)]
        finally:
            context.close()
    assert not errors, f"a page showed an exception: {errors}"


def enter_key(page, key):
    """Open /class as a fresh visit and type key into the presenter key form."""
    open_page(page, "class")
    page.get_by_label("Presenter key", exact=True).fill(key)
    page.get_by_role("button", name="Enter", exact=True).click()
    wait_for_app(page)


def as_presenter(page):
    """Open /class with the right key; wait for its tabs."""
    enter_key(page, KEY)
    page.get_by_role("tab", name="Class board").wait_for()


def visit_train(page, epochs):
    """Start loading the Train page with epochs set by its address (a lesson link's form); do not wait for it."""
    page.goto(f"{page.app_url}/train?epochs={epochs}")


def attend(page, nickname, full_speed=False):
    """On a Train page visit_train started, type nickname into the Class section and start a run."""
    wait_for_app(page)
    page.get_by_test_id("stMain").locator("h1").first.wait_for()
    box = page.locator(".st-key-class_nickname input")
    for attempt in range(3):  # a change typed while a fresh server's first Train page still runs can be lost
        box.fill("")
        box.press_sequentially(nickname)  # typed: the field's 24-character limit cuts it as it would a person's
        box.press("Enter")
        wait_for_app(page)
        try:  # the server took the nickname (as the field cut it) when it has the browser keep it in a cookie
            page.wait_for_function(NICKNAME_KEPT_JS, arg=nickname[:24], timeout=8_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    if full_speed:
        choose_full_speed(page)
    page.get_by_role("button", name="Start training").click()
    page.get_by_text(re.compile("^This run is on the class board as")).wait_for()


def curves(page):
    """Return {nickname: last epoch drawn} as the board's chart shows it now."""
    return page.evaluate(CURVES_JS)


def wait_for_names(page, names, timeout=45_000):
    """Wait until the board's chart has a curve for each of names."""
    page.wait_for_function(f"names => {{ const c = ({CURVES_JS})(); return names.every(n => n in c); }}",
                           arg=list(names), timeout=timeout)


def test_the_class_page_asks_for_the_key_and_opens_the_board_only_for_the_right_one(people):
    page = people()
    open_page(page, "class")
    main = page.get_by_test_id("stMain")
    expect(page.get_by_label("Presenter key", exact=True)).to_be_visible()
    expect(main.get_by_role("tab")).to_have_count(0)
    expect(main.get_by_text("Class board")).to_have_count(0)
    enter_key(page, KEY[::-1] + "x")
    expect(main.get_by_text("That is not the presenter key.")).to_be_visible()
    expect(main.get_by_role("tab")).to_have_count(0)
    expect(page.locator(".st-key-leaderboard, .st-key-board_run")).to_have_count(0)
    page.get_by_label("Presenter key", exact=True).fill(KEY)  # same session: the form again, now with the key
    page.get_by_role("button", name="Enter", exact=True).click()
    expect(main.get_by_role("tab", name="Class board")).to_be_visible()
    expect(main.get_by_role("tab", name="Lesson")).to_be_visible()
    expect(page.get_by_label("Presenter key", exact=True)).to_have_count(0)
    expect(main.get_by_text("That is not the presenter key.")).to_have_count(0)


def test_three_attendees_join_an_open_board_live_and_one_network_opens_read_only(people):
    board = people()
    as_presenter(board)  # open before anyone trains, and never reloaded
    names = ("Ada", "Grace", "Alan")
    attendees = {}
    for name in names:  # the three pages load side by side, as a room's would
        attendees[name] = people()
        visit_train(attendees[name], 200)  # 200 epochs outlast the test, even in slow motion
    for name in names:
        attend(attendees[name], name)
    wait_for_names(board, names)
    board.wait_for_function(f"names => names.every(n => ({CURVES_JS})()[n] > 0)", arg=list(names), timeout=45_000)
    before = curves(board)
    board.wait_for_function(f"([names, before]) => {{ const c = ({CURVES_JS})(); "
                            "return names.every(n => c[n] > before[n]); }", arg=[list(names), before],
                            timeout=45_000)  # every run further on, the page untouched

    grace = attendees["Grace"]
    wait_for_points(grace, 2)
    step = step_shown(grace)
    choice = board.locator(".st-key-board_run input")  # typed, not clicked: the list redraws every 2 s
    for _ in range(3):  # a redraw between typing and Enter can swallow the choice, as it would a person's: again
        choice.click()
        choice.fill("Grace")
        choice.press("Enter")
        wait_for_app(board)
        if choice.input_value().startswith("Grace · "):
            break
    expect(board.get_by_role("combobox", name="Look at what this network learned")).to_have_value(
        re.compile(r"^Grace · "))
    board.get_by_role("button", name="Open on Weights").click()
    board.wait_for_url("**/weights*")
    sidebar = board.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("An attendee's network, read-only")).to_be_visible()
    expect(sidebar.get_by_text(re.compile(r"Grace's run, read-only"))).to_be_visible()
    grace.wait_for_function("step => { const m = /Step ([\\d,]+) of/.exec(document.body.innerText); "
                            "return m && +m[1].replace(/,/g, '') > step; }", arg=step, timeout=45_000)
    assert step_shown(grace) > step  # Grace's run learns on
    expect(grace.get_by_text("An attendee's network, read-only")).to_have_count(0)
    expect(grace.get_by_text(re.compile("^This run is on the class board as Grace"))).to_be_visible()
    expect(grace.get_by_role("button", name="Stop")).to_be_enabled()
    for page in attendees.values():  # the next tests need the CPU
        page.get_by_role("button", name="Stop").click()


def test_a_nickname_with_markup_shows_as_text_on_the_board(people):
    board = people()
    dialogs = []
    board.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    as_presenter(board)
    attendee = people()
    attendee.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    visit_train(attendee, 1)
    attend(attendee, MARKUP, full_speed=True)
    wait_for_names(board, [html.escape(CUT)])  # Plotly reads a few tags in names: the board escapes them
    expect(board.locator(".st-key-class_curves .legendtext").filter(has_text=CUT)).to_have_count(1)
    board.wait_for_timeout(2500)  # one more redraw of the board
    assert board.locator("img[src='x'], img[onerror]").count() == 0
    assert attendee.locator("img[src='x'], img[onerror]").count() == 0
    expect(attendee.get_by_text(f"This run is on the class board as {CUT}.")).to_be_visible()
    assert not dialogs


def test_the_published_lessons_link_locks_one_control_and_hides_another(people):
    board = people()
    as_presenter(board)
    board.get_by_role("tab", name="Lesson").click()
    for key, label in (("lesson_locked", "Learning rate"), ("lesson_hidden", "Optimiser")):
        board.locator(f".st-key-{key} input").click()
        board.get_by_role("option", name=label, exact=True).click()
        board.keyboard.press("Escape")
        wait_for_app(board)
    board.get_by_role("button", name="Publish the lesson").click()
    wait_for_app(board)
    code = board.get_by_test_id("stMain").locator("h2 code").filter(has_text="/train?")  # big, for the room
    link = code.inner_text().strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/train\?\S*\block=lr\b\S*", link), link
    assert "hide=optimizer" in link and "b=" not in link

    student = people()
    student.goto(link)
    wait_for_app(student)
    settings = student.get_by_test_id("stMain")
    expect(settings.get_by_test_id("stSelectbox").filter(has_text="Activation")).to_be_visible()
    expect(settings.get_by_role("combobox", name="Learning rate")).to_be_disabled()
    expect(settings.get_by_test_id("stSelectbox").filter(has_text="Optimiser")).to_have_count(0)
    expect(settings.get_by_role("spinbutton", name="Epochs", exact=True)).to_be_enabled()
