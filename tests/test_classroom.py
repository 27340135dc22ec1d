"""Classroom mode: the presenter key, the class board, nicknames, and what an attendee can never do.

The attendees' runs here are real: started from the Train page (AppTest) on the worker pool,
or trained in this process as a worker would and checkpointed (``saved_run``).  The board
reads the run folder, as it does on a server.  The attacker cases try what a curious
attendee would: another browser's ids in the URL, a guessed run id, a scripted nickname, the
presenter page without the key.
"""

import csv
import io
import json
import uuid
from urllib.parse import parse_qsl, urlsplit

import pytest

from nn.settings import TrainConfig
from ui import classroom, figures
from ui.lesson import markdown_text
from ui.runs import store
from ui.runs.scheduler import Scheduler
from ui.runs.worker import Run

KEY = "correct horse battery staple"
LONG = {"set_train_size": 300, "set_epochs": 5000}  # lasts until stopped (slow motion is the default)
MORE = {"set_more_open": True}  # the Train page's More settings open, where Training digits is


@pytest.fixture(autouse=True)
def presenter_key_and_empty_board(monkeypatch):
    """Start every test on a server with a presenter key, an empty board, no lesson and a fresh key gate."""
    monkeypatch.setenv("PLAYGROUND_PRESENTER_KEY", KEY)
    monkeypatch.setattr(classroom, "GATE", classroom.KeyGate())
    classroom.clear()
    classroom.lesson_path().unlink(missing_ok=True)
    yield
    classroom.clear()


def saved_run(splits, browser, epochs=1, **config):
    """Train a tiny run here to its end, as a worker would, checkpointed with its numbers; return it."""
    config = TrainConfig(**{"hidden": (16,), "train_size": 300, **config}, epochs=epochs)
    run = Run(uuid.uuid4().hex[:12], splits, config, data_name="bundled sample", browser=browser,
              scheduler=Scheduler(1))
    run.start()
    run.join(60)
    return run


def attendee(open_page, nickname):
    """Return an AppTest of an attendee's Train page with nickname typed and a long run started."""
    at = open_page("train", session=MORE)
    at.text_input(key="class_nickname").input(nickname).run()
    for key, value in LONG.items():
        at.number_input(key=key).set_value(value)
    at.button(key="start").click().run()
    return at


def presenter(open_page):
    """Return an AppTest of the /class page after the right key was typed."""
    at = open_page("class")
    at.text_input(key="presenter_key").input(KEY)
    at.button[0].click().run()
    assert at.session_state["session"].presenter
    return at


def leaderboard(at):
    """Return the leaderboard table the page shows (a DataFrame)."""
    return next(d.value for d in at.dataframe if "differs from the lesson" in d.value.columns)


# --- the presenter key ---------------------------------------------------------------------------


def test_without_a_key_the_server_has_no_class_page_and_no_class_section(open_page, monkeypatch):
    monkeypatch.delenv("PLAYGROUND_PRESENTER_KEY")
    train = open_page("train")
    assert not [t for t in train.text_input if t.key == "class_nickname"]
    assert not [s for s in train.subheader if s.value == "Class"]
    cls = open_page("class")  # the address of a page this server does not have: the home page opens
    assert [t.value for t in cls.title] == ["MNIST Playground"]
    assert not cls.text_input  # nothing to type a key into


def test_a_wrong_key_is_refused_with_one_line_and_the_right_one_opens_the_board(open_page):
    at = open_page("class")
    assert at.text_input(key="presenter_key").proto.type == at.text_input(key="presenter_key").proto.PASSWORD
    assert at.text_input(key="presenter_key").label == "Presenter key"
    assert not at.dataframe and not at.tabs  # no board without the key
    at.text_input(key="presenter_key").input("guess")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["That is not the presenter key."]
    assert not at.session_state["session"].presenter and not at.tabs
    at.text_input(key="presenter_key").input(KEY)
    at.button[0].click().run()
    assert at.session_state["session"].presenter
    assert [t.label for t in at.tabs] == ["Class board", "Lesson"]
    assert not at.error


