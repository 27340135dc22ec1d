"""Every public figure builds from representative inputs and follows the one policy of ``ui.figures``.

The policy: each is a Plotly figure that passes Plotly's schema (``base.VALIDATE`` on), says
what it shows (a title or an axis title, unless it is a picture the page captions), and
uses only the palette's colours; or a picture drawn on the server, in the palette's colours
and scales.  The digit pictures keep their pixels sharp and in place.
"""

import inspect
from xml.etree import ElementTree

import numpy as np
import plotly.graph_objects as go
import pytest

from nn.digits.augment import DAMAGES
from nn.explain import inspection
from ui import figures
from ui.classroom import BoardRun
from ui.figures import activation_map, digits, drawing, lab, palette, training, tuning, weights

RNG = np.random.default_rng(0)
HISTORY = [{"epoch": i / 10, "step": 5 * i, "train_loss": 1 / (i + 1), "val_loss": 1.2 / (i + 1), "lr": 1e-3,
            "train_acc": 1 - 1 / (i + 2), "val_acc": 1 - 1.3 / (i + 2)} for i in range(400)]
CURVE = {"epoch": [m["epoch"] for m in HISTORY], "val_acc": [m["val_acc"] for m in HISTORY]}  # a board run's numbers
W = RNG.normal(size=(784, 70)).astype(np.float32)
X = RNG.random((12, 784)).astype(np.float32)
CASES = {
    training.curves: lambda: training.curves(HISTORY),
    training.compare: lambda: training.compare([("run a", HISTORY), ("run b", HISTORY[:20]), ("no reports", [])]),
    training.class_curves: lambda: training.class_curves(
        [BoardRun(f"{i:012x}", f"<b>attendee {i}</b>", {"curve": CURVE}) for i in range(30)]
        + [BoardRun("f" * 12, "no reports yet", {"curve": {"epoch": [], "val_acc": []}})],
        [f"{i:012x}" for i in range(29, -1, -1)]),
    tuning.parallel: lambda: tuning.parallel(
        [{"hidden": 64, "lr": 1e-3, "optimizer": "adam", "val acc": 0.9},
         {"hidden": 128, "lr": 1e-2, "optimizer": "rmsprop", "val acc": 0.8},
         {"hidden": 256, "lr": 1e-4, "optimizer": "adam", "val acc": None}], ["hidden", "lr", "optimizer"]),
    weights.unit_grid: lambda: weights.unit_grid(inspection.tile(W[:, :64].T, 8), 0.5, 8, 0, 64, 3),
    weights.conv_pixel: lambda: weights.conv_pixel(RNG.random((5, 5)), RNG.normal(size=(5, 5))),
    weights.unit_image: lambda: weights.unit_image(W[:, 0].reshape(28, 28), 0.5, "Unit 0: its 784 weights"),
    weights.digit_strip: lambda: weights.digit_strip(X[:8].reshape(-1, 28, 28), np.arange(8), RNG.random(8) * 7),
    weights.digit_means: lambda: weights.digit_means(np.r_[RNG.random(9), np.nan]),
    weights.input_image: lambda: weights.input_image(X[0]),
    weights.layer_bars: lambda: weights.layer_bars(RNG.normal(size=64), RNG.random(64), 1, "ReLU"),
    weights.weight_matrix: lambda: weights.weight_matrix(W.T, np.arange(0, 70, 3), np.arange(0, 784, 9), 0.5, "W1"),
    weights.bias_bars: lambda: weights.bias_bars(RNG.normal(size=32), "b1"),
    weights.gradient_grid: lambda: weights.gradient_grid(inspection.tile(W[:, :8].T, 3), 0.5, 3, [5, 0, 69]),
    weights.before_after: lambda: weights.before_after(np.full(10, 0.1), np.eye(10)[3], 3),
    weights.distributions: lambda: weights.distributions(
        [("W1", np.linspace(-1, 1, 41), RNG.random(40), RNG.random(40)), ("W2", np.linspace(-1, 1, 41), RNG.random(40),
                                                                          None)]),
    weights.health: lambda: weights.health({"step": np.arange(50), "grad_norm": RNG.random((50, 6)) + 0.1,
                                            "update_ratio": RNG.random((50, 6)) * 1e-3 + 1e-5,
                                            "dead_relu": RNG.random((50, 6)),
                                            "names": {"grad_norm": ["conv1", "conv2", "W1", "W2", "W3", "W4"],
                                                      "update_ratio": ["conv1", "conv2", "W1", "W2", "W3", "W4"],
                                                      "dead_relu": ["conv1", "conv2", *(f"hidden {j}" for j in
                                                                                        range(1, 5))]}}),
    drawing.probability_bars: lambda: drawing.probability_bars(RNG.dirichlet(np.ones(10)), 4),
    drawing.saliency_map: lambda: drawing.saliency_map(RNG.normal(size=(28, 28)), "Gradient for 4"),
    drawing.activation_grid: lambda: drawing.activation_grid(RNG.random(100), 1),
    drawing.digit_grid: lambda: drawing.digit_grid(RNG.integers(0, 256, (13, 28, 28)).astype(np.uint8),
                                                   RNG.integers(0, 10, 13)),
    lab.unit_drops: lambda: lab.unit_drops(RNG.normal(0.002, 0.003, 64), 2),
    lab.damage_curves: lambda: lab.damage_curves(
        {name: {kind: RNG.random(len(s)) for kind, (s, _, _) in DAMAGES.items()} for name in ("session", "pretrained")},
        DAMAGES),
    activation_map.digit_map: lambda: activation_map.digit_map(RNG.normal(size=(50, 2)), np.arange(50) % 10,
                                                               (np.arange(50) + (np.arange(50) % 7 == 0)) % 10,
                                                               np.arange(50) * 3, "PCA of hidden layer 1"),
}
# Pictures; the page says what they show.
CAPTIONED_BY_PAGE = {weights.unit_grid, weights.gradient_grid, weights.input_image, drawing.digit_grid}
# Pictures drawn on the server (uint8 RGB, or SVG for a curve), each tested below: the browser needs no chart library.
DRAWN_ON_SERVER = {weights.channel_grid, training.confusion, lab.coverage}


