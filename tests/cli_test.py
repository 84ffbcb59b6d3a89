"""The `keras-seq` command, run as users run it: in a subprocess.

Except the commands on the quick demo's models, which run `cli.main` in the
test's process (`run_cli_in_this_process`): the demo has already run the
executable, and a subprocess per command spends most of its time importing
TensorFlow and Keras.
"""

import fcntl
import json
import os
import subprocess
import sys

import keras
import pytest

BACKENDS = ["tensorflow", "jax", "torch"]
CHROMIUM = "/usr/bin/chromium"


def run_cli(*args, backend=None, timeout=600):
    environment = dict(os.environ)
    if backend:
        environment["KERAS_BACKEND"] = backend
    return subprocess.run(
        [sys.executable, "-m", "keras_seq.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
    )


def run_cli_in_this_process(capsys, *args):
    """`keras-seq *args` through `keras_seq.cli.main` in the test's own
    process, with Keras already loaded on its backend: for the commands on
    the quick demo's models, each of which would spend 10-17 s of a
    subprocess importing TensorFlow and Keras before its first line. The
    demo itself and the argument tests run the real executable."""
    from keras_seq import cli

    capsys.readouterr()
    try:
        returncode = cli.main(list(args))
    except SystemExit as exit:
        returncode = exit.code
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(
        args, returncode, captured.out, captured.err
    )


def test_help_lists_the_demo():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "demo" in result.stdout
    result = run_cli("demo", "--help")
    assert result.returncode == 0
    for option in ("--backend", "--out", "--quick", "--data-dir"):
        assert option in result.stdout


def test_unknown_backend_is_refused():
    result = run_cli("demo", "--backend", "mxnet")
    assert result.returncode == 2
    assert "--backend" in result.stderr and "mxnet" in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_missing_data_directory_is_one_clear_line(tmp_path):
    result = run_cli("demo", "--data-dir", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "--data-dir" in result.stderr and "nowhere" in result.stderr


def test_data_directory_without_mnist_names_the_file(tmp_path):
    result = run_cli("demo", "--data-dir", str(tmp_path))
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("keras-seq: error:"), result.stderr
    assert "mnist/train-subset-5k.csv.gz" in last_line


# The quick demo trains all five applications (about four and a half
# minutes at one thread on torch): it runs once, on one backend;
# the recipes run on all three in applications_test.py. On torch, the
# inference commands below start without compiling (JAX: 119 s for them),
# and the JAX run, the longest, does not carry the demo too.
DEMO_BACKEND = "torch"


# Built once for the whole run, whichever pytest workers need it: the first
# builds it under a lock in the directory the workers share, the others
# wait and reuse it (the xdist_group marks alone still let two workers build
# it, 410 s each, in CI).
@pytest.fixture(scope="session")
def quick_demo(tmp_path_factory):
    if keras.backend.backend() != DEMO_BACKEND:
        pytest.skip(f"the quick demo runs on one backend ({DEMO_BACKEND})")
    from keras_seq.testing import TestCase

    data_dir = TestCase.shared_data_dir()
    if not os.path.isdir(data_dir):
        pytest.skip(f"the shared datasets are not at {data_dir}")
    shared = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        shared = shared.parent  # this run's directory, above each worker's
    out = shared / "quick_demo" / "report"
    done = shared / "quick_demo" / "stdout.txt"
    with open(shared / "quick_demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.is_file():
            # Start under another KERAS_BACKEND: `--backend` must win.
            other = BACKENDS[(BACKENDS.index(DEMO_BACKEND) + 1) % len(BACKENDS)]
            result = run_cli(
                "demo",
                "--quick",
                "--backend",
                DEMO_BACKEND,
                "--out",
                str(out),
                "--data-dir",
                data_dir,
                backend=other,
                timeout=1200,
            )
            assert result.returncode == 0, result.stderr[-3000:]
            done.write_text(result.stdout)
    return out, done.read_text()


@pytest.mark.xdist_group("quick_demo")
def test_xdist_keeps_the_demo_tests_on_one_worker(request):
    """`make test` runs `--dist loadgroup`: pytest-xdist marks each grouped
    test's id with `@group` and sends a group to one worker. Without it
    (pytest 9.2, pytest-dev/pytest-xdist#1386) a second worker sits idle
    waiting for the other's quick demo."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("runs under `pytest -n N --dist loadgroup`")
    assert request.node.nodeid.endswith("@quick_demo"), (
        f"pytest {pytest.__version__} with pytest-xdist did not group "
        f"{request.node.nodeid!r}: see the pytest pin in pyproject.toml"
    )


@pytest.mark.xdist_group("quick_demo")
def test_quick_demo_trains_every_application(quick_demo):
    out, stdout = quick_demo
    summary = json.loads((out / "summary.json").read_text())
    assert summary["backend"] == DEMO_BACKEND
    # A line per stage with its elapsed time.
    assert stdout.count("done in") == 5, stdout
    rows = summary["mnist_rows"]
    assert rows["train_examples"] == 4500 and rows["test_examples"] == 10000
    # Three epochs on 4,500 images reach about 0.85.
    assert rows["test_accuracy"] >= 0.75, rows["test_accuracy"]
    generator = summary["text_generation"]
    # 20 steps on 32,000 characters already beat the 6.0 bits of a uniform
    # guess over tiny-shakespeare's 65 characters (about 5.2 here).
    assert generator["validation_bits_per_character"] < 5.7, generator
    assert set(generator["samples"]) == {"0.5", "0.8", "1.0"}
    for sample in generator["samples"].values():
        assert sample.startswith("ROMEO:") and len(sample) == 206
    for key in ("translation", "image_captioning", "video_prediction"):
        losses = summary[key]["history"]["loss"]
        assert losses[-1] < losses[0], (key, losses)
    # Two quick epochs leave the translator at its first plateau (it may
    # translate to nothing yet): check the pipeline, not the quality.
    translations = summary["translation"]["translations"]
    assert len(translations) == 3
    assert all(isinstance(t, str) for t in translations.values())
    assert 0 <= summary["translation"]["test_bleu"] <= 100
    captioning = summary["image_captioning"]
    # Two quick epochs on 3,000 images: 0.18 at one thread on torch.
    assert captioning["test_exact_match"] > 0.1, captioning
    assert all(captioning["captions"]), captioning["captions"]
    video = summary["video_prediction"]
    assert 0 < video["test_mean_mse"] < 4096, video
    assert max(summary["decoder_parity"].values()) < 1e-5
    with open(out / "video.gif", "rb") as file:
        assert file.read(6) == b"GIF89a"


@pytest.mark.xdist_group("quick_demo")
def test_demo_report_renders_in_headless_chromium(quick_demo):
    # The report is a real page: every image loads, nothing is logged to
    # the console. Chromium comes from Debian (`make test` installs it).
    from playwright.sync_api import sync_playwright

    out, _ = quick_demo
    page_path = out / "index.html"
    html = page_path.read_text()
    for section in ("RowClassifier", "TextGenerator", "Seq2SeqTranslator"):
        assert section in html
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page()
        messages = []
        page.on("console", lambda message: messages.append(message.text))
        page.on("pageerror", lambda error: messages.append(str(error)))
        page.goto(page_path.as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate(
            "Array.from(document.images).map("
            "i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0])"
        )
        browser.close()
    assert len(images) >= 12, images
    broken = [source for source, loaded in images if not loaded]
    assert not broken, f"images that did not load: {broken}"
    assert not messages, messages


@pytest.mark.parametrize("argument", ["--quick", "--out"])
def test_options_need_the_demo_command(argument):
    result = run_cli(argument)
    assert result.returncode == 2


COMMANDS = {
    "train": ["--out", "--quick", "--backend", "--data-dir"],
    "evaluate": ["--model", "--quick", "--out", "--backend", "--data-dir"],
    "generate": [
        "--model",
        "--prompt",
        "--max-length",
        "--sampler",
        "--stream",
    ],
    "translate": ["--model", "--sampler"],
    "caption": ["--model", "--sampler"],
    "predict-frames": ["--model", "--frames", "--num-frames", "--out"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0, result.stderr
    for option in COMMANDS[command]:
        assert option in result.stdout, (command, option)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["train", "chess"], "invalid choice: 'chess'"),
        (["evaluate", "translation"], "--model"),
        (["generate", "--model", "m.keras", "--max-length", "0"], "0"),
        (["translate", "--model", "m.keras"], "TEXT"),
        (["predict-frames", "--model", "m.keras"], "--frames"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(arguments, message):
    result = run_cli(*arguments)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr, result.stderr


def test_missing_model_file_is_one_line(tmp_path):
    missing = str(tmp_path / "absent.keras")
    result = run_cli("translate", "--model", missing, "Hola.")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "absent.keras" in result.stderr and "no such file" in result.stderr


def test_corrupted_model_file_is_one_line(tmp_path):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip archive")
    result = run_cli("generate", "--model", str(broken))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "not a Keras model file" in result.stderr


def test_model_file_problems_are_found_before_keras_loads(tmp_path):
    # The two tests above end before the command imports Keras (10-17 s on
    # two cores): the check needs only the file.
    code = (
        "import sys; from keras_seq import cli; "
        "print(cli.model_file_problem(sys.argv[1])); "
        "print(sorted({'keras', 'tensorflow', 'torch', 'jax'} & "
        "set(sys.modules)))"
    )
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip archive")
    for path, problem in [
        (tmp_path / "absent.keras", "no such file"),
        (broken, "not a zip archive"),
    ]:
        result = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            capture_output=True,
            text=True,
        )
        found, imported = result.stdout.splitlines()
        assert problem in found, result.stdout
        assert imported == "[]", imported


def test_a_zip_that_is_no_keras_model_is_refused(tmp_path):
    # Past the CLI's early check, Keras's loader refuses it: one message.
    import zipfile

    from keras_seq import commands

    path = tmp_path / "notes.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a model")
    with pytest.raises(commands.CommandError, match="not a Keras model file"):
        commands.load_model(str(path), "translation")


@pytest.mark.xdist_group("quick_demo")
def test_model_of_the_wrong_kind_is_refused(quick_demo, capsys):
    out, _ = quick_demo
    result = run_cli_in_this_process(
        capsys,
        "caption",
        "--model",
        str(out / "text_generation.keras"),
        "x.png",
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "holds a TextGenerator, not the ImageCaptioner" in result.stderr


@pytest.mark.xdist_group("quick_demo")
def test_evaluate_reproduces_the_demo_accuracy(quick_demo, data_dir, capsys):
    out, _ = quick_demo
    summary = json.loads((out / "summary.json").read_text())
    scores_path = out / "rows_scores.json"
    result = run_cli_in_this_process(
        capsys,
        "evaluate",
        "mnist_rows",
        "--model",
        str(out / "mnist_rows.keras"),
        "--data-dir",
        data_dir,
        "--out",
        str(scores_path),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    scores = json.loads(result.stdout)
    assert scores == json.loads(scores_path.read_text())
    expected = summary["mnist_rows"]["test_accuracy"]
    assert abs(scores["test_accuracy"] - expected) < 1e-6


@pytest.mark.xdist_group("quick_demo")
def test_inference_commands_on_the_demo_models(
    quick_demo, data_dir, tmp_path, capsys
):
    import numpy as np
    from PIL import Image

    from keras_seq.datasets import mnist_captions
    from keras_seq.datasets import moving_mnist

    out, _ = quick_demo
    result = run_cli_in_this_process(
        capsys,
        "generate",
        "--model",
        str(out / "text_generation.keras"),
        "--prompt",
        "KING:",
        "--max-length",
        "40",
        "--seed",
        "3",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("KING:")
    assert len(result.stdout.rstrip("\n")) >= len("KING:") + 30

    # Streamed, greedy decoding prints the text of the call above with
    # `--sampler greedy`; beam search cannot stream, and says so in a line.
    model = str(out / "text_generation.keras")
    printed = []
    for stream in ([], ["--stream"]):
        result = run_cli_in_this_process(
            capsys, "generate", "--model", model, "--sampler", "greedy", *stream
        )
        assert result.returncode == 0, result.stderr[-3000:]
        printed.append(result.stdout)
    assert printed[0] == printed[1]
    assert len(printed[1]) == len("ROMEO:") + 200 + 1, printed[1]
    result = run_cli_in_this_process(
        capsys, "generate", "--model", model, "--sampler", "beam", "--stream"
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert "beam search" in result.stderr, result.stderr

    result = run_cli_in_this_process(
        capsys,
        "translate",
        "--model",
        str(out / "translation.keras"),
        "Hola.",
        "¿Dónde está Tom?",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(result.stdout.splitlines()) == 2

    _, _, (images, captions) = mnist_captions.load_data(
        num_train=1, num_validation=1, num_test=2, path=data_dir
    )
    paths = []
    for i, image in enumerate(images):
        paths.append(str(tmp_path / f"digits_{i}.png"))
        Image.fromarray(image[..., 0]).save(paths[-1])
    result = run_cli_in_this_process(
        capsys,
        "caption",
        "--model",
        str(out / "image_captioning.keras"),
        *paths,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == paths
    vocabulary = set(" ".join(mnist_captions.DIGIT_WORDS).split())
    for line in lines:
        assert set(line.split("\t")[1].split()) <= vocabulary, line

    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("hello")
    result = run_cli_in_this_process(
        capsys,
        "caption",
        "--model",
        str(out / "image_captioning.keras"),
        str(not_an_image),
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "notes.png" in result.stderr

    _, _, test = moving_mnist.load_data(
        num_train=1, num_validation=1, num_test=1, path=data_dir
    )
    np.save(tmp_path / "video.npy", test[0])
    prefix = str(tmp_path / "future")
    result = run_cli_in_this_process(
        capsys,
        "predict-frames",
        "--model",
        str(out / "video_prediction.keras"),
        "--frames",
        str(tmp_path / "video.npy"),
        "--out",
        prefix,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    future = np.load(prefix + ".npy")
    assert future.shape == (1, 10, 64, 64, 1)
    assert np.isfinite(future).all()
    for suffix in (".png", ".gif"):
        assert os.path.getsize(prefix + suffix) > 0


def test_train_writes_model_metrics_and_report(data_dir, tmp_path):
    if keras.backend.backend() != DEMO_BACKEND:
        pytest.skip(f"train runs a demo stage, tested on {DEMO_BACKEND}")
    out = tmp_path / "rows"
    result = run_cli(
        "train",
        "mnist_rows",
        "--quick",
        "--out",
        str(out),
        "--data-dir",
        data_dir,
        backend=DEMO_BACKEND,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["backend"] == DEMO_BACKEND
    assert metrics["test_accuracy"] >= 0.75, metrics["test_accuracy"]
    import keras_seq.applications  # noqa: F401 (registers the classes)

    model = keras.saving.load_model(out / "model.keras")
    assert type(model).__name__ == "RowClassifier"
    assert "mnist_rows_history.png" in (out / "index.html").read_text()
