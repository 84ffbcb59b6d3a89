"""Runs a benchmark once per Keras backend, each in its own process.

Keras fixes its backend when it is first imported, so a benchmark script
re-runs itself with `--worker BACKEND --worker-output PATH` (plus its own
options) for each backend, and the worker writes its results as JSON.
"""

import json
import os
import subprocess
import sys
import tempfile


def run_workers(script, backends, options):
    """Runs `script` as a worker per backend; returns their JSON results.

    Args:
        script: the benchmark's path (its `__file__`).
        backends: the backends to run, in order.
        options: the other command-line arguments for every worker.
    """
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            path = os.path.join(tmp, f"{backend}.json")
            command = [sys.executable, script, "--worker", backend]
            command += ["--worker-output", path, *map(str, options)]
            print(f"{backend}: running", flush=True)
            subprocess.run(command, check=True)
            with open(path) as f:
                rows.append(json.load(f))
    return rows
