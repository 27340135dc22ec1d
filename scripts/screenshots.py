"""Take the README's screenshots of the real app in headless Chromium: one function per page.

    python scripts/screenshots.py                 # every page, into docs/<page>.png
    python scripts/screenshots.py --pages train   # only some
    python scripts/screenshots.py --pages map     # the Weights page's activation map mid-run, docs/map.png
    python scripts/screenshots.py --pages phone   # each page's first screen on a phone, docs/phone.png

A page's function gets a fresh browser page already at the app's URL and saves its
picture; add a page by adding a function to ``SHOTS``.  Not a test: it asserts nothing.
"""

import argparse
import io
import os
import secrets
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import (  # noqa: E402
    VIEWPORT,
    launch_browser,
    open_from_sidebar,
    open_page,
    running_app,
    show_section,
    start_training,
    wait_for_app,
    wait_for_points,
)
from benchmarks.strokes import replay, sample_strokes  # noqa: E402

DOCS = ROOT / "docs"


# True when nothing on the page is a stand-in: no widget waiting for its code (a skeleton), nothing faded, every
# image loaded.  A script run can end before the browser has drawn all of it.
SETTLED_JS = """() => !document.querySelector('[data-testid="stSkeleton"], [data-stale="true"]')
  && [...document.querySelectorAll('[data-testid="stApp"] img')].every(img => img.complete && img.naturalWidth)"""


def shot_home(page, out):
    """Save the home page."""
    open_page(page)
    page.wait_for_function(SETTLED_JS)
    page.wait_for_timeout(500)
    page.screenshot(path=out, full_page=True)


def shot_train(page, out):
    """Save the Train page in the middle of a run on the bundled sample, its chart part drawn."""
    # Augmented digits learn slower and do not overfit: curves worth a look, mid-run even on a fast machine.
    start_training(page, epochs=200, augment=True)
    wait_for_points(page, 16)
    page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTo(0, 0)")  # typing scrolled it
    page.wait_for_timeout(500)  # let the chart finish its redraw
    page.screenshot(path=out, full_page=True)
    page.get_by_role("button", name="Stop").click()


# True when every chart of the page is drawn and none is faded as stale: a live page's redraw
# mounts its charts anew, and the newest ones take a moment to draw.
ALL_DRAWN_JS = """() => {
  const plots = [...document.querySelectorAll('[class*="st-key-weights_"] .js-plotly-plot')];
  const keys = new Set(plots.map(e => e.closest('[class*="st-key-"]').className));
  return plots.length >= 4 && plots.length === keys.size && plots.every(e =>
    e.querySelector('.cartesianlayer .trace, .cartesianlayer image')
    && getComputedStyle(e.closest('[data-testid="stElementContainer"]') || e).opacity === '1');
}"""


def shot_weights(page, out):
    """Save the Weights page of a run paused after a few epochs, its first section: what its units learned."""
    # The page scrolls inside stMain, so a full-page shot needs a viewport as tall as the page;
    # it is set first, as resizing makes every chart draw itself again.
    page.set_viewport_size({"width": VIEWPORT["width"], "height": 4000})
    start_training(page, epochs=200)
    wait_for_points(page, 80)
    # Paused, the live page still redraws every 2 s but its charts stay put: a tall shot of a page
    # whose charts are being redrawn catches some of them blank.
    page.get_by_role("button", name="Pause").click()
    wait_for_app(page)
    open_from_sidebar(page, "Weights")
    page.wait_for_function(ALL_DRAWN_JS, polling=100)
    page.get_by_text("Show only what it has learned").click()
    wait_for_app(page)
    page.get_by_text("what its 784 weights learned").wait_for()
    page.wait_for_function(ALL_DRAWN_JS, polling=100)
    page.wait_for_timeout(3000)  # one more redraw, which changes nothing
    page.wait_for_function(ALL_DRAWN_JS, polling=100)
    height = page.evaluate("() => document.querySelector('[data-testid=stMainBlockContainer]').scrollHeight")
    page.screenshot(path=out, clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height})
    from PIL import Image  # a page this tall: 256 colours keep it sharp at under half the bytes

    Image.open(out).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    open_from_sidebar(page, "Train")
    page.get_by_role("button", name="Stop").click()


# True when the map's chart holds its points and is not faded as stale by a redraw under way.
MAP_DRAWN_JS = """() => {
  const plot = [...document.querySelectorAll('.st-key-map_pca .js-plotly-plot')].pop();
  return plot?._fullData?.[0]?.x?.length > 0
    && getComputedStyle(plot.closest('[data-testid="stElementContainer"]') || plot).opacity === '1';
}"""