def test_repeated_wrong_keys_slow_down_even_the_right_one():
    gate, now = classroom.KeyGate(), 1000.0
    for _ in range(gate.FREE_TRIES):
        assert gate.check("wrong") == (False, "That is not the presenter key.")
    assert gate.wait_left() == 0  # typos cost nothing
    assert not gate.check("wrong again")[0]
    first_wait = gate.wait_left(now=gate._last_wrong)
    ok, why = gate.check(KEY)  # the right key, too soon: not even looked at
    assert not ok and why.startswith("Too many wrong keys: try again in")
    gate._last_wrong -= first_wait  # as if the wait had passed
    assert not gate.check("wrong a fifth time")[0]
    assert gate.wait_left(now=gate._last_wrong) == 2 * first_wait  # each wrong try doubles the wait
    gate._last_wrong -= 2 * first_wait
    assert gate.check(KEY) == (True, "")
    assert gate.wait_left(now=now) == 0  # the right key starts afresh


def test_the_key_is_not_put_in_the_address(open_page):
    at = presenter(open_page)
    assert KEY not in str(dict(at.query_params))
    assert KEY not in str(vars(at.session_state["session"]))  # the session keeps that it is the presenter, not the key


# --- the board -----------------------------------------------------------------------------------


def test_three_attendees_appear_on_the_board_live_and_one_opens_read_only(open_page, wait_until):
    attendees = [attendee(open_page, name) for name in ("Ada", "Grace", "Alan")]
    runs = [at.session_state["session"].run for at in attendees]
    board = presenter(open_page)
    assert wait_until(lambda: len(classroom.board_runs()) == 3, 30)
    board.run()
    table = leaderboard(board)
    assert sorted(table["nickname"]) == ["Ada", "Alan", "Grace"]
    assert "run_id" not in table.columns  # ids stay off the screen
    before = dict(zip(table["nickname"], table["epochs"]))
    named = dict(zip(("Ada", "Grace", "Alan"), runs))

    def moved():
        numbers = {name: store.numbers(run.id) for name, run in named.items()}
        return all(round(n["step"] / n["steps_per_epoch"], 2) > before[name] for name, n in numbers.items())

    assert wait_until(moved, 30)
    board.run()  # the board's next refresh shows every run further on
    after = leaderboard(board)
    assert all(e > before[name] for name, e in zip(after["nickname"], after["epochs"]))
    curves = board.get("plotly_chart")
    assert any("Grace" in str(c.proto.spec) for c in curves)

    grace = runs[1]
    step = grace.step_count
    board.selectbox(key="board_run").select(grace.id).run()
    board.button(key="view_pages/weights.py").click().run()
    me = board.session_state["session"]
    assert me.viewing is not None and me.model() is me.viewing
    assert "Grace" in me.model().source and "read-only" in me.model().source
    assert me.run is None and grace not in me.runs  # the presenter holds no handle to Grace's run
    # and it learns on: with three runs on two slots it takes turns, so it is running or briefly queued
    assert grace.alive and grace.status in ("running", "queued")
    assert wait_until(lambda: grace.step_count > step, 30)


