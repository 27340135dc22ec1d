"""Runs train off the web server: on the app's own pool, or on a Dask cluster of separate processes.

The cluster here is real: a ``dask scheduler`` and two ``dask worker`` processes on
127.0.0.1, started by the test, and the app pointed at it with ``$PLAYGROUND_CLUSTER``.
A run is started, paused, stepped, resumed and stopped through its handle, its weights
are read on the Weights page, and a worker killed mid-run loses nothing beyond the
run's last checkpoint: the run carries on on the other worker.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from benchmarks import harness
from nn.settings import TrainConfig
from ui import session as sessions
from ui.runs import pool, store
from ui.runs.handle import RunHandle

ROOT = Path(__file__).resolve().parents[1]
LONG = TrainConfig(hidden=(32,), epochs=5000, train_size=1000)  # lasts until it is stopped


def saved_step(run):
    """Return the step of the run's last checkpoint, 0 if it has none yet."""
    saved = store.load(run.id, with_arrays=False)
    return saved[1]["step_count"] if saved else 0


def test_the_local_pool_survives_a_killed_worker(wait_until, monkeypatch):
    monkeypatch.delenv("PLAYGROUND_CLUSTER", raising=False)  # the app's own pool (this test runs first)
    pool.shutdown()
    run = RunHandle.start(LONG, data_name="bundled sample", browser=uuid.uuid4().hex[:16])
    try:
        assert wait_until(lambda: saved_step(run) > 0, 60), "a checkpoint"
        worker = run._call("where")
        assert worker != os.getpid()  # the web process trains nothing
        assert os.getpriority(os.PRIO_PROCESS, worker) > os.getpriority(os.PRIO_PROCESS, 0)  # the pages come first
        # and the rest of the machine too: a session of its own, whose autogroup Linux weighs by that niceness
        assert os.getsid(worker) != os.getsid(0)
        autogroup = Path(f"/proc/{worker}/autogroup")  # "/autogroup-123 nice 5", on kernels with autogroups
        assert not autogroup.exists() or int(autogroup.read_text().split()[-1]) > 0, autogroup.read_text()
        os.kill(worker, signal.SIGKILL)  # as the kernel's out-of-memory killer would
        assert wait_until(lambda: run.notice != "" or run.status == "failed", 60), "the run noticing its worker died"
        assert run.status != "failed", run.error
        before = run.step_count
        assert wait_until(lambda: run.step_count > before + 20, 60), "training after the worker died"
        other = RunHandle.start(TrainConfig(hidden=(16,), epochs=1, train_size=300))
        assert other.join(60) and other.status == "done"  # and the pool takes new runs
    finally:
        run.stop()
        run.join(30)


def test_the_local_pools_workers_keep_glibcs_own_malloc_thresholds(monkeypatch, wait_until):
    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_ in its workers, which made every NumPy temporary of a training
    # step an mmap of its own and a run 25-30% slower than in one process (ui/runs/pool.py, WORKER_ENVIRON).
    monkeypatch.delenv("PLAYGROUND_CLUSTER", raising=False)
    # Every worker, a restarted one too (the test before killed one): read once all of them answer.
    names = ("MALLOC_TRIM_THRESHOLD_", "OPENBLAS_NUM_THREADS")

    def environs():
        try:
            return pool.client().run(lambda: {name: os.environ.get(name) for name in names})
        except OSError:  # a worker the scheduler still lists has died: ask again
            return {}

    assert wait_until(lambda: len(environs()) == pool.WORKERS, 60), "the pool's workers all up"
    environ = environs()
    assert all(e == {"MALLOC_TRIM_THRESHOLD_": None, "OPENBLAS_NUM_THREADS": "1"} for e in environ.values()), environ


