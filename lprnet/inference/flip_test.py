"""Flip test: run a posmap network on a crop and on its mirror image and average the two.

The mirror's posmap, mirrored back (:func:`lprnet.geometry.posmap.mirror_posmap`), is a second
estimate of the same face from the network that training augmented with mirrors; where the
two estimates' errors differ, their mean cancels part of them (measured on AFLW2000-3D in
docs/models.md). Twice the model time.
"""

from __future__ import annotations

import numpy as np

from lprnet.geometry.posmap import mirror_posmap
from lprnet.inference.backends import PosmapModel
from lprnet.io_contract import output_width


class FlipTest:
    """A :class:`~lprnet.inference.backends.PosmapModel` that averages a network's posmap of
    each crop with the mirrored-back posmap of the mirrored crop.

    Parameters
    ----------
    model : PosmapModel
        Any loaded network (Keras, LiteRT, ONNX); each call runs it twice.
    """

    def __init__(self, model: PosmapModel):
        self.model = model
        self.resolution = model.resolution
        self.name = f"{model.name}+flip"
        self.format = model.format

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """(B, n, n, 3) crops in [0, 1] -> (B, n, n, 3) normalised posmaps (as the model's)."""
        direct = np.asarray(self.model.predict(batch), np.float32)
        mirrored = np.asarray(self.model.predict(np.ascontiguousarray(batch[:, :, ::-1])))
        back = mirror_posmap(mirrored.astype(np.float32), output_width(self.resolution))
        return 0.5 * (direct + back)