def shot_map(page, out):
    """Save the Weights page's activation map of the first hidden layer in the middle of a run."""
    start_training(page, epochs=200)
    wait_for_points(page, 8)  # in slow motion the run takes about half a minute: leave most of it for the map
    open_from_sidebar(page, "Weights")
    show_section(page, "Digits as each layer sees them")
    page.get_by_text("Redrawn every 2 s as the run learns").wait_for()
    section = page.get_by_test_id("stHorizontalBlock").filter(has=page.locator(".st-key-map_pca")).last
    section.scroll_into_view_if_needed()
    page.wait_for_function(MAP_DRAWN_JS, polling=100)
    page.wait_for_timeout(300)  # let WebGL paint the points
    section.screenshot(path=out)  # the run, in slow motion, ends on its own within half a minute


def shot_draw(page, out):
    """Save the Draw page reading a 7 drawn with the mouse."""
    # Reconstructed by the Weights engineer after an edit of theirs removed the original: check it.
    open_page(page)
    open_from_sidebar(page, "Draw")
    page.get_by_text("Draw a digit in the black square").wait_for()
    replay(page, sample_strokes(7))
    page.get_by_test_id("stMetric").filter(has_text="Prediction").wait_for()
    wait_for_app(page)
    page.wait_for_timeout(500)  # let the charts finish drawing
    page.screenshot(path=out, full_page=True)


# The class, as the presenter's board lists it: (nickname, settings, epochs); the last two are still training.
CLASS = [("Ada", {"hidden": (128,)}, 8), ("Grace", {"hidden": (64, 32), "lr": 0.003}, 8),
         ("Alan", {"hidden": (32,), "optimizer": "momentum", "lr": 0.05}, 6),
         ("Katherine J.", {"hidden": (256,), "dropout": 0.2}, 8), ("Linus", {"hidden": (16,), "lr": 0.01}, 40),
         ("Margaret", {"hidden": (128, 64), "optimizer": "rmsprop"}, 40)]

# True when the board's curves hold every run and its confusion matrix is drawn, neither faded as stale.
BOARD_DRAWN_JS = """n => {
  const curves = document.querySelector('.st-key-class_curves .js-plotly-plot');
  const confusion = document.querySelector('.st-key-class_confusion img');  // a picture drawn on the server
  return curves?._fullData?.length === n && confusion?.complete && confusion.naturalWidth > 0
    && [curves, confusion].every(e => e.closest('[data-stale="true"]') === null);
}"""


def class_runs():
    """Train CLASS's runs in this process, as the workers would, and put them on the board; the last two go on.

    The run folder is $MNIST_PLAYGROUND_RUNS, shared with the server.  Return the live runs.
    """
    from nn.data import load_dataset, make_splits
    from nn.settings import TrainConfig
    from ui import classroom
    from ui.runs.scheduler import Scheduler
    from ui.runs.worker import Run

    splits = make_splits(load_dataset("sample"), seed=0)
    lesson = {"epochs": 8, "train_size": 4000}  # small runs: the picture takes a minute, not ten
    classroom.publish(classroom.Lesson(values=TrainConfig(**lesson).to_dict()))  # runs are compared with it
    runs = []
    for nickname, settings, epochs in CLASS:
        config = TrainConfig(**{**lesson, **settings, "epochs": epochs})
        run = Run(uuid.uuid4().hex[:12], splits, config, data_name="bundled sample", browser=secrets.token_hex(8),
                  scheduler=Scheduler(1))
        classroom.join(run.id, run.browser, nickname)
        if epochs > 10:
            run.pace(150)  # slow motion: still training while the picture is taken
        run.start()
        runs.append(run)
        if epochs <= 10:
            run.join(120)
    return runs[-2:]


def shot_class(page, out):
    """Save the presenter's class board: six attendees' runs, four done and two training, on a server of its own.

    Started with a presenter key and sharing a run folder with this script, which trains the
    runs itself (faster than six browsers) and joins them to the board as the Train page does.
    """
    key = secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory() as runs_folder:
        os.environ["MNIST_PLAYGROUND_RUNS"] = runs_folder
        live = class_runs()
        with running_app(env={"PLAYGROUND_PRESENTER_KEY": key, "MNIST_PLAYGROUND_RUNS": runs_folder}) as url:
            page.app_url = url
            page.set_viewport_size({"width": VIEWPORT["width"], "height": 2400})  # the page scrolls inside stMain
            open_page(page, "class")
            page.get_by_label("Presenter key", exact=True).fill(key)
            page.get_by_role("button", name="Enter", exact=True).click()
            page.wait_for_function(BOARD_DRAWN_JS, arg=len(CLASS), polling=100)
            page.wait_for_timeout(1000)  # let the newest redraw settle
            page.wait_for_function(BOARD_DRAWN_JS, arg=len(CLASS), polling=100)
            height = page.evaluate(
                "() => document.querySelector('[data-testid=stMainBlockContainer]').scrollHeight")
            page.screenshot(path=out, clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height})
        for run in live:  # before their folder goes
            run.control.stop()
            run.join(60)
        os.environ.pop("MNIST_PLAYGROUND_RUNS")


