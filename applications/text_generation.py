"""
Title: Character-level text generation with an LSTM
Author: keras_seq developers
Date created: 2026/11/22
Last modified: 2026/11/22
Description: A `TextGenerator` learns tiny-shakespeare one character at a
time and writes new text with temperature sampling; validation loss is
reported in bits per character.

Usage:

```
python applications/text_generation.py                 # LSTM(512), 30 min
python applications/text_generation.py --minutes 10 --units 256
python applications/text_generation.py --backend jax --out runs/shakespeare
python applications/text_generation.py --backend jax --num-layers 2 \
    --dropout 0.5 --epochs 80 --minutes 7              # a GPU: 2.07 bpc
python applications/text_generation.py --smoke         # a one-minute check
```

It writes the trained model (`model.keras`), the figures (`metrics.json`),
the training curves (`history.png`) and generated samples (`samples.txt`)
to `--out`. Interrupted training resumes from the last finished epoch when
run again with the same `--out`.
"""

# %% [markdown]
# ## Introduction
#
# A character-level language model reads text one character at a time and
# predicts the next. Trained on the works of Shakespeare (the 1.1 MB
# tiny-shakespeare corpus of char-rnn), a single LSTM layer learns spelling,
# the layout of a play (speaker names, line breaks) and some grammar. The
# model is evaluated on the last 10% of the characters, which it never sees
# in training, by its loss in bits per character: the average number of
# bits an ideal coder driven by the model would need for each character.
#
# Training is teacher forcing: windows of 100 characters go in, and at every
# position the model is scored on the character that really comes next.
# Generation then feeds the model its own samples, through the compiled
# loop of `keras_seq.decoding`.

# %% [markdown]
# ## Setup
#
# The backend is chosen before Keras is imported.

# %%
import json
import os
import shutil
import time

from keras_seq.utils.recipe_arguments import add_common_arguments
from keras_seq.utils.recipe_arguments import check_at_least_one
from keras_seq.utils.recipe_arguments import check_positive
from keras_seq.utils.recipe_arguments import command_line
from keras_seq.utils.recipe_arguments import recipe_parser


def parse_args(argv=None):
    parser = recipe_parser(__doc__)
    parser.add_argument(
        "--backend",
        choices=("tensorflow", "jax", "torch"),
        help="Keras backend (default: KERAS_BACKEND, else tensorflow)",
    )
    parser.add_argument(
        "--cell",
        choices=("lstm", "gru", "simple_rnn"),
        default="lstm",
        help="recurrent layer (default: lstm)",
    )
    parser.add_argument(
        "--units", type=int, default=512, help="state size (default: 512)"
    )
    parser.add_argument(
        "--num-layers",
        type=int,
        default=1,
        help="stacked recurrent layers (default: 1)",
    )
    parser.add_argument(
        "--dropout",
        type=float,
        default=0.2,
        help="between layers and before the output layer (default: 0.2)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=20,
        help="passes over the training text (default: 20)",
    )
    parser.add_argument(
        "--minutes",
        type=float,
        default=30.0,
        help="training time budget: stop after the epoch that passes it "
        "(default: 30)",
    )
    add_common_arguments(
        parser, "runs/text_generation", "60,000 characters, 1 epoch"
    )
    args = parser.parse_args(argv)
    check_at_least_one(parser, args, ("units", "num_layers", "epochs"))
    check_positive(parser, args, ("minutes",))
    if not 0.0 <= args.dropout < 1.0:
        parser.error(f"--dropout must be in [0, 1), got {args.dropout}")
    return args


# In a notebook there is no command line: the defaults are used, and
# `KERAS_SEQ_SMOKE=1` asks for the smoke sizes.
args = parse_args(command_line())
if args.backend:
    os.environ["KERAS_BACKEND"] = args.backend
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_seq  # noqa: E402
from keras_seq.callbacks import BackupAndRestore  # noqa: E402
from keras_seq.callbacks import TimeBudget  # noqa: E402
from keras_seq.utils.file_utils import atomic_write_json  # noqa: E402
from keras_seq.utils.file_utils import atomic_write_text  # noqa: E402

keras.utils.set_random_seed(args.seed)
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")

# %% [markdown]
# ## Hyperparameters

# %%
UNITS = 32 if args.smoke else args.units  # LSTM state size
EMBEDDING_DIM = 64  # size of the character embeddings
NUM_LAYERS = args.num_layers  # stacked LSTMs
DROPOUT = args.dropout  # between layers and before the output layer
SEQUENCE_LENGTH = 100  # characters per training window
BATCH_SIZE = 64  # windows per step
LEARNING_RATE = 2e-3  # Adam, decayed along a cosine over the epochs
EPOCHS = 1 if args.smoke else args.epochs
BUDGET_SECONDS = 60 * args.minutes
SMOKE_CHARACTERS = 60_000  # training characters in a smoke run
TEMPERATURES = (0.5, 0.8, 1.0)
SAMPLE_LENGTH = 60 if args.smoke else 300  # characters per sample
PROMPT = "ROMEO:\n"

# %% [markdown]
# ## Data
#
# `keras_seq.datasets.text.load_data()` splits the corpus by the protocol:
# the first 90% of the characters for training, the last 10% for
# validation.

# %%
train_text, val_text = keras_seq.datasets.text.load_data(
    "tinyshakespeare", path=args.data_dir
)
if args.smoke:
    train_text, val_text = train_text[:SMOKE_CHARACTERS], val_text[:10_000]
