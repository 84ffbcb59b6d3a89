"""Greedy and beam-search generation speed, against two references.

For each backend (one subprocess each, as Keras fixes its backend per
process) this times `keras_seq.decoding.generate` on an LSTM(256) character
model (65 tokens, embedding 64, random weights: speed does not depend on
them): greedy decoding of 200 tokens at batch 1 and batch 32, the first call
(tracing and compilation included), and beam search with 4 beams. In the
same process it runs the two references:

- a plain PyTorch eager loop over `torch.nn.LSTM` of the same sizes, the
  way a PyTorch user writes greedy decoding;
- the keras-io text-generation loop, which calls `model.predict` on the
  growing token window for every new token (timed over fewer tokens, as it
  is slow).

Targets (DESIGN.md): JAX and TensorFlow at least 5x the PyTorch eager loop,
the torch backend at least 1.0x; first call at most 2 s; beam search with 4
beams at most 2x greedy per token.

These figures say what bounds those ratios on a CPU:

- the matrix-product floor: the time of one step's matrix products alone
  (embedding to gates, state to gates, state to logits) in a loop of
  `torch.addmm` calls, so the largest speed-up over the PyTorch loop that
  any implementation doing those products could reach;
- the step's arithmetic at the machine's peak: the two products that every
  token needs (state to gates and state to logits; the embedding-to-gates
  product can be made once per call, as keras_seq does) in floating-point
  operations, divided by the rate of a large PyTorch/MKL matrix product
  (2048 x 2048 by 2048 x 2048) on every core: a bound on the speed-up that
  holds for any implementation, however good its small products;
- greedy decoding of `num_beams` rows, so that beam search is also compared
  with greedy work over as many rows as it extends;
- the least beam search over greedy that its products allow: the two
  products every token needs, for `num_beams` times the rows, run alone
  (as above) and at the peak rate, over the greedy step as measured.

On JAX on a CPU, `generate` runs the model on two halves of a batch of 16
rows or more (`keras_seq/decoding/generation.py`, `_row_halves`); at batch
32 the same rounds also time greedy decoding of the whole batch at once, on
a copy of the model, so that what the halves are worth is a ratio from one
process.

For each batch size, keras_seq's greedy and beam calls, the greedy call on
`num_beams` times the rows, the PyTorch loop and the products alone are
timed in interleaved rounds (`--repeats`, one call of each per round), and
each figure is the best of its rounds.

    python benchmarks/generation.py [--backends jax torch] [--tokens 200]
"""

import argparse
import json
import os
import platform
import statistics
import time

from backend_workers import add_arguments
from backend_workers import best_of_interleaved
from backend_workers import run_or_work
from backend_workers import write_results

BACKENDS = ("tensorflow", "jax", "torch")
VOCABULARY_SIZE = 65  # tiny-shakespeare's 65 characters
EMBEDDING_DIM = 64
UNITS = 256
BATCH_SIZES = (1, 32)
NUM_BEAMS = 4
KERAS_IO_TOKENS = 30


