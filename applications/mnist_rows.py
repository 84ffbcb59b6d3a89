"""
Title: Reading MNIST digits row by row with a recurrent network
Author: keras_seq developers
Date created: 2026/11/22
Last modified: 2026/11/22
Description: A `RowClassifier` reads each image as 28 time steps of 28
pixels; trained on 4,500 MNIST images, tested on the official 10,000.

Usage:

```
python applications/mnist_rows.py                      # LSTM, 30 epochs
python applications/mnist_rows.py --cell lstm --bidirectional
python applications/mnist_rows.py --backend jax --cell gru --out runs/gru
python applications/mnist_rows.py --smoke              # a one-minute check
```

It writes the trained model (`model.keras`), the figures (`metrics.json`)
and the training curves (`history.png`) to `--out`. Interrupted training
resumes from the last finished epoch when run again with the same `--out`.
"""

# %% [markdown]
# ## Introduction
#
# A recurrent network reads a sequence one step at a time and carries what
# it has seen in its state. An image is a sequence too: read top to bottom,
# a 28 x 28 MNIST digit is 28 steps of 28 pixels. This is the first example
# of the recurrent-network tutorials keras_seq grew from (there: two
# `SimpleRNN(128, activation="relu")` layers and a dense classifier).
#
# We follow the evaluation protocol of keras_seq's reported figures: 4,500
# training images (500 of them per class before the validation split is
# held out), 500 for validation, and the full official test set of 10,000.
# With so few training images, three things matter beyond the plain model:
# small random shifts, rotations and zooms of the training images
# (`augmentation=True`), dropout before the classifier, and a learning rate
# that warms up and then decays along a cosine. They were chosen on the
# validation split; the test set is used once, at the end.

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
        "--bidirectional",
        action="store_true",
        help="also read the rows bottom to top",
    )
    parser.add_argument(
        "--epochs", type=int, default=30, help="passes over the training set"
    )
    add_common_arguments(parser, "runs/mnist_rows", "500 images, 1 epoch")
    args = parser.parse_args(argv)
    check_at_least_one(parser, args, ("epochs",))
    return args


# In a notebook there is no command line: the defaults are used, and
# `KERAS_SEQ_SMOKE=1` asks for the smoke sizes.
args = parse_args(command_line())
if args.backend:
    os.environ["KERAS_BACKEND"] = args.backend
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

import keras_seq  # noqa: E402
from keras_seq.callbacks import BackupAndRestore  # noqa: E402
from keras_seq.utils.file_utils import atomic_write_json  # noqa: E402

keras.utils.set_random_seed(args.seed)
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")

# %% [markdown]
# ## Hyperparameters

# %%
UNITS = 16 if args.smoke else 128  # state size of the recurrent layer
DROPOUT = 0.3  # dropout before the classifier
BATCH_SIZE = 64  # images per training step
LEARNING_RATE = 3e-3  # peak learning rate, reached after the warm-up
WARMUP_FRACTION = 0.05  # share of the steps spent warming up
WEIGHT_DECAY = 1e-4  # AdamW decoupled weight decay
EPOCHS = 1 if args.smoke else args.epochs
TRAIN_IMAGES = 500 if args.smoke else None  # None: all 4,500
TEST_IMAGES = 1000 if args.smoke else None  # None: all 10,000

# %% [markdown]
# ## Data
#
# `keras_seq.datasets.mnist.load_data()` returns the protocol's three splits
# as uint8 arrays: the model rescales the pixels itself.

# %%
(x_train, y_train), (x_val, y_val), (x_test, y_test) = (
    keras_seq.datasets.mnist.load_data(path=args.data_dir)
)
x_train, y_train = x_train[:TRAIN_IMAGES], y_train[:TRAIN_IMAGES]
x_test, y_test = x_test[:TEST_IMAGES], y_test[:TEST_IMAGES]
print(f"train {x_train.shape}, validation {x_val.shape}, test {x_test.shape}")

# %% [markdown]
# ## Model
#
# One line builds the model: rescaling, augmentation (active only in
# training), the recurrent layer, dropout and the classifier. We replace
# its default optimizer with AdamW on a warm-up-then-cosine schedule; the
# gradient norm stays clipped at 1.0.

# %%
model = keras_seq.applications.RowClassifier(
    cell=args.cell,
    units=UNITS,
    bidirectional=args.bidirectional,
    dropout=DROPOUT,
    augmentation=True,
)
steps = EPOCHS * -(-len(x_train) // BATCH_SIZE)
schedule = keras.optimizers.schedules.CosineDecay(
    0.0,
    decay_steps=steps,
    warmup_target=LEARNING_RATE,
    warmup_steps=int(WARMUP_FRACTION * steps),
)
model.compile(
    optimizer=keras.optimizers.AdamW(
        schedule, weight_decay=WEIGHT_DECAY, clipnorm=1.0
    )
)
model.summary()

# %% [markdown]
# ## Training
#
# `BackupAndRestore` saves the training state after every epoch, so an
# interrupted run picks up where it stopped; the backup is removed when
# training completes.

# %%
os.makedirs(args.out, exist_ok=True)
start = time.perf_counter()
history = model.fit(
    x_train,
    y_train,
    validation_data=(x_val, y_val),
    batch_size=BATCH_SIZE,
    epochs=EPOCHS,
    callbacks=[BackupAndRestore(os.path.join(args.out, "backup"))],
    verbose=2,
)
train_seconds = time.perf_counter() - start

# %% [markdown]
# ## Evaluation
#
# The test set, once.

# %%
test_loss, test_accuracy = model.evaluate(
    x_test, y_test, batch_size=500, verbose=0
)
print(f"test accuracy {test_accuracy:.4f} on {len(x_test)} images")
probabilities = model.predict(x_test[:8], verbose=0)
print("first test digits:", y_test[:8].tolist())
print("predicted:        ", probabilities.argmax(axis=-1).tolist())

# %% [markdown]
# ## Results
#
# The model, the figures and the curves go to the output directory, each
# written completely or not at all.

# %%
keras_seq.visualization.plot_history(
    history,
    os.path.join(args.out, "history.png"),
    title=f"{args.cell}{' bidirectional' if args.bidirectional else ''}",
)
staging = os.path.join(args.out, ".model.keras")
model.save(staging)
os.replace(staging, os.path.join(args.out, "model.keras"))
metrics = {
    "backend": keras.backend.backend(),
    "cell": args.cell,
    "bidirectional": args.bidirectional,
    "units": UNITS,
    "epochs": EPOCHS,
    "smoke": args.smoke,
    "seed": args.seed,
    "train_images": len(x_train),
    "validation_images": len(x_val),
    "test_images": len(x_test),
    "validation_accuracy": float(history.history["val_accuracy"][-1]),
    "test_accuracy": float(test_accuracy),
    "test_loss": float(test_loss),
    "train_seconds": round(train_seconds, 1),
    "parameters": model.count_params(),
    "keras_version": keras.__version__,
    "keras_seq_version": keras_seq.__version__,
}
atomic_write_json(os.path.join(args.out, "metrics.json"), metrics)
shutil.rmtree(os.path.join(args.out, "backup"), ignore_errors=True)
print(json.dumps(metrics, indent=2))
