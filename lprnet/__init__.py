"""lprnet: PRNet-style 3D face reconstruction for the edge.

The package is import-light: geometry, data readers and metrics use NumPy/SciPy/OpenCV only;
TensorFlow is imported lazily by the modules that need it (shards, models, training).
"""

import os

# Before any submodule imports TensorFlow (tf_keras imports it too): legacy Keras for
# tensorflow-model-optimization, quiet C++ logs, and oneDNN kernels, which TensorFlow enables by
# default only on some Intel CPUs; on the project's 2-core AMD EPYC (AVX2) they halve a training
# step (docs/training.md). ``TF_ENABLE_ONEDNN_OPTS=0`` gets the Eigen kernels back.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

__version__ = "0.1.0"


def __getattr__(name: str):
    if name == "Reconstructor":  # lazy: importing lprnet stays light
        from lprnet.inference.reconstructor import Reconstructor

        return Reconstructor
    raise AttributeError(f"module 'lprnet' has no attribute {name!r}")
