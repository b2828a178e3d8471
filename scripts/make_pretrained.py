"""Train notebook 4's two small convnets once and bundle their weights, so that a class on one shared
server can load them instead of training 30 times (``PRETRAINED = True`` in the notebook).

    python scripts/make_pretrained.py          # ~2 minutes on 2 CPU cores
    python scripts/make_pretrained.py --check  # train again, compare with the recorded checksums, write nothing

Writes ``data/models/small_convnet_shortcut.weights.h5`` (trained on ``train``: the marker on 95 % of
the squares), ``data/models/small_convnet_fixed.weights.h5`` (trained on ``fixed_train``: the marker on
half of each class) and ``data/models/small_convnet.json`` (the settings, the accuracies measured on
notebook 4's test sets, and a checksum of each model's weights). The settings are notebook 4's
defaults; the run is deterministic (seeded, TensorFlow's op determinism on), so running it again
gives the same weights and the same checksums.
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import helpers  # noqa: E402, F401  (quiet TensorFlow start-up)
from helpers import datasets, training  # noqa: E402

SETTINGS = {"SEED": 0, "N_TRAIN": 1500, "N_TEST": 400, "EPOCHS": 2, "FILTERS": [32, 32, 64, 64],
            "LEARNING_RATE": 2e-3, "MARKER_RATE": 0.95, "POOLING": "max", "BATCH_NORM": True, "BATCH_SIZE": 32}
TRAIN_ON = {"shortcut": "train", "fixed": "fixed_train"}


def weights_checksum(model) -> str:
    """sha256 of every weight array, in order (file bytes can differ between HDF5 writes; the arrays do not)."""
    digest = hashlib.sha256()
    for w in model.get_weights():
        digest.update(np.ascontiguousarray(w, np.float32).tobytes())
    return digest.hexdigest()


def build():
    s = SETTINGS
    return training.small_convnet(class_names=datasets.CLASS_NAMES, seed=s["SEED"], filters=tuple(s["FILTERS"]),
                                  pooling=s["POOLING"], batch_norm=s["BATCH_NORM"])


def main(check: bool = False) -> int:
    tf.config.experimental.enable_op_determinism()
    s = SETTINGS
    recorded = training.pretrained_record() if check else None
    splits = datasets.shortcut_splits(s["N_TRAIN"], s["N_TEST"], seed=s["SEED"], rate=s["MARKER_RATE"])
    record = {"settings": s, "measured": {}, "sha256_of_weights": {},
              "made_by": "scripts/make_pretrained.py", "date": time.strftime("%Y-%m-%d")}
    for which, split in TRAIN_ON.items():
        model = build()
        t0 = time.perf_counter()
        training.train(model, splits[split], epochs=s["EPOCHS"], batch_size=s["BATCH_SIZE"], seed=s["SEED"],
                       learning_rate=s["LEARNING_RATE"], verbose=2)
        seconds = time.perf_counter() - t0
        acc = {name: round(training.accuracy(model, splits[name]), 4) for name in ("val", "clean", "swapped")}
        record["measured"][which] = acc
        record["sha256_of_weights"][which] = weights_checksum(model)
        print(f"{which}: trained on {split} in {seconds:.0f} s, accuracy {acc}, {model.count_params():,} parameters")
        if not check:
            path = training.PRETRAINED_FILE.parent / training.PRETRAINED[which]
            bare = build()   # an uncompiled twin: the file holds the weights only, no optimizer state
            bare.set_weights(model.get_weights())
            bare.save_weights(path)
            print("  wrote", path.relative_to(ROOT))
    if check:
        same = all(record[k][w] == recorded[k][w] for k in ("measured", "sha256_of_weights") for w in TRAIN_ON)
        print("the same weights as recorded" if same else "DIFFERENT from the recorded weights")
        return 0 if same else 1
    training.PRETRAINED_FILE.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print("wrote", training.PRETRAINED_FILE.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv[1:]))
