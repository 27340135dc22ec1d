# MNIST Playground in a container: the Streamlit app on port 8501, its run folder on a volume.
#
#   docker build -t mnist-playground .
#   docker run -d -p 8501:8501 -v playground-data:/data --cpus 2 --memory 2g -e PLAYGROUND_WORKERS=2 mnist-playground
#
# Classroom mode (the presenter's /class page): add -e PLAYGROUND_PRESENTER_KEY='a long phrase only you know'.
#
# Only what the app needs is copied (see .dockerignore); tests and benchmarks stay out.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MNIST_PLAYGROUND_RUNS=/data/runs \
    MNIST_PLAYGROUND_CACHE=/data/cache
# PLAYGROUND_WORKERS (worker processes that train, one per core) defaults to the cores Python sees, which in a
# container are the host's: pass the container's CPU limit (-e PLAYGROUND_WORKERS=2).  app.py sets one BLAS
# thread per process unless told otherwise.

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

# The app runs as a plain user; /data is made (and owned) before VOLUME, so a new named volume inherits it.
RUN groupadd --gid 10001 playground \
    && useradd --create-home --uid 10001 --gid 10001 playground \
    && mkdir -p /data/runs /data/cache \
    && chown -R 10001:10001 /data
COPY . .
VOLUME ["/data"]
USER 10001:10001

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]
# .streamlit/config.toml (copied with the app) turns off Streamlit's full garbage collection after each run.
CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", \
     "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
