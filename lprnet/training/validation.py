"""Validation NME each epoch: held-out shards (by yaw bin) and AFLW2000-3D (3DDFA protocol)."""

from __future__ import annotations

from itertools import islice
from typing import Any

import cv2
import numpy as np

from lprnet import metrics
from lprnet.geometry.bfm import FaceModel
from lprnet.geometry.uv import uv_layout
from lprnet.io_contract import POSMAP_SCALE
from lprnet.training.config import TrainConfig


class Validator:
    """Holds the validation examples in memory; ``validator(model)`` returns metrics (percent).

    Shards of another size than the model are resized with the pipeline's convention
    (``x' = (x + 0.5) * s - 0.5``).
    """

    def __init__(self, config: TrainConfig, face_model: FaceModel, size: int):
        from lprnet.data.shards import read_shards

        self.config, self.face_model, self.size = config, face_model, size
        self.layout = uv_layout(face_model, size)
        images, landmarks, yaws = [], [], []
        per_source = max(1, config.val_examples // max(1, len(config.val)))
        for folder in config.val:
            for ex in islice(read_shards(folder), per_source):
                n = ex["image"].shape[0]
                s = size / n
                image = ex["image"]
                if n != size:
                    image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
                lm = ex["landmarks"].astype(np.float64)
                lm = np.concatenate([(lm[:, :2] + 0.5) * s - 0.5, lm[:, 2:] * s], axis=1)
                images.append(image)
                landmarks.append(lm)
                yaws.append(float(ex["pose"][1]))
        self.images = np.stack(images).astype(np.float32) / 255.0 if images else None
        self.landmarks, self.yaws = landmarks, np.array(yaws)
        self.faces = None
        if config.aflw_dir:
            from lprnet.evaluation import aflw2000_benchmark

            self.faces = aflw2000_benchmark(config.aflw_dir, config.data_dir)

    def __call__(self, model) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.images is not None:
            kx, ky = self.layout.keypoint_pixels
            nme = []
            for start in range(0, len(self.images), 32):
                pred = model(self.images[start : start + 32], training=False).numpy()
                pred *= self.size * POSMAP_SCALE
                for k, p in enumerate(pred):
                    nme.append(metrics.nme_2d(p[ky, kx], self.landmarks[start + k]))
            s = metrics.summarize_by_yaw(np.array(nme), self.yaws)
            out["val_nme_2d"] = float(s["mean"])  # NaN when a yaw bin has no view
            out["val_nme_2d_present"] = float(s["mean_present_bins"])
            out["val_nme_2d_bins"] = [float(s["bins"][b]["mean"]) for b in metrics.YAW_BINS]
        if self.faces:
            from lprnet.evaluation import evaluate
            from lprnet.predictors import network_predictor

            res = evaluate(
                self.faces,
                network_predictor(model, self.config.data_dir),
                self.face_model,
                progress=False,
            )
            for key, name in (
                ("nme_2d_sparse", "aflw_nme_2d"),
                ("nme_3d_sparse", "aflw_nme_3d"),
                ("nme_3d_dense", "aflw_nme_3d_dense"),
            ):
                if key in res["summary"]:
                    out[name] = float(res["summary"][key]["mean"])
            # a subset without every yaw bin has no protocol mean: its 2-bin mean, apart
            out["aflw_nme_2d_present"] = float(res["summary"]["nme_2d_sparse"]["mean_present_bins"])
        return out
