"""Where training runs live: off the web server, on worker processes.

- ``pool``: the cluster of worker processes (a local pool the app starts, or a Dask cluster);
- ``worker``: what runs in a worker: the ``Run`` thread and its ``RunActor``;
- ``scheduler``: fair turns on a worker's core for the runs it holds;
- ``store``: the run folder of checkpoints, shared by the web server and the workers;
- ``handle``: the web server's ``RunHandle``, which steers a run and reads its numbers.

Nothing here calls Streamlit.
"""
