"""lprnet: PRNet-style 3D face reconstruction for the edge.

The package is import-light: geometry, data readers and metrics use NumPy/SciPy/OpenCV only;
TensorFlow is imported lazily by the modules that need it (shards, models, training).
"""

__version__ = "0.1.0"