def test_the_leaderboard_ranks_by_the_challenge_and_the_export_is_safe_csv(splits):
    small = saved_run(splits, "b" * 16, epochs=2)
    big = saved_run(splits, "c" * 16, epochs=2, hidden=(64,))
    classroom.join(small.id, "b" * 16, "=HYPERLINK(\"http://x\")")
    classroom.join(big.id, "c" * 16, "Big")
    lesson = classroom.Lesson(challenge="small", limit=20_000)  # 784-16-10 has 12,730 weights, 784-64-10 50,890
    rows = classroom.leaderboard(classroom.board_runs(), lesson)
    assert [r["weights"] for r in rows] == [12_730, 50_890]
    assert rows[0]["score"] == small.test_acc and rows[1]["score"] is None  # over the limit: no score
    assert rows[1]["differs from the lesson"] == "hidden 64 · epochs 2 · train_size 300"
    exported = list(csv.DictReader(io.StringIO(classroom.board_csv(rows))))
    assert exported[0]["nickname"] == "'=HYPERLINK(\"http://x\")"  # text in a spreadsheet, not a formula
    assert "run_id" not in exported[0]
    counts, finished = classroom.summed_confusion(classroom.board_runs())
    assert finished == 2 and sum(map(sum, counts)) == 2 * len(splits.y_test)
    reached = min(round(run.trainer.history[-1]["val_acc"], 4) for run in (small, big))  # the board keeps 4 places
    fast = classroom.Lesson(challenge="fast", limit=reached)  # fewest epochs to what both reached
    firsts = {run.id: next(round(m["epoch"], 4) for m in run.trainer.history if round(m["val_acc"], 4) >= reached)
              for run in (small, big)}
    ranked = classroom.leaderboard(classroom.board_runs(), fast)
    assert [r["score"] for r in ranked] == sorted(firsts.values())  # fewer epochs ranks first
    assert {r["run_id"]: r["score"] for r in ranked} == firsts


def test_clearing_the_board_keeps_the_runs(splits, open_page):
    run = saved_run(splits, "d" * 16)
    classroom.join(run.id, "d" * 16, "Dee")
    at = presenter(open_page)
    assert leaderboard(at)["nickname"].tolist() == ["Dee"]
    at.button(key="clear_board").click().run()
    assert classroom.board_runs() == [] and store.load(run.id) is not None
    assert "No runs on the board yet" in at.info[0].value


# --- the attendee -------------------------------------------------------------------------------


def test_no_nickname_no_board_and_an_attendee_can_take_a_run_off(open_page):
    anonymous = open_page("train", session=MORE)
    for key, value in LONG.items():
        anonymous.number_input(key=key).set_value(value)
    anonymous.button(key="start").click().run()
    assert classroom.entries() == {}  # without a nickname a run stays off the board
    at = attendee(open_page, "Linus")
    me = at.session_state["session"]
    assert me.on_board() == {me.run.id: "Linus"}
    assert "on the class board as Linus" in at.caption[0].value or any(
        "on the class board as Linus" in c.value for c in at.caption)
    at.button(key="class_leave").click().run()
    assert me.on_board() == {} and classroom.entries() == {}
    assert me.run.alive  # off the board, still learning
    at.button(key="class_join").click().run()
    assert me.on_board() == {me.run.id: "Linus"}


def test_a_scripted_overlong_nickname_is_cut_and_shown_as_text(open_page, wait_until):
    typed = "<script>x</script>**b**"  # as long as the field takes
    at = attendee(open_page, typed)
    me = at.session_state["session"]
    assert me.nickname == typed
    shown = next(c.value for c in at.caption if "on the class board as" in c.value)
    assert shown.endswith(f"as {markdown_text(typed)}.") and "\\<script\\>" in shown  # reads as typed
    assert wait_until(lambda: (store.numbers(me.run.id) or {}).get("curve", {}).get("epoch"), 30)
    board = presenter(open_page)
    assert leaderboard(board)["nickname"].tolist() == [typed]
    traces = json.loads(board.get("plotly_chart")[0].proto.spec)["data"]
    assert [t["name"] for t in traces] == ["&lt;script&gt;x&lt;/script&gt;**b**"]  # Plotly shows text, runs no tag
    # A request that skips the field's limit is cut on the server; control and direction characters go.
    assert me.set_nickname("[link](javascript:alert(1))" * 5) == "[link](javascript:alert("
    assert leaderboard(board.run())["nickname"].tolist() == ["[link](javascript:alert("]
    assert classroom.clean_nickname("a\u202eb\x00c\n d") == "abc d"


def test_another_browsers_ids_in_the_url_open_nothing(splits, open_page):
    victim = "e" * 16
    run = saved_run(splits, victim, epochs=1)
    classroom.join(run.id, victim, "Victim")
    at = open_page("train", query={"run": run.id})  # a guessed or copied run id, in a browser of one's own
    me = at.session_state["session"]
    assert me.run is None and me.saved_runs() == []
    assert me.open_run(run.id) is None
    me.delete_saved(run.id)
    me.leave_board(run.id)
    me.join_board(run.id)
    assert store.load(run.id) is not None and classroom.entries()[run.id]["nickname"] == "Victim"
    assert me.view_run(run.id, "Victim") is None  # an attendee is not the presenter
    assert at.query_params["b"] != victim


