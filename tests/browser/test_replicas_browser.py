"""Two app replicas behind HAProxy with ``deploy/haproxy.cfg``, sharing one run folder, in a real browser.

Attendee A is on replica app1 and B on app2 (each browser's sticky cookie names its replica);
both train.  Then A's cookie names the other replica, as when a replica is dropped or the room
rebalanced, and A opens a plain link: app2 finds A's run in the shared run folder and carries
it on from its checkpoint, and the copy left on app1 stops at its next checkpoint (the lease,
``ui.runs.store``), writing nothing more.  Both train under nicknames: the presenter's class
board on app1 lists both runs, before and after A's moved, since it reads the shared folder.
"""

import os
import re
import uuid

import pytest

from benchmarks.harness import (
    VIEWPORT,
    board_nicknames,
    haproxy_path,
    log_in_as_presenter,
    open_page,
    replicas_behind_haproxy,
    start_training,
)
from ui.runs import store

pytestmark = pytest.mark.browser
TAKEN_OVER = "was carried on by another placement"  # what the copy left behind logs as it stops (ui.runs.worker)
KEY = uuid.uuid4().hex  # the presenter key both replicas are started with


@pytest.fixture(scope="module")
def replicas(browser):
    """Yield two replicas behind HAProxy that checkpoint live runs every second."""
    if haproxy_path() is None:
        why = "no HAProxy at /usr/sbin/haproxy (apt-get install haproxy)"
        pytest.fail(why) if os.environ.get("CI") else pytest.skip(why)
    with replicas_behind_haproxy(env={"PLAYGROUND_SAVE_SECONDS": "1", "PLAYGROUND_PRESENTER_KEY": KEY}) as r:
        yield r


def tab_on(browser, replicas, name):
    """Return (context, tab) of a new browser whose sticky cookie sends it to replica name."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_cookies([{"name": replicas.cookie, "value": name, "url": replicas.url}])
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.app_url = replicas.url
    return context, tab


def run_of(tab):
    """Return the id of the run the tab's address names, once it does."""
    tab.wait_for_url(re.compile(r"[?&]run=[0-9a-f]+"))
    return re.search(r"[?&]run=([0-9a-f]+)", tab.url).group(1)


def checkpoint(run_id):
    """Return the state of a run's checkpoint (it has one: files are only ever replaced whole)."""
    return store.load(run_id, with_arrays=False)[1]


def replica_of(context, replicas):
    """Return the replica the browser's sticky cookie names now."""
    return next(c["value"] for c in context.cookies(replicas.url) if c["name"] == replicas.cookie)


def test_a_run_moves_to_another_replica_and_its_old_copy_stops(browser, replicas, wait_until, monkeypatch):
    monkeypatch.setenv("MNIST_PLAYGROUND_RUNS", str(replicas.runs))  # ui.runs.store reads the replicas' folder
    a_context, a = tab_on(browser, replicas, "app1")
    b_context, b = tab_on(browser, replicas, "app2")
    presenter_context, presenter = tab_on(browser, replicas, "app1")
    try:
        start_training(a, nickname="Ada")  # slow motion, the default: the run lasts about half a minute
        start_training(b, nickname="Bo")
        a_run, b_run = run_of(a), run_of(b)
        log_in_as_presenter(presenter, KEY)
        presenter.wait_for_function("() => document.querySelectorAll('.st-key-class_curves .legendtext').length == 2")
        assert board_nicknames(presenter) == ["Ada", "Bo"]  # one board for the attendees of both replicas
        assert a_run != b_run
        # Both runs are checkpointed in the one run folder, each under its own browser.
        assert wait_until(lambda: store.load(a_run, False) and store.load(b_run, False), 30), "two checkpoints"
        assert wait_until(lambda: checkpoint(a_run)["step_count"] > 0, 30), "A's run checkpointed"
        assert wait_until(lambda: checkpoint(b_run)["step_count"] > 0, 30), "B's run checkpointed"
        assert checkpoint(a_run)["extra"]["browser"] != checkpoint(b_run)["extra"]["browser"]
        assert checkpoint(a_run)["extra"]["lease"][0] == 0  # its first placement

        a_context.add_cookies([{"name": replicas.cookie, "value": "app2", "url": replicas.url}])
        before = checkpoint(a_run)
        open_page(a, "train")  # a plain link: the browser id comes from A's own cookie
        assert run_of(a) == a_run
        a.get_by_test_id("stSidebar").get_by_text(re.compile(rf"run {a_run[:6]} \((running|queued)\)")).wait_for()
        a.wait_for_function("n => (/Step ([\\d,]+) of/.exec(document.body.innerText)?.[1] ?? '0')"
                            ".replace(/,/g, '') > n", arg=before["step_count"], timeout=30_000)  # it carries on
        assert replica_of(a_context, replicas) == "app2" and replica_of(b_context, replicas) == "app2"

        # app2's copy holds the run now; app1's copy saw that at its next checkpoint and stopped.
        # Its placement there claims the run at its first checkpoint, a second or so into its training.
        assert wait_until(lambda: checkpoint(a_run)["extra"]["lease"][0] == 1, 30), "app2's claim"
        lease = checkpoint(a_run)["extra"]["lease"]
        assert lease[0] == 1 and lease != before["extra"]["lease"]
        assert wait_until(lambda: f"Run {a_run} {TAKEN_OVER}" in replicas.apps["app1"].log.read_text(), 30)
        moved_at = checkpoint(a_run)["step_count"]
        # On a busy machine the half-minute run may reach its end meanwhile: app2's last checkpoint then says done.
        assert wait_until(lambda: checkpoint(a_run)["step_count"] > moved_at or checkpoint(a_run)["status"] == "done",
                          30), "app2 saving on"
        assert checkpoint(a_run)["extra"]["lease"] == lease
        assert TAKEN_OVER not in replicas.apps["app2"].log.read_text()  # B's run was left alone
        assert checkpoint(b_run)["extra"]["lease"][0] == 0
        assert board_nicknames(presenter) == ["Ada", "Bo"]  # A's run, moved, is still one run on the board
    finally:
        a_context.close()
        b_context.close()
        presenter_context.close()
