"""Runs a benchmark once per Keras backend, each in its own process.

Keras fixes its backend when it is first imported, so a benchmark script
re-runs itself with `--worker BACKEND --worker-output PATH` (plus its own
options) for each backend, and the worker writes its results as JSON.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


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


def add_arguments(parser, backends):
    """Adds the options every benchmark takes: `--backends`, `--output`, and
    the hidden ones a worker process is started with."""
    parser.add_argument("--backends", nargs="+", default=list(backends))
    parser.add_argument("--output", default="benchmarks/results")
    parser.add_argument("--worker", choices=backends, help=argparse.SUPPRESS)
    parser.add_argument("--worker-output", help=argparse.SUPPRESS)


def run_or_work(script, args, worker, names):
    """In a worker process, runs `worker(backend, *options, output_path)`
    and returns `None`; otherwise runs `script` as a worker per backend and
    returns their results.

    Args:
        script: the benchmark's path (its `__file__`).
        args: the parsed arguments (see `add_arguments`).
        worker: the benchmark's worker function.
        names: the attributes of `args` passed on to every worker, in the
            order `worker` takes them.
    """
    values = [getattr(args, name) for name in names]
    if args.worker:
        worker(args.worker, *values, args.worker_output)
        return None
    options = []
    for name, value in zip(names, values):
        options += ["--" + name.replace("_", "-"), value]
    return run_workers(script, args.backends, options)


def best_of_interleaved(functions, repeats):
    """The best time of each of `functions` (a dict) over `repeats` rounds,
    each round running every function once: the machine's speed drifts,
    over minutes and in phases of seconds, and interleaving gives each
    contender the same share of it."""
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: min(values) for name, values in times.items()}


def write_results(directory, name, value):
    """Writes `value` as JSON to `directory/name` atomically, so that a run
    stopped while writing leaves the stored results as they were, and says
    where."""
    from keras_seq.utils.file_utils import atomic_write_json

    path = os.path.join(directory, name)
    atomic_write_json(path, value)
    print(f"\nWrote {path}")
    return path
