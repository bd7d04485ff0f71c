"""lprnet: PRNet-style 3D face reconstruction for the edge.

The package is import-light: geometry, data readers and metrics use NumPy/SciPy/OpenCV only;
TensorFlow is imported lazily by the modules that need it (shards, models, training).
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    if name == "Reconstructor":  # lazy: importing lprnet stays light
        from lprnet.inference.reconstructor import Reconstructor

        return Reconstructor
    raise AttributeError(f"module 'lprnet' has no attribute {name!r}")
