"""Import TensorFlow without its start-up chatter on a CPU-only machine.

TensorFlow's C++ core prints "Could not find cuda drivers", "failed call to cuInit" and oneDNN
notes straight to file descriptor 2 while it loads and initialises its devices, before any
log-level setting applies; in a notebook they land under the first cell as red text that
alarms learners. This module silences file descriptor 2 for exactly that moment, once, and
restores it. Python errors are unaffected (they are raised, not printed). Set the environment
variable ``CONVNET_VIS_TF_LOGS=1`` to see the messages.
"""
import os
import sys


def import_tensorflow_quietly() -> None:
    if "tensorflow" in sys.modules or os.environ.get("CONVNET_VIS_TF_LOGS") == "1":
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr: nothing to silence
        import tensorflow  # noqa: F401
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices()  # device initialisation: where "cuInit" is printed
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


import_tensorflow_quietly()