def _best_time(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def torch_reference(batch_size, num_tokens):
    """Greedy decoding with torch.nn.LSTM, eager, as PyTorch users write it:
    a function that decodes `num_tokens` tokens for `batch_size` rows."""
    import torch

    torch.manual_seed(0)
    embedding = torch.nn.Embedding(VOCABULARY_SIZE, EMBEDDING_DIM)
    lstm = torch.nn.LSTM(EMBEDDING_DIM, UNITS, batch_first=True)
    head = torch.nn.Linear(UNITS, VOCABULARY_SIZE)

    def decode():
        with torch.no_grad():
            token = torch.ones((batch_size, 1), dtype=torch.long)
            state = None
            tokens = []
            for _ in range(num_tokens):
                output, state = lstm(embedding(token), state)
                token = head(output[:, -1]).argmax(-1, keepdim=True)
                tokens.append(token)
            return torch.cat(tokens, dim=1)

    return decode


def matmul_floor(batch_size, num_tokens, input_product=True):
    """A function running a step's matrix products alone (PyTorch/MKL),
    `num_tokens` times: with `input_product=False`, only the two that every
    token needs (state to gates and to logits; see `step_flops`)."""
    import torch

    inputs = torch.rand(batch_size, EMBEDDING_DIM)
    state = torch.rand(batch_size, UNITS)
    input_kernel = torch.rand(EMBEDDING_DIM, 4 * UNITS)
    recurrent_kernel = torch.rand(UNITS, 4 * UNITS)
    output_kernel = torch.rand(UNITS, VOCABULARY_SIZE)
    gates_bias = torch.rand(4 * UNITS)
    output_bias = torch.rand(VOCABULARY_SIZE)

    def products():
        with torch.no_grad():
            for _ in range(num_tokens):
                gates = gates_bias
                if input_product:
                    gates = torch.addmm(gates, inputs, input_kernel)
                gates = torch.addmm(gates, state, recurrent_kernel)
                torch.addmm(output_bias, state, output_kernel)

    return products


def peak_flops(repeats, size=2048):
    """Floating-point operations per second of a large PyTorch/MKL matrix
    product on every core: about the most this CPU sustains."""
    import torch

    left, right = torch.rand(size, size), torch.rand(size, size)
    left @ right
    best, _ = _best_time(lambda: left @ right, repeats)
    return 2 * size**3 / best


def step_flops(batch_size):
    """Floating-point operations of the products every greedy step needs:
    state to gates and state to logits."""
    return 2 * batch_size * UNITS * (4 * UNITS + VOCABULARY_SIZE)


def whole_batch_greedy(model, prompt, num_tokens):
    """Greedy decoding of `prompt` as one batch, on a copy of `model`, where
    `generate` would run it in two halves (JAX on a CPU, from
    `MIN_ROWS_TO_HALVE` rows); `None` elsewhere."""
    import keras_seq
    from keras_seq.decoding import generation

    if not generation._halves_rows(len(prompt)):
        return None
    copy = type(model).from_config(model.get_config())
    copy.set_weights(model.get_weights())

    def whole():
        # Read when `generate` compiles its function, at the first call;
        # the function is cached for the copy and reused.
        min_rows = generation.MIN_ROWS_TO_HALVE
        generation.MIN_ROWS_TO_HALVE = len(prompt) + 1
        try:
            keras_seq.decoding.generate(
                copy, prompt, num_tokens, sampler="greedy"
            )
        finally:
            generation.MIN_ROWS_TO_HALVE = min_rows

    return whole


def worker(backend, num_tokens, repeats, output):
    os.environ["KERAS_BACKEND"] = backend
    import numpy as np

    import keras_seq

    vocabulary = [chr(33 + i) for i in range(VOCABULARY_SIZE - 1)]
    model = keras_seq.applications.TextGenerator(
        vocabulary, units=UNITS, embedding_dim=EMBEDDING_DIM
    )
    peak = peak_flops(repeats)
    results = {
        "backend": backend,
        "tokens": num_tokens,
        "machine_peak_gflops": round(peak / 1e9, 1),
    }
    for batch_size in BATCH_SIZES:
        prompt = np.ones((batch_size, 1), "int32")

        def greedy(prompt=prompt):
            return keras_seq.decoding.generate(
                model, prompt, num_tokens, sampler="greedy"
            )

        def beam(prompt=prompt):
            return keras_seq.decoding.generate(
                model,
                prompt,
                num_tokens,
                sampler=keras_seq.decoding.BeamSearch(num_beams=NUM_BEAMS),
            )

        start = time.perf_counter()
        greedy()
        first_call = time.perf_counter() - start
        start = time.perf_counter()
        beam()
        beam_first_call = time.perf_counter() - start
        # Greedy over as many rows as the beam search extends.
        wide_prompt = np.ones((batch_size * NUM_BEAMS, 1), "int32")
        greedy(wide_prompt)
        contenders = {
            "greedy": greedy,
            "beam": beam,
            "wide": lambda: greedy(wide_prompt),
            "reference": torch_reference(batch_size, num_tokens),
            "floor": matmul_floor(batch_size, num_tokens),
            "beam_floor": matmul_floor(
                batch_size * NUM_BEAMS, num_tokens, input_product=False
            ),
        }
        whole = whole_batch_greedy(model, prompt, num_tokens)
        if whole is not None:
            whole()
            contenders["whole"] = whole
        contenders["reference"]()
        contenders["floor"]()
        contenders["beam_floor"]()
        best = best_of_interleaved(contenders, repeats)
        greedy_best, beam_best, wide_best = (
            best["greedy"],
            best["beam"],
            best["wide"],
        )
        reference = batch_size * num_tokens / best["reference"]
        floor = best["floor"] / num_tokens
        beam_floor = best["beam_floor"] / num_tokens
        greedy_step = greedy_best / num_tokens
        tokens_per_second = batch_size * num_tokens / greedy_best
        results[f"batch_{batch_size}"] = {
            "greedy_tokens_per_second": round(tokens_per_second, 1),
            "greedy_first_call_seconds": round(first_call, 3),
            "beam_first_call_seconds": round(beam_first_call, 3),
            "beam_over_greedy_per_token": round(beam_best / greedy_best, 3),
            "torch_eager_tokens_per_second": round(reference, 1),
            "speedup_over_torch_eager": round(tokens_per_second / reference, 2),
            "beam_over_greedy_same_rows": round(beam_best / wide_best, 3),
            "matmul_floor_microseconds_per_step": round(floor * 1e6, 1),
            "step_microseconds": round(greedy_step * 1e6, 1),
            "torch_eager_step_microseconds": round(
                batch_size / reference * 1e6, 1
            ),
            "largest_possible_speedup_over_torch_eager": round(
                batch_size / reference / floor, 2
            ),
            "speedup_bound_at_machine_peak": round(
                batch_size / reference / (step_flops(batch_size) / peak), 2
            ),
            "beam_matmul_floor_microseconds_per_step": round(
                beam_floor * 1e6, 1
            ),
            "least_beam_over_greedy_with_these_products": round(
                beam_floor / greedy_step, 2
            ),
            "least_beam_over_greedy_at_machine_peak": round(
                step_flops(batch_size * NUM_BEAMS) / peak / greedy_step, 2
            ),
        }
        if "whole" in best:
            results[f"batch_{batch_size}"].update(
                {
                    "whole_batch_step_microseconds": round(
                        best["whole"] / num_tokens * 1e6, 1
                    ),
                    "halves_speedup_over_whole_batch": round(
                        best["whole"] / greedy_best, 2
                    ),
                }
            )

    # The keras-io loop: `model.predict` on the growing window, batch 1.
    ids = [1]

    def keras_io_loop():
        del ids[1:]
        for _ in range(KERAS_IO_TOKENS):
            logits = model.predict(np.asarray([ids], "int32"), verbose=0)
            ids.append(int(np.argmax(logits[0, -1])))

    keras_io_loop()
    best, _ = _best_time(keras_io_loop, 1)
    results["keras_io_predict_loop_tokens_per_second"] = round(
        KERAS_IO_TOKENS / best, 1
    )
    with open(output, "w") as f:
        json.dump(results, f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(parser, BACKENDS)
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = run_or_work(__file__, args, worker, ["tokens", "repeats"])
    if rows is None:
        return

    print(
        f"\nGreedy decoding of {args.tokens} tokens, LSTM({UNITS}) character "
        f"model ({VOCABULARY_SIZE} tokens), tokens per second "
        "(speed-up over the plain PyTorch eager loop in the same process):\n"
    )
    print(
        "| backend | batch 1 | batch 32 | first call | beam(4) / greedy "
        "per token (batch 1, 32) | keras-io predict loop |"
    )
    print("|---|---|---|---|---|---|")
    for row in rows:
        one, many = row["batch_1"], row["batch_32"]
        print(
            f"| {row['backend']} "
            f"| {one['greedy_tokens_per_second']:,.0f} "
            f"({one['speedup_over_torch_eager']:.1f}x) "
            f"| {many['greedy_tokens_per_second']:,.0f} "
            f"({many['speedup_over_torch_eager']:.1f}x) "
            f"| {one['greedy_first_call_seconds']:.2f} s "
            f"| {one['beam_over_greedy_per_token']:.2f}x, "
            f"{many['beam_over_greedy_per_token']:.2f}x "
            f"| {row['keras_io_predict_loop_tokens_per_second']:.0f} tok/s |"
        )
    print(
        "\nWhat bounds the ratios: microseconds per step of greedy decoding, "
        "of the PyTorch loop, and of the step's matrix products alone "
        "(largest possible speed-up over the PyTorch loop); the speed-up "
        "bound if the products every step needs ran at the peak rate of a "
        "large matrix product; beam(4) over greedy decoding of 4x the rows; "
        "the least beam(4) over greedy that beam's products allow, done alone "
        "and at the peak rate:\n"
    )
    print(
        "| backend | batch | step | PyTorch loop | products alone "
        "(largest speed-up) | bound at peak (GFLOP/s) "
        "| beam(4) / greedy over 4x rows | least beam(4) / greedy "
        "(products alone, at peak) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        for batch_size in BATCH_SIZES:
            r = row[f"batch_{batch_size}"]
            print(
                f"| {row['backend']} | {batch_size} "
                f"| {r['step_microseconds']:.0f} "
                f"| {r['torch_eager_step_microseconds']:.0f} "
                f"| {r['matmul_floor_microseconds_per_step']:.0f} "
                f"({r['largest_possible_speedup_over_torch_eager']:.1f}x) "
                f"| {r['speedup_bound_at_machine_peak']:.1f}x "
                f"({row['machine_peak_gflops']:.0f}) "
                f"| {r['beam_over_greedy_same_rows']:.2f}x "
                f"| {r['least_beam_over_greedy_with_these_products']:.2f}x, "
                f"{r['least_beam_over_greedy_at_machine_peak']:.2f}x |"
            )
    for row in rows:
        for batch_size in BATCH_SIZES:
            r = row[f"batch_{batch_size}"]
            if "whole_batch_step_microseconds" in r:
                print(
                    f"\n{row['backend']}, batch {batch_size}: the step in two "
                    f"halves {r['step_microseconds']:.0f} µs, the whole "
                    f"batch at once {r['whole_batch_step_microseconds']:.0f} "
                    f"µs ({r['halves_speedup_over_whole_batch']:.2f}x)"
                )
    write_results(
        args.output,
        "generation.json",
        {
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
            "results": rows,
        },
    )


if __name__ == "__main__":
    main()