print(f"{len(train_text):,} training and {len(val_text):,} validation chars")

# %% [markdown]
# ## Model
#
# `TextGenerator.from_text` builds the vocabulary from the training text
# (tiny-shakespeare has 65 distinct characters; any other character in a
# prompt is read as `"[UNK]"`). `make_dataset` cuts the text into windows:
# at random offsets every epoch for training, consecutive ones for
# validation.

# %%
model = keras_seq.applications.TextGenerator.from_text(
    train_text,
    cell=args.cell,
    units=UNITS,
    num_layers=NUM_LAYERS,
    embedding_dim=EMBEDDING_DIM,
    dropout=DROPOUT,
)
train_data = model.make_dataset(
    train_text, SEQUENCE_LENGTH, BATCH_SIZE, shuffle=True, seed=args.seed
)
val_data = model.make_dataset(
    val_text, SEQUENCE_LENGTH, BATCH_SIZE, shuffle=False
)
schedule = keras.optimizers.schedules.CosineDecay(
    LEARNING_RATE, decay_steps=EPOCHS * len(train_data), alpha=0.05
)
model.compile(optimizer=keras.optimizers.Adam(schedule, clipnorm=1.0))
model.summary()

# %% [markdown]
# ## Watching it learn
#
# After every epoch a callback writes a few lines at three temperatures.
# Low temperatures pick likely characters (safe, repetitive text); at 1.0
# the model samples from its own distribution. A second callback stops
# training once the time budget is spent.


# %%
class Samples(keras.callbacks.Callback):
    """Prints samples of the model at several temperatures."""

    def __init__(self):
        super().__init__()
        self.samples = {}

    def on_epoch_end(self, epoch, logs=None):
        for temperature in TEMPERATURES:
            text = self.model.generate(
                PROMPT,
                SAMPLE_LENGTH,
                sampler="random",
                temperature=temperature,
                seed=args.seed,
            )
            self.samples[temperature] = text
            print(f"--- epoch {epoch + 1}, temperature {temperature}")
            print(text)


# %% [markdown]
# ## Training

# %%
os.makedirs(args.out, exist_ok=True)
samples = Samples()
start = time.perf_counter()
best_weights = os.path.join(args.out, "best.weights.h5")
history = model.fit(
    train_data,
    validation_data=val_data,
    epochs=EPOCHS,
    callbacks=[
        BackupAndRestore(os.path.join(args.out, "backup")),
        keras.callbacks.ModelCheckpoint(
            best_weights, save_best_only=True, save_weights_only=True
        ),
        TimeBudget(BUDGET_SECONDS),
        samples,
    ],
    verbose=2,
)
train_seconds = time.perf_counter() - start
# A large model overfits the 1M training characters after a while: the
# weights of the epoch with the lowest validation loss are kept.
model.load_weights(best_weights)
best_epoch = int(np.argmin(history.history["val_loss"])) + 1
print(f"best epoch: {best_epoch} of {len(history.history['loss'])}")

# %% [markdown]
# ## Evaluation
#
# The validation text is read as one stream, the recurrent state carried
# from the first character to the last, so every character is predicted
# from everything before it.

# %%
bits_per_character = model.bits_per_character(val_text)
nats_per_character = bits_per_character * 0.6931471805599453
print(
    f"validation: {bits_per_character:.3f} bits per character "
    f"({nats_per_character:.3f} nats)"
)

# %% [markdown]
# ## Writing as it goes
#
# `generate_stream` yields the continuation piece by piece, as the model
# writes it: the first characters appear before the last are computed.

# %%
print(PROMPT, end="")
for piece in model.generate_stream(
    PROMPT, SAMPLE_LENGTH, temperature=0.8, seed=args.seed
):
    print(piece, end="", flush=True)
print()

# %% [markdown]
# ## Results

# %%
keras_seq.visualization.plot_history(
    history, os.path.join(args.out, "history.png"), title="tiny-shakespeare"
)
staging = os.path.join(args.out, ".model.keras")
model.save(staging)
os.replace(staging, os.path.join(args.out, "model.keras"))
atomic_write_text(
    os.path.join(args.out, "samples.txt"),
    "".join(
        f"--- temperature {t}\n{text}\n\n"
        for t, text in samples.samples.items()
    ),
)
metrics = {
    "backend": keras.backend.backend(),
    "cell": args.cell,
    "units": UNITS,
    "num_layers": NUM_LAYERS,
    "dropout": DROPOUT,
    "embedding_dim": EMBEDDING_DIM,
    "epochs_run": len(history.history["loss"]),
    "best_epoch": best_epoch,
    "smoke": args.smoke,
    "seed": args.seed,
    "train_characters": len(train_text),
    "validation_characters": len(val_text),
    "validation_bits_per_character": round(bits_per_character, 4),
    "validation_nats_per_character": round(nats_per_character, 4),
    "train_seconds": round(train_seconds, 1),
    "parameters": model.count_params(),
    "keras_version": keras.__version__,
    "keras_seq_version": keras_seq.__version__,
}
atomic_write_json(os.path.join(args.out, "metrics.json"), metrics)
shutil.rmtree(os.path.join(args.out, "backup"), ignore_errors=True)
os.remove(best_weights)
print(json.dumps(metrics, indent=2))
