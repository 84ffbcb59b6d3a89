"""The spa→eng translator trained on a GPU machine that has no TensorFlow.

The GPU machine this project borrows has JAX and PyTorch but no
TensorFlow, and KerasHub's WordPiece tokenizer needs TensorFlow Text. The
work is therefore split in three stages; the model, its batches, training
and decoding are the package's own (`Seq2SeqTranslator`,
`TranslationBatches`, `translate`), and the protocol and hyperparameters
are those of `applications/translation.py`:

```
# 1. here (TensorFlow): vocabularies and token ids of the protocol split
python benchmarks/translation_gpu.py prepare --output ids.npz
# 2. on the GPU machine (JAX): train, then translate the test split
python benchmarks/translation_gpu.py train --ids ids.npz --out runs/big \\
    --units 512 --embedding-dim 256 --attention luong --minutes 7
# 3. here: score the translations (sacreBLEU, ROUGE) and load the model
python benchmarks/translation_gpu.py score --ids ids.npz \\
    --runs runs/big runs/none \\
    --output benchmarks/results/translation_spa_eng_gpu.json
```
"""

import argparse
import json
import os
import time

import numpy as np

VOCABULARY_SIZE = 8000
BATCH_SIZE = 128
LEARNING_RATE = 2e-3
NUM_BEAMS = 4
CHECKED_SENTENCES = 64


def save_rows(arrays, name, rows):
    lengths = np.array([len(row) for row in rows], "int64")
    arrays[f"{name}_ids"] = np.array([i for row in rows for i in row], "int32")
    arrays[f"{name}_offsets"] = np.concatenate([[0], np.cumsum(lengths)])


def load_rows(arrays, name):
    ids, offsets = arrays[f"{name}_ids"], arrays[f"{name}_offsets"]
    return [
        ids[offsets[i] : offsets[i + 1]].tolist()
        for i in range(len(offsets) - 1)
    ]


def prepare(args):
    import keras_seq
    from keras_seq.applications import seq2seq_translator

    (x_train, y_train), (x_val, y_val), (x_test, _) = (
        keras_seq.datasets.translation.load_data("spa", path=args.data_dir)
    )
    source_vocabulary = seq2seq_translator.build_vocabulary(
        x_train, VOCABULARY_SIZE, "word_piece"
    )
    target_vocabulary = seq2seq_translator.build_vocabulary(
        y_train, VOCABULARY_SIZE, "word_piece"
    )
    # A tiny model, only for its tokenizers.
    model = keras_seq.applications.Seq2SeqTranslator(
        source_vocabulary, target_vocabulary, units=4, embedding_dim=4
    )
    arrays = {
        "source_vocabulary": np.array(source_vocabulary),
        "target_vocabulary": np.array(target_vocabulary),
        "test_sources": np.array(x_test),
    }
    for name, texts, side in (
        ("train_source", x_train, "source"),
        ("train_target", y_train, "target"),
        ("val_source", x_val, "source"),
        ("val_target", y_val, "target"),
        ("test_source", x_test, "source"),
    ):
        save_rows(arrays, name, model.tokenize(texts, side))
    np.savez_compressed(args.output, **arrays)
    print(
        f"{args.output}: {len(x_train):,} training pairs, vocabularies "
        f"{len(source_vocabulary):,} / {len(target_vocabulary):,}"
    )


def build_model(ids_path, config):
    import keras_seq

    arrays = np.load(ids_path, allow_pickle=False)
    attention = config["attention"]
    return keras_seq.applications.Seq2SeqTranslator(
        source_vocabulary=arrays["source_vocabulary"].tolist(),
        target_vocabulary=arrays["target_vocabulary"].tolist(),
        cell=config["cell"],
        embedding_dim=config["embedding_dim"],
        units=config["units"],
        attention=None if attention == "none" else attention,
        dropout=config["dropout"],
        name=f"{attention}_attention",
    )


def train(args):
    import keras

    from keras_seq.applications.seq2seq_translator import TranslationBatches
    from keras_seq.callbacks import TimeBudget
    from keras_seq.utils.file_utils import atomic_write_json

    class Batches(keras.utils.PyDataset):
        """`TranslationBatches` for `fit` without TensorFlow."""

        def __init__(self, batches):
            super().__init__()
            self.batches = batches

        def __len__(self):
            return len(self.batches)

        def __getitem__(self, index):
            return self.batches[index]

        def on_epoch_end(self):
            self.batches.on_epoch_end()

    keras.utils.set_random_seed(args.seed)
    config = {
        "cell": args.cell,
        "units": args.units,
        "embedding_dim": args.embedding_dim,
        "attention": args.attention,
        "dropout": args.dropout,
        "batch_size": BATCH_SIZE,
        "learning_rate": LEARNING_RATE,
        "seed": args.seed,
        "length_multiple": args.length_multiple,
    }
    model = build_model(args.ids, config)
    arrays = np.load(args.ids, allow_pickle=False)
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE, clipnorm=1.0))
    limit = args.limit or None  # a quick check trains on fewer pairs
    train_data = Batches(
        TranslationBatches(
            load_rows(arrays, "train_source")[:limit],
            load_rows(arrays, "train_target")[:limit],
            BATCH_SIZE,
            shuffle=True,
            seed=args.seed,
            length_multiple=args.length_multiple,
        )
    )
    val_data = Batches(
        TranslationBatches(
            load_rows(arrays, "val_source"),
            load_rows(arrays, "val_target"),
            BATCH_SIZE,
            shuffle=False,
            seed=None,
            length_multiple=args.length_multiple,
        )
    )
    os.makedirs(args.out, exist_ok=True)
    start = time.perf_counter()
    history = model.fit(
        train_data,
        validation_data=val_data,
        epochs=args.epochs,
        callbacks=[
            keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=0),
            TimeBudget(60 * args.minutes),
        ],
        verbose=2,
    )
    train_seconds = time.perf_counter() - start
    # The weights alone travel back, without the optimizer's two moments
    # (which `save` and `save_weights` include: three times the size).
    bare = build_model(args.ids, config)
    bare.set_weights(model.get_weights())
    bare.save_weights(os.path.join(args.out, "model.weights.h5"))

    # The test sources are tokenized already: `translate` looks them up.
    test_sources = arrays["test_sources"].tolist()[:limit]
    ids_of = dict(zip(test_sources, load_rows(arrays, "test_source")))
    model.tokenize = lambda texts, side="source": [ids_of[t] for t in texts]
    translations = {}
    for name, options in (
        ("greedy", {"sampler": "greedy"}),
        ("beam", {"sampler": "beam", "num_beams": NUM_BEAMS}),
    ):
        start = time.perf_counter()
        translations[name] = model.translate(test_sources, **options)
        translations[f"{name}_seconds"] = time.perf_counter() - start
        print(name, translations[name][:3], flush=True)
    atomic_write_json(
        os.path.join(args.out, "run.json"),
        {
            "backend": keras.backend.backend(),
            "keras_version": keras.__version__,
            "config": config,
            "parameters": model.count_params(),
            "epochs_run": len(history.history["loss"]),
            "train_seconds": round(train_seconds, 1),
            "history": {
                k: [round(float(v), 4) for v in values]
                for k, values in history.history.items()
            },
            "translations": translations,
        },
    )


