"""The one place lprnet imports TensorFlow: legacy Keras (tf-keras) and quiet C++ logs.

tensorflow-model-optimization needs Keras 2, so ``TF_USE_LEGACY_KERAS=1`` must be set before
TensorFlow is first imported; every module gets TF from here (``from lprnet.tfenv import tf``).
The environment (legacy Keras, log level, oneDNN kernels) is set in ``lprnet/__init__.py``, which
runs before any submodule, since ``import tf_keras`` loads TensorFlow too.
TensorFlow's C++ start-up chatter (CUDA probing on a CPU machine) goes to stderr before any log
level applies; it is captured during the import and shown only if the import fails.
"""

import os
import sys
import tempfile


def _quiet_import():
    if os.environ.get("LPRNET_TF_VERBOSE"):
        import tensorflow

        return tensorflow
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    return tensorflow


tf = _quiet_import()

__all__ = ["tf"]