def shot_lab(page, out):
    """Save the Lab page's three tabs, one under the other: a 7 drawn first and the smallest weights pruned; the damage
    tests run; a 90% threshold."""
    from PIL import Image

    page.set_viewport_size({"width": VIEWPORT["width"], "height": 3600})  # first: resizing redraws every chart
    open_page(page)
    open_from_sidebar(page, "Draw")
    page.get_by_text("Draw a digit in the black square").wait_for()
    replay(page, sample_strokes(7))
    page.get_by_test_id("stMetric").filter(has_text="Prediction").wait_for()
    open_from_sidebar(page, "Lab")
    shots = []

    def shoot():  # the page down to the end of its open tab, every chart drawn
        page.mouse.move(0, 0)  # away from the buttons: no tooltip in the picture
        wait_for_app(page)
        page.wait_for_timeout(2000)
        height = page.evaluate("() => document.querySelector('[data-testid=stMainBlockContainer]').scrollHeight")
        shots.append(Image.open(io.BytesIO(page.screenshot(clip={"x": 0, "y": 0, "width": VIEWPORT["width"],
                                                                  "height": height}))))

    def press(label, presses):  # each press is one step of the slider
        page.get_by_test_id("stSlider").filter(has_text=label).get_by_role("slider").focus()
        for _ in range(presses):
            page.keyboard.press("ArrowRight")
        wait_for_app(page)

    page.get_by_test_id("stButtonGroup").get_by_role("radio", name="Prune").click()  # its controls show
    wait_for_app(page)
    press("Prune the smallest weights", 12)  # 5% of the weights a step
    shoot()
    page.get_by_role("tab", name="Damage tests").click()
    page.get_by_role("button", name="Run the damage tests").click()
    page.get_by_text("What each damage does").wait_for()
    page.locator('[class*="st-key-lab_damage_curves"] .js-plotly-plot .cartesianlayer .trace').first.wait_for(
        timeout=600_000)  # the damage curves, once the pool has computed them
    shoot()
    page.get_by_role("tab", name="I don't know").click()
    page.get_by_text("Right on those").wait_for()
    press("Confidence threshold", 90)  # 0.01 of confidence a step
    shoot()
    sheet = Image.new("RGB", (VIEWPORT["width"], sum(shot.height for shot in shots)), "white")
    for i, shot in enumerate(shots):
        sheet.paste(shot, (0, sum(s.height for s in shots[:i])))
    # A tall picture: 256 colours keep it sharp at under half the bytes.
    sheet.quantize(256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)


PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
PHONE_PAGES = ("", "train", "weights", "draw", "lab")


def shot_phone(page, out):
    """Save the first screen of each page on a phone (390×844, touch), side by side; the Draw page reading a 7."""
    from PIL import Image

    context = page.context.browser.new_context(**PHONE)
    shots = []
    for path in PHONE_PAGES:
        phone = context.new_page()
        phone.set_default_timeout(60_000)
        phone.goto(f"{page.app_url}/{path}")
        wait_for_app(phone, 60_000)
        phone.get_by_test_id("stMain").locator("h1").first.wait_for()
        if path == "draw":
            replay(phone, sample_strokes(7))
            phone.get_by_test_id("stMetric").filter(has_text="Prediction").wait_for()
            wait_for_app(phone)
        phone.wait_for_function(SETTLED_JS)  # every part drawn
        if path == "lab":
            phone.locator("[data-testid=stImage] img").first.wait_for()  # its first reading (the confusion matrix)
        phone.wait_for_timeout(1500)  # let the charts finish drawing
        shots.append(Image.open(io.BytesIO(phone.screenshot())))
        phone.close()
    context.close()
    gap = 24
    width, height = shots[0].size
    sheet = Image.new("RGB", (len(shots) * (width + gap) - gap, height), "#e6e9ef")
    for i, shot in enumerate(shots):
        sheet.paste(shot, (i * (width + gap), 0))
    sheet.quantize(256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)


SHOTS = {"home": shot_home, "train": shot_train, "weights": shot_weights, "map": shot_map, "draw": shot_draw,
         "lab": shot_lab, "class": shot_class, "phone": shot_phone}


def main(argv=None):
    """Take the screenshots of the pages asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default=",".join(SHOTS), help=f"comma-separated, from {', '.join(SHOTS)}")
    parser.add_argument("--out", type=Path, default=DOCS, help="folder for the pictures (default: docs/)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.pages.split(",") if n.strip()]
    unknown = [n for n in names if n not in SHOTS]
    if unknown:
        parser.error(f"no screenshot for {', '.join(unknown)}; choose from {', '.join(SHOTS)}")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with running_app() as url, sync_playwright() as p:
        browser = launch_browser(p)
        for name in names:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.app_url = url
            SHOTS[name](page, args.out / f"{name}.png")
            print(f"saved {args.out / f'{name}.png'}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