def public_figure_functions():
    """Return every public function of the topic modules: each builds figures."""
    return {f for module in (training, tuning, weights, drawing, lab, activation_map)
            for name, f in inspect.getmembers(module, inspect.isfunction)
            if not name.startswith("_") and f.__module__ == module.__name__}


def palette_colours():
    """Return every colour the palette defines, alone or in a scale."""
    colours = set()
    for value in vars(palette).values():
        if isinstance(value, str):
            colours.add(value)
        elif isinstance(value, list):
            colours.update(c[1] if isinstance(c, list) else c for c in value)
    return colours


def colours_in(node, key=None):
    """Yield every colour in a figure's JSON: values under colour keys, and colour-scale entries."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k != "template":  # the theme's, not ours
                yield from colours_in(v, k)
    elif isinstance(node, (list, tuple)):
        if key == "colorscale":
            yield from (c for _, c in node)
        else:
            for v in node:
                yield from colours_in(v, key)
    elif isinstance(node, str) and key is not None and key.endswith("color"):
        yield node


def test_every_public_figure_function_has_a_case():
    assert public_figure_functions() == set(CASES) | DRAWN_ON_SERVER


@pytest.mark.parametrize("build", list(CASES), ids=lambda f: f"{f.__module__.rsplit('.', 1)[1]}.{f.__name__}")
def test_figure_follows_the_policy(build, monkeypatch):
    monkeypatch.setattr(figures.base, "VALIDATE", True)  # Plotly's schema raises on any wrong property
    result = CASES[build]()
    for fig in result if isinstance(result, tuple) else (result,):
        assert isinstance(fig, go.Figure)
        layout = fig.to_plotly_json()["layout"]
        named = layout.get("title", {}).get("text") or any(
            axis.get("title", {}).get("text") for name, axis in layout.items() if name.startswith(("xaxis", "yaxis")))
        assert named or build in CAPTIONED_BY_PAGE, "a figure says what it shows"
        assert set(colours_in(fig.to_plotly_json())) <= palette_colours()


def test_figures_are_not_validated_at_run_time():
    assert figures.base.VALIDATE is False  # 30-50 ms a figure; the tests above check the schema instead


def test_pictures_pad_to_a_centred_square_and_enlarge_by_whole_pixels():
    crop = np.zeros((4, 2), dtype=np.float32)
    crop[0, 0] = 1.0
    (picture,) = digits.pictures([crop], size=8)
    assert picture.shape == (8, 8) and picture.dtype == np.uint8
    assert (picture[:2, 2:4] == 255).all() and picture.sum() == 4 * 255  # column 1 of 4, two pixels wide


def test_a_grid_puts_each_digit_in_its_cell_with_gaps_between():
    images = np.stack([np.full((28, 28), k, dtype=np.uint8) for k in (10, 20, 30)])
    sheet = digits.pictures(images, per_row=2, gap=2)
    assert sheet.shape == (58, 58)
    assert sheet[0, 0] == 10 and sheet[0, 30] == 20 and sheet[30, 0] == 30 and sheet[30, 30] == 0
    assert (sheet[:, 28:30] == 0).all()


def test_a_conv_layers_channels_are_one_sharp_picture_in_order_on_the_diverging_scale():
    maps = np.zeros((3, 5, 5), dtype=np.float32)
    maps[0], maps[1], maps[2, 0, 0] = 2.0, -0.5, 1.0  # past +scale, half-way to -scale, one value at +scale
    picture = weights.channel_grid(maps, 1.0)
    assert picture.dtype == np.uint8 and picture.ndim == 3 and picture.shape[2] == 3
    grid, bar = picture[:, :-weights.BAR_SPACE], picture[:, -weights.BAR_SPACE:]
    deep_red, half_blue, white = palette.paint(palette.DIVERGING, [1.0, 0.25, 0.5])

    def box(colour):
        """Return (top, left, height, width, pixels) of where grid has exactly colour."""
        rows, cols = np.nonzero((grid == colour).all(axis=-1))
        return rows.min(), cols.min(), rows.max() + 1 - rows.min(), cols.max() + 1 - cols.min(), len(rows)

    top, left, height, width, count = box(half_blue)
    assert height == width == weights.CHANNEL_PX and count == height * width  # channel 1: one square, 12 px a value
    top0, left0, height0, width0, count0 = box(deep_red)  # channel 0 (clipped to the scale's end) and 2's one value
    assert top0 == top and left0 < left and width0 == width  # 0 sits left of 1 on the same row
    assert height0 > height and count0 == width * width + (width // 5) ** 2  # 2 sits under 0: one value, 12×12 px
    assert (grid[top0 + height + 20: top0 + height0, left0 + width // 5:left0 + width] == white).all()  # 2's zeros
    assert (grid[top0 - 12:top0 - 2, left0:left0 + width] != palette.rgb(palette.GAP)).any(-1).any()  # numbered
    column = bar[:, weights.BAR_PX // 2]  # down the colour bar: from +scale's red to -scale's blue
    reds = np.nonzero((column == deep_red).all(-1))[0]
    blues = np.nonzero((column == palette.paint(palette.DIVERGING, 0.0)).all(-1))[0]
    assert len(reds) and len(blues) and reds.max() < blues.min()


def test_a_confusion_matrix_is_a_picture_of_its_counts_with_true_digits_down():
    counts = np.zeros((10, 10), dtype=int)
    np.fill_diagonal(counts, 100)
    counts[4, 9] = 50  # true 4, read as 9
    picture = training.confusion(counts)
    assert picture.dtype == np.uint8 and picture.ndim == 3 and picture.shape[2] == 3
    none, half, most = palette.paint(palette.COUNTS, [0.0, 0.5, 1.0])
    rows, cols = np.nonzero((picture == none).all(axis=-1))  # every cell but the diagonal and (4, 9)
    top, left, cell = rows.min(), cols.min(), (cols.max() + 1 - cols.min()) // 10

    def cell_at(r, c):
        return picture[top + r * cell:top + (r + 1) * cell, left + c * cell:left + (c + 1) * cell]

    assert all((cell_at(d, d)[1, 1] == most).all() for d in range(10))  # the diagonal holds the most digits
    assert (cell_at(4, 9)[1, 1] == half).all() and (cell_at(9, 4)[1, 1] == none).all()  # row: true digit
    assert (cell_at(4, 9) != half).any(-1).any() and (cell_at(0, 1) != none).any(-1).any()  # each count written
    large = training.confusion(counts, scale=2)  # for the projector: every cell and number twice as large
    assert 3.9 < (large == none).all(-1).sum() / (picture == none).all(-1).sum() < 4.1


def test_the_coverage_curve_is_an_svg_of_its_numbers_with_the_chosen_threshold_marked():
    svg = ElementTree.fromstring(lab.coverage(np.linspace(0, 1, 101), np.linspace(1, 0, 101),
                                              np.r_[np.linspace(0.9, 1, 100), np.nan], 0.5))
    tag = "{http://www.w3.org/2000/svg}"
    texts = {t.text: (float(t.get("x", 0)), float(t.get("y", 0))) for t in svg.iter(tag + "text")}
    assert {"0%", "100%", "90.0%", "100.0%", "your threshold 0.50", "share of test digits answered (coverage)"} <= set(
        texts)
    [line] = svg.iter(tag + "polyline")  # one line: the last threshold answers nothing, so has no accuracy
    x, y = np.array([p.split(",") for p in line.get("points").split()], dtype=float).T
    assert len(x) == 100 and x[0] == texts["100%"][0] and x[-1] > texts["0%"][0]  # coverage falls left to right...
    assert np.all(np.diff(x) < 0) and np.all(np.diff(y) < 0)  # ...as accuracy rises (up the picture)
    assert y[0] == pytest.approx(texts["90.0%"][1]) and y[-1] == pytest.approx(texts["100.0%"][1])
    colours = {e.get("stroke") for e in svg.iter() if e.get("stroke")}
    assert colours <= palette_colours()


def test_one_of_each_finds_the_first_of_every_digit():
    y = np.array([3, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0])
    assert digits.one_of_each(y) == [1, 2, 3, 0, 5, 6, 7, 8, 9, 10]


def test_thirty_class_board_curves_keep_apart_and_the_leaders_stand_out():
    runs = [BoardRun(f"{i:012x}", f"<i>{i}</i>", {"curve": CURVE}) for i in range(30)]
    order = [run.run_id for run in reversed(runs)]  # the last run leads
    fig = training.class_curves(runs, order)
    traces = fig.data
    assert len(traces) == 30 and traces[-1].name == "&lt;i&gt;29&lt;/i&gt;"  # the leader on top, its name as text
    assert [t.line.width for t in traces[-3:]] == [3.5] * 3 and {t.line.width for t in traces[:-3]} == {1.5}
    assert len({t.line.color for t in traces}) == len(palette.RUNS)  # every colour of the palette in use
