"""Decoding speed of an attention decoder: `Seq2SeqTranslator` generation.

For each backend (one subprocess each) this times greedy decoding and a
4-beam search of `--tokens` target tokens with the default translator (GRU
256, Luong attention, bidirectional encoder) over 12-token sources, at batch
1 and batch 32, with random weights and no end token, so every run decodes
the same number of steps. The time covers the whole `generate` call: the
encoder, the prefill and the decoding loop.

On torch the loop runs eagerly and the model's `frozen_next()` (built on
`AttentionDecoder.frozen_step()`) reads the weights once per call; the
same process also times the loop with `frozen_next` switched off (the
model's `next`, which goes through the Keras layers on every token), so the
ratio shows what reading the weights once is worth. The two are timed in
interleaved rounds, best of `--repeats` each.

    python benchmarks/attention_decoding.py [--backends torch jax] [--smoke]
"""

import argparse
import json
import os
import platform

from backend_workers import add_arguments
from backend_workers import best_of_interleaved
from backend_workers import run_or_work
from backend_workers import write_results

BACKENDS = ("tensorflow", "jax", "torch")
VOCABULARY_SIZE = 4_000
SOURCE_LENGTH = 12
BATCH_SIZES = (1, 32)


def worker(backend, num_tokens, repeats, output):
    os.environ["KERAS_BACKEND"] = backend
    import numpy as np

    import keras_seq
    from keras_seq import decoding
    from keras_seq.applications.vocabulary import RESERVED_TOKENS
    from keras_seq.applications.vocabulary import START_ID

    words = [f"w{i}" for i in range(VOCABULARY_SIZE - len(RESERVED_TOKENS))]
    vocabulary = list(RESERVED_TOKENS) + words
    model = keras_seq.applications.Seq2SeqTranslator(vocabulary, vocabulary)
    rng = np.random.default_rng(0)
    low = len(RESERVED_TOKENS)
    results = {"backend": backend, "tokens": num_tokens}
    for batch_size in BATCH_SIZES:
        source_ids = rng.integers(low, VOCABULARY_SIZE, (batch_size, 12))
        context = {"source_ids": source_ids.astype("int32")}
        prompt = np.full((batch_size, 1), START_ID, "int32")
        for name, sampler in (
            ("greedy", "greedy"),
            ("beam4", decoding.get_sampler("beam", num_beams=4)),
        ):

            def decode(sampler=sampler):
                decoding.generate(
                    model,
                    prompt,
                    num_tokens,
                    context=context,
                    sampler=sampler,
                    end_token_id=None,
                )

            decode()  # Compiles (JAX, TensorFlow) or warms up (torch).
            contenders = {"generate": decode}
            if backend == "torch":
                # The same loop through `next`: the Keras layers per token.
                def decode_through_next(decode=decode):
                    model.frozen_next = lambda: None
                    try:
                        decode()
                    finally:
                        del model.frozen_next

                decode_through_next()
                contenders["through_next"] = decode_through_next
            seconds = best_of_interleaved(contenders, repeats)
            row = {
                "tokens_per_second": round(
                    batch_size * num_tokens / seconds["generate"]
                ),
                "microseconds_per_step": round(
                    seconds["generate"] / num_tokens * 1e6
                ),
            }
            if backend == "torch":
                row["next_microseconds_per_step"] = round(
                    seconds["through_next"] / num_tokens * 1e6
                )
                row["frozen_speedup"] = round(
                    row["next_microseconds_per_step"]
                    / row["microseconds_per_step"],
                    2,
                )
            results[f"{name}_batch_{batch_size}"] = row
            print(f"{backend} {name} batch {batch_size}: {row}", flush=True)
    with open(output, "w") as f:
        json.dump(results, f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(parser, BACKENDS)
    parser.add_argument("--tokens", type=int, default=48)
    # Best of 10: with 3, two back-to-back runs differed by up to a third.
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--smoke", action="store_true", help="8 tokens, 1 run")
    args = parser.parse_args()
    if args.smoke:
        args.tokens, args.repeats = 8, 1
    rows = run_or_work(__file__, args, worker, ["tokens", "repeats"])
    if rows is None:
        return
    print(
        f"\nµs per decoding step ({args.tokens} tokens, whole `generate` "
        "call; torch: with `frozen_next` / through `next`):\n"
    )
    columns = [
        f"{name}_batch_{size}"
        for size in BATCH_SIZES
        for name in ("greedy", "beam4")
    ]
    print("| backend | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for row in rows:
        cells = []
        for column in columns:
            entry = row[column]
            cell = f"{entry['microseconds_per_step']:,}"
            if "next_microseconds_per_step" in entry:
                cell += (
                    f" / {entry['next_microseconds_per_step']:,}"
                    f" ({entry['frozen_speedup']}x)"
                )
            cells.append(cell)
        print(f"| {row['backend']} | " + " | ".join(cells) + " |")
    if args.smoke:
        return
    write_results(
        args.output,
        "attention_decoding.json",
        {
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
            "command": "python benchmarks/attention_decoding.py",
            "tokens": args.tokens,
            "repeats": args.repeats,
            "results": rows,
        },
    )


if __name__ == "__main__":
    main()