def score(args):
    import keras

    import keras_seq
    from keras_seq.applications import seq2seq_translator
    from keras_seq.utils.file_utils import atomic_write_json

    _, _, (x_test, y_test) = keras_seq.datasets.translation.load_data(
        "spa", path=args.data_dir
    )
    results = {"command": args.command_line, "models": {}}
    for run in args.runs:
        with open(os.path.join(run, "run.json"), encoding="utf-8") as file:
            record = json.load(file)
        translations = record.pop("translations")
        # A quick check (`train --limit`) translates fewer sentences.
        references = y_test[: len(translations["greedy"])]
        for name in ("greedy", "beam"):
            scores = seq2seq_translator.score_translations(
                translations[name], references
            )
            scores["decode_seconds"] = round(translations[f"{name}_seconds"], 1)
            scores["examples"] = list(
                zip(x_test[:5], y_test[:5], translations[name][:5])
            )
            record[name] = scores
            print(
                f"{run} {name}: BLEU {scores['bleu']:.2f}, ROUGE-1 "
                f"{scores['rouge1_f1']:.4f}, ROUGE-2 {scores['rouge2_f1']:.4f}"
            )
        path = os.path.join(run, "model.weights.h5")
        if os.path.exists(path):
            # The weights made on the GPU, loaded here on another backend,
            # must translate as they did there.
            model = build_model(args.ids, record["config"])
            model.load_weights(path)
            here = model.translate(x_test[:CHECKED_SENTENCES])
            same = sum(
                a == b
                for a, b in zip(
                    here, translations["greedy"][:CHECKED_SENTENCES]
                )
            )
            record["reloaded_here"] = {
                "backend": keras.backend.backend(),
                "same_greedy_translations": f"{same}/{CHECKED_SENTENCES}",
            }
            print(f"{run}: reloaded, {same}/{CHECKED_SENTENCES} the same")
            if model.attention is not None and args.plots:
                for i, text in enumerate(x_test[:3]):
                    model.plot_attention(
                        text, os.path.join(args.plots, f"attention_{i}.png")
                    )
        results["models"][os.path.basename(run.rstrip("/"))] = record
    atomic_write_json(args.output, results)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--data-dir", default=os.environ.get("KERAS_SEQ_DATA_DIR")
    )
    stages = parser.add_subparsers(dest="stage", required=True)
    prepare_parser = stages.add_parser("prepare")
    prepare_parser.add_argument("--output", required=True)
    train_parser = stages.add_parser("train")
    train_parser.add_argument("--ids", required=True)
    train_parser.add_argument("--out", required=True)
    train_parser.add_argument("--cell", choices=("gru", "lstm"), default="gru")
    train_parser.add_argument("--units", type=int, default=256)
    train_parser.add_argument("--embedding-dim", type=int, default=128)
    train_parser.add_argument(
        "--attention", choices=("luong", "bahdanau", "none"), default="luong"
    )
    train_parser.add_argument("--dropout", type=float, default=0.2)
    train_parser.add_argument("--epochs", type=int, default=100)
    train_parser.add_argument("--minutes", type=float, default=7.0)
    train_parser.add_argument("--seed", type=int, default=1234)
    train_parser.add_argument(
        "--length-multiple",
        type=int,
        default=8,
        help="batches padded to a multiple of this (16 compiles fewer "
        "shapes on a GPU)",
    )
    train_parser.add_argument(
        "--limit", type=int, default=0, help="pairs used (a quick check)"
    )
    score_parser = stages.add_parser("score")
    score_parser.add_argument("--ids", required=True)
    score_parser.add_argument("--runs", nargs="+", required=True)
    score_parser.add_argument("--output", required=True)
    score_parser.add_argument("--plots")
    score_parser.add_argument("--command-line", default="")
    args = parser.parse_args()
    {"prepare": prepare, "train": train, "score": score}[args.stage](args)


if __name__ == "__main__":
    main()