@pytest.fixture(scope="module")
def cluster(wait_until):
    """Start a Dask scheduler and two workers as separate processes; point the app's pool at them."""
    port = harness.free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "PLAYGROUND_SAVE_SECONDS": "0.5"}
    dask = [sys.executable, "-m", "dask"]
    quiet = {"env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              **quiet)]
    for _ in range(2):
        procs.append(subprocess.Popen([*dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                       "--no-dashboard", "--no-nanny"], **quiet))
    pool.shutdown()
    os.environ["PLAYGROUND_CLUSTER"] = address
    try:
        assert wait_until(lambda: len(_workers_or_none()) == 2, 90), "two workers joining the scheduler"
        yield procs
    finally:
        del os.environ["PLAYGROUND_CLUSTER"]
        pool.shutdown()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _workers_or_none():
    """Return the cluster's workers, or [] while the scheduler is not up yet."""
    try:
        return pool.workers()
    except OSError:
        pool.shutdown()
        return []


def test_a_run_on_the_cluster_is_steered_and_its_weights_reach_the_weights_page(cluster, wait_until):
    run = RunHandle.start(LONG, data_name="bundled sample", browser=uuid.uuid4().hex[:16], paused=True)
    try:
        assert run._call("where") != os.getpid()  # it trains in a worker process, not here
        run.step(7)
        assert wait_until(lambda: run.step_count == 7, 60), "seven steps"
        assert run.status == "paused"
        run.resume()
        assert wait_until(lambda: run.step_count > 50, 60), "training after Resume"
        run.pause()
        assert wait_until(lambda: run.status == "paused", 60), "the pause"
        time.sleep(0.5)  # the step under way when Pause came may still land
        held = run.step_count
        time.sleep(0.5)
        assert run.step_count == held  # paused means paused

        me = sessions.Session(run.browser)  # the browser the run belongs to: no other may open it
        me.open_run(run.id)
        at = AppTest.from_file("../app.py", default_timeout=60)
        at.session_state["session"] = me
        at.switch_page("pages/weights.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert f"step {held:,} of" in at.info[0].value
        weights = run.net.copy_weights()
        assert weights["W1"].shape == (784, 32)
        assert (weights["W1"] != me.model().net.copy_weights()["W1"]).sum() == 0  # the page shows these weights

        run.stop()
        assert run.join(60) and run.status == "stopped"
    finally:
        run.stop()


def test_a_killed_worker_loses_nothing_beyond_the_last_checkpoint(cluster, wait_until):
    run = RunHandle.start(LONG, data_name="bundled sample", browser=uuid.uuid4().hex[:16])
    try:
        assert wait_until(lambda: run.step_count > 200, 60), "training"
        assert wait_until(lambda: saved_step(run) > 100 and run.history, 60), "a checkpoint and a report"
        worker_pid, first_report = run._call("where"), run.history[0]
        os.kill(worker_pid, signal.SIGKILL)
        assert wait_until(lambda: run.notice != "" or run.status == "failed", 60), "the run noticing its worker died"
        assert "carried on from its last checkpoint" in run.notice, run.error
        assert run._call("where") != worker_pid
        assert run._call("snapshot", 0)["history"][0] == first_report  # the same run, not one from scratch
        checkpoint = saved_step(run)
        assert wait_until(lambda: run.step_count > checkpoint + 20, 60), "training on the other worker"
        assert run.status in ("running", "queued")
    finally:
        run.stop()
        run.join(30)


def test_with_no_worker_to_take_it_start_says_so_plainly(open_page, monkeypatch, wait_until):
    port = harness.free_port()
    scheduler = subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port",
                                  str(port), "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    monkeypatch.setenv("PLAYGROUND_CLUSTER", f"tcp://127.0.0.1:{port}")  # a scheduler whose workers are all gone
    monkeypatch.setattr(pool, "CALL_SECONDS", 2.0)
    pool.shutdown()
    try:
        assert wait_until(lambda: _workers_or_none() == [] and pool._client is not None, 60), "the scheduler"
        at = open_page("train")
        at.button(key="start").click().run()
        assert [e.value for e in at.error] == [
            "No worker could take the run within 2 s: the training pool is down or restarting. Try again in a "
            "moment; the presenter can check the server."]
        assert at.session_state["session"].run is None and not at.exception
    finally:
        pool.shutdown()
        scheduler.terminate()
        scheduler.wait(10)


def test_a_worker_process_that_runs_app_py_again_starts_nothing():
    # The pool starts its processes during a script run, when app.py is sys.modules["__main__"], so
    # multiprocessing's spawn runs app.py again in each worker, as __mp_main__: there it must not start a pool
    # of its own, nor load the web app.
    code = ("import runpy, sys; runpy.run_path('app.py', run_name='__mp_main__'); "
            "print(sorted(m for m in ('streamlit', 'distributed', 'ui.runs.pool') if m in sys.modules))")
    ran = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "[]", ran.stderr
