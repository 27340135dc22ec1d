"""Where runs live: a pool of worker processes, local by default, or a Dask cluster.

By default the app starts its own pool the first time a run starts: one worker process
per core (``$PLAYGROUND_WORKERS``), each a Dask worker on this machine, at a lower CPU
priority than the web process.  With ``$PLAYGROUND_CLUSTER`` set to a Dask scheduler's
address (``tcp://host:8786``) the same runs go to that cluster instead; nothing else
changes, so both paths share this interface and its tests.  Why Dask and not Ray, and
how to run a cluster: ``docs/deploy.md``.

Each run is one actor (``ui.runs.worker.RunActor``), placed on the worker that holds the
fewest runs.  Only our own processes talk to the scheduler, which the local pool binds to
127.0.0.1.  Not for Streamlit calls: the page side is ``ui.runs.handle``.
"""

import logging
import os
import threading

WORKERS = int(os.environ.get("PLAYGROUND_WORKERS") or os.cpu_count() or 1)
WORKER_MEMORY = os.environ.get("PLAYGROUND_WORKER_MEMORY", "4GB")  # past this a worker is restarted, not the server
CALL_SECONDS = 30.0  # the longest a page waits for one answer from a worker before calling it lost
# What a worker process's environment is set to before it starts: Dask's defaults (one BLAS thread) without
# its MALLOC_TRIM_THRESHOLD_.  Setting that fixes glibc's threshold for serving big blocks by mmap at 128 KB,
# so every NumPy temporary of a training step (a batch, a gradient) was mapped and unmapped anew, its
# pages faulted in and zeroed: a run trained 25-30% slower in a worker than in one process (0.15 of a core
# in the kernel).  Left alone, glibc raises the threshold to the sizes a step frees and reuses its heap.
WORKER_ENVIRON = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}

_lock = threading.Lock()
_client = None
_cluster = None
_warming = False


def client():
    """Return the client of the cluster that trains runs, starting the local pool on first use."""
    global _client, _cluster
    with _lock:
        if _client is None:
            from distributed import Client, LocalCluster  # imported on first use: pages that never train stay light

            from ui.runs.worker import LowerPriority

            address = os.environ.get("PLAYGROUND_CLUSTER", "")
            if address:
                _client = Client(address, timeout="20s")
            else:
                import dask

                # For the whole process, not for the cluster's start only: a worker that dies is started again
                # later, and in a full test run one came back with Dask's MALLOC_TRIM_THRESHOLD_ when the
                # setting was scoped to the start (tests/test_cluster.py).  Only this pool reads it here.
                dask.config.set({"distributed.nanny.pre-spawn-environ": WORKER_ENVIRON})
                _cluster = LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True,
                                        host="127.0.0.1", dashboard_address=None, worker_dashboard_address=None,
                                        memory_limit=WORKER_MEMORY, silence_logs=logging.ERROR)
                _client = Client(_cluster)
            _client.register_plugin(LowerPriority(own_session=not address))
        return _client


def warm_up():
    """Start the pool in the background, once, so that the first Start does not wait for it."""
    global _warming
    with _lock:
        if _client is not None or _warming:
            return
        _warming = True
    threading.Thread(target=client, name="start-worker-pool", daemon=True).start()


def place(run_id, **actor_kw):
    """Create run run_id's actor on the least busy worker and return its proxy (see ``RunActor``)."""
    from ui.runs.worker import RunActor

    dask = client()
    counts = dask.run_on_scheduler(_runs_per_worker)
    where = {"workers": [min(counts, key=counts.get)], "allow_other_workers": True} if counts else {}
    future = dask.submit(RunActor, run_id, **actor_kw, actor=True, key=f"run-{run_id}-{os.urandom(4).hex()}",
                         pure=False, **where)
    return future.result(timeout=CALL_SECONDS)


def scatter(data):
    """Put data (an uploaded dataset's splits) on the cluster once; return its future, to hand to ``place``."""
    return client().scatter(data, hash=True)


def workers():
    """Return the worker addresses of the cluster now."""
    return list(client().scheduler_info()["workers"])


def _runs_per_worker(dask_scheduler=None):
    """Return {worker address: number of run actors on it}; runs on the scheduler."""
    return {address: len(state.actors) for address, state in dask_scheduler.workers.items()}


def shutdown():
    """Close the client and, if the app started it, the local pool (for tests and benchmarks)."""
    global _client, _cluster
    with _lock:
        if _client is not None:
            _client.close()
        if _cluster is not None:
            _cluster.close()
        _client = _cluster = None
