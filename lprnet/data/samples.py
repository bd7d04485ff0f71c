"""Turn an annotated image into a training sample: crop, UV position map, landmarks, pose."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lprnet.data.annotations import FaceParams, read_params
from lprnet.data.datasets import Record
from lprnet.errors import DataFormatError
from lprnet.geometry import crop, posmap
from lprnet.geometry.bfm import FaceModel
from lprnet.geometry.transform import pose_to_image
from lprnet.geometry.uv import UVLayout


@dataclass
class Sample:
    """A cropped face and its ground truth, all in crop pixels.

    Attributes
    ----------
    image : (n, n, 3) uint8, RGB
    posmap : (n, n, 3) float32
        x, y in crop pixels; z scaled by the crop and shifted so the mesh's minimum z is 0.
    landmarks : (68, 3) float32
        The model's 68 landmarks (same frame as the posmap).
    crop_matrix : (3, 3) float64
        Image pixels -> crop pixels (:mod:`lprnet.geometry.crop`).
    z_offset : float
        What was subtracted from z after cropping (crop pixels).
    pose : (3,) float32
        [pitch, yaw, roll] in degrees.
    name : str
    """

    image: np.ndarray
    posmap: np.ndarray
    landmarks: np.ndarray
    crop_matrix: np.ndarray
    z_offset: float
    pose: np.ndarray
    name: str


def read_image_rgb(path) -> np.ndarray:
    """Read an image file as (H, W, 3) uint8 RGB; a clear error if it cannot be decoded."""
    data = np.fromfile(str(path), np.uint8) if path is not None else None
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data is not None and data.size else None
    if img is None:
        raise DataFormatError(f"{path}: not a readable image (empty, truncated or unknown format)")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def make_sample(
    image: np.ndarray, params: FaceParams, model: FaceModel, layout: UVLayout, name: str = ""
) -> Sample:
    """Crop a face around its fitted landmarks (PRNet's 1.6 rule) and render its posmap.

    Parameters
    ----------
    image : (H, W, 3) uint8 RGB
    params : FaceParams
    model : FaceModel
    layout : UVLayout
        Its resolution is the crop size.
    """
    n = layout.resolution
    verts = pose_to_image(
        model.vertices(params.shape, params.expression), params.pose, image.shape[0]
    )
    center, size = crop.box_from_landmarks(verts[model.keypoints])
    matrix = crop.crop_matrix(center, size, n)
    cropped = crop.to_crop(verts, matrix)
    z_offset = float(cropped[:, 2].min())
    cropped[:, 2] -= z_offset
    pos = posmap.render_posmap(cropped, layout)
    return Sample(
        image=crop.warp_image(image, matrix, n),
        posmap=pos,
        landmarks=posmap.landmarks(pos, layout).astype(np.float32),
        crop_matrix=matrix,
        z_offset=z_offset,
        pose=params.angles_degrees.astype(np.float32),
        name=name,
    )


def sample_from_record(record: Record, model: FaceModel, layout: UVLayout) -> Sample:
    """Read a dataset record's image and ``.mat`` and make its sample."""
    if not record.mat.is_file():
        raise DataFormatError(f"{record.mat}: annotation file missing for {record.image.name}")
    return make_sample(
        read_image_rgb(record.image), read_params(record.mat), model, layout, record.name
    )