def test_the_attendees_summary_shows_no_ids(splits, open_page):
    run = saved_run(splits, "f" * 16)
    classroom.join(run.id, "f" * 16, "Fay")
    classroom.publish(classroom.Lesson(show_summary=True))
    at = open_page("train")
    summary = next(d.value for d in at.dataframe if "test acc" in d.value.columns)
    assert summary["nickname"].tolist() == ["Fay"]
    assert list(summary.columns) == ["nickname", "val acc", "test acc"]  # no challenge, no score


# --- the lesson ----------------------------------------------------------------------------------


def query_of(link):
    """Return the query params of a link as {name: value}."""
    return dict(parse_qsl(urlsplit(link).query))


def test_a_published_lesson_opens_with_its_locked_and_hidden_controls_and_the_board_compares_with_it(open_page):
    at = presenter(open_page)
    at.selectbox(key="lesson_lr").set_value(0.05)
    at.multiselect(key="lesson_locked").select("lr")
    at.multiselect(key="lesson_hidden").select("optimizer")
    at.selectbox(key="lesson_challenge").select("small").run()
    at.number_input(key="lesson_limit").set_value(30_000)
    at.button(key="publish_lesson").click().run()
    published = classroom.current_lesson()
    assert (published.values["lr"], published.locked, published.hidden) == (0.05, ("lr",), ("optimizer",))
    assert published.challenge_text() == "Best test accuracy with at most 30,000 weights"
    link = next(m.value for m in at.markdown if "/train?" in m.value).strip("#` ")
    query = query_of(link)
    assert query == {"lr": "0.05", "lock": "lr", "hide": "optimizer", "lesson": published.id}
    assert "b" not in query and "run" not in query
    assert [img.caption for el in at.get("image") for img in el.proto.imgs] == ["Point a phone's camera here"]
    assert figures.qr.qr_png(link)[:8] == b"\x89PNG\r\n\x1a\n"

    attendee_page = open_page("train", query=query, session=MORE)
    rate = attendee_page.selectbox(key="set_lr")
    assert rate.disabled and rate.value == 0.05
    assert not [s for s in attendee_page.selectbox if s.key == "set_optimizer"]
    assert any("at most 30,000 weights" in i.value for i in attendee_page.info)
    attendee_page.text_input(key="class_nickname").input("Kim").run()
    attendee_page.number_input(key="set_epochs").set_value(1)
    attendee_page.number_input(key="set_train_size").set_value(300)
    attendee_page.button(key="start").click().run()
    row = classroom.leaderboard(classroom.board_runs(), published)[0]
    assert row["nickname"] == "Kim" and row["differs from the lesson"] == "epochs 1 · train_size 300"


def test_a_forged_lesson_link_changes_neither_the_lesson_nor_the_board(open_page):
    published = classroom.publish(classroom.Lesson(values={"lr": 0.05}, locked=("lr",), challenge="small"))
    forged = open_page("train", session=MORE, query={"lr": "0.5", "lock": "lr", "lesson": "abcdef123456", "key": KEY,
                                       "presenter": "1"})
    me = forged.session_state["session"]
    assert not me.presenter  # nothing in an address makes a presenter
    assert any("not the class's current lesson" in c.value for c in forged.caption)
    assert me.publish_lesson({"lr": 1.0}, (), (), "none", None, False) is None
    me.clear_board()
    assert classroom.current_lesson() == published
    forged.text_input(key="class_nickname").input("Mallory").run()
    forged.number_input(key="set_epochs").set_value(1)
    forged.number_input(key="set_train_size").set_value(300)
    forged.button(key="start").click().run()
    row = classroom.leaderboard(classroom.board_runs(), published)[0]
    assert row["differs from the lesson"].startswith("lr 0.5")  # the board shows what the run really used
