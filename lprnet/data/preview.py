"""``lprnet data preview``: a contact sheet of shard samples with their landmarks drawn.

Each tile is one crop with the 68 landmarks read from *its own posmap* (PRNet's UV keypoint
pixels), so a wrong posmap, a broken augmentation or a mis-built shard shows at a glance: the
dots must sit on the face. The caption under a tile gives the sample's name and yaw.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import cv2
import numpy as np

from lprnet.errors import DataFormatError, LprnetError
from lprnet.fileio import atomic_open

#: Landmark groups of the 68-point (iBUG) layout: (first, end) index and RGB colour.
GROUPS: dict[str, tuple[int, int, tuple[int, int, int]]] = {
    "jaw": (0, 17, (255, 220, 0)),
    "brows": (17, 27, (255, 120, 0)),
    "nose": (27, 36, (0, 200, 255)),
    "eyes": (36, 48, (0, 255, 80)),
    "mouth": (48, 68, (255, 40, 200)),
}
#: Caption strip below each tile (two text lines), pixels.
CAPTION_HEIGHT = 30
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def draw_landmarks(image: np.ndarray, points: np.ndarray, radius: int = 1) -> np.ndarray:
    """Draw the 68 landmarks as small dots, one colour per group (:data:`GROUPS`).

    Parameters
    ----------
    image : (n, n, 3) uint8 RGB
    points : (68, 2+) float, crop pixels (x right, y down)
    radius : int
        Dot radius, pixels.

    Returns
    -------
    (n, n, 3) uint8 RGB
        A copy with the dots drawn.
    """
    out = np.ascontiguousarray(image, np.uint8).copy()
    for first, end, colour in GROUPS.values():
        for x, y in np.asarray(points, np.float64)[first:end, :2]:
            if np.isfinite(x) and np.isfinite(y):
                cv2.circle(out, (round(x), round(y)), radius, colour, -1, cv2.LINE_AA)
    return out


def _fit_text(text: str, width: int, scale: float) -> str:
    """``text``, cut from the left with a leading '~' until it fits ``width`` pixels."""
    cut = text
    while cut and cv2.getTextSize(cut, _FONT, scale, 1)[0][0] > width - 4:
        text = text[1:]
        cut = "~" + text
    return cut


def _caption(name: str, yaw: float, width: int) -> np.ndarray:
    strip = np.zeros((CAPTION_HEIGHT, width, 3), np.uint8)
    scale = 0.35 if width < 200 else 0.42
    lines = (_fit_text(name, width, scale), f"yaw {yaw:+.1f} deg")
    for row, text in enumerate(lines):
        cv2.putText(strip, text, (2, 12 + 14 * row), _FONT, scale, (235, 235, 235), 1, cv2.LINE_AA)
    return strip


def _selected(shards_path: Path, count: int, prefix: str, every: int):
    """The first ``count`` of every ``every``-th sample named ``prefix*``; only the chosen
    ones are decoded (a name is parsed without its images)."""
    from lprnet.data.shards import feature_spec, parse_example, shard_files
    from lprnet.tfenv import tf

    spec = {"name": feature_spec()["name"]}
    files = [str(f) for f in shard_files(shards_path)]
    records = (r for f in files for r in tf.data.TFRecordDataset(f, buffer_size=1 << 20))
    named = (
        r
        for r in records
        if tf.io.parse_single_example(r, spec)["name"].numpy().decode().startswith(prefix)
    )
    for r in itertools.islice(named, 0, count * every, every):
        yield {k: v.numpy() for k, v in parse_example(r).items()}


def _examples(
    shards_path: Path, count: int, augment: bool, seed: int, config, prefix: str = "", every=1
):
    if not augment:
        for ex in _selected(shards_path, count, prefix, every):
            yield ex["image"], ex["posmap"], ex
        return
    from lprnet.data.augment import augment as augment_example
    from lprnet.tfenv import tf

    for i, ex in enumerate(_selected(shards_path, count, prefix, every)):
        example_seed = tf.constant([seed, i], tf.int64)
        image, posmap = augment_example(ex["image"], ex["posmap"], example_seed, config)
        image = np.round(image.numpy() * 255.0).astype(np.uint8)
        yield image, posmap.numpy(), ex


def contact_sheet(
    shards: str | os.PathLike,
    out: str | os.PathLike,
    count: int = 16,
    columns: int = 4,
    augment: bool = False,
    seed: int = 0,
    data_dir: str | os.PathLike | None = None,
    config=None,
    prefix: str = "",
    every: int = 1,
) -> Path:
    """Write a PNG grid of the first ``count`` samples of a shard folder, landmarks drawn.

    Parameters
    ----------
    shards : path
        Shard folder (``lprnet data build`` output) or one ``.tfrecord`` file.
    out : path
        The PNG to write (atomically; parent folders are created).
    count : int
        Samples to show (fewer if the shards hold fewer).
    columns : int
        Tiles per row (fewer if there are fewer samples).
    augment : bool
        Show the samples after PRNet's augmentation (:mod:`lprnet.data.augment`); sample ``i``
        uses the stateless seed ``(seed, i)``.
    seed : int
        Augmentation seed.
    data_dir : path, optional
        Face-model data directory (default ``$LPRNET_DATA``), for the UV keypoint pixels.
    config : AugmentConfig, optional
        Augmentation ranges (default: PRNet's).
    prefix : str
        Only samples whose name starts with it (e.g. ``helen/`` of a 300W profile).
    every : int
        Take every ``every``-th of those (spread over more faces than the first few).

    Returns
    -------
    Path
        ``out``. The sheet is ``min(columns, k) * n`` pixels wide and
        ``ceil(k / columns) * (n + CAPTION_HEIGHT)`` high for ``k`` samples of crop size ``n``.
    """
    from lprnet.geometry.bfm import load_face_model
    from lprnet.geometry.posmap import landmarks
    from lprnet.geometry.uv import uv_layout

    if count < 1 or columns < 1 or every < 1:
        raise LprnetError(
            f"count, columns and every must be >= 1, got {count}, {columns} and {every}"
        )
    model = load_face_model(None if data_dir is None else str(data_dir))
    tiles = []
    for image, posmap, ex in _examples(Path(shards), count, augment, seed, config, prefix, every):
        n = image.shape[0]
        if tiles and n != tiles[0].shape[1]:
            raise DataFormatError(
                f"{shards}: samples of different sizes ({n} and {tiles[0].shape[1]})"
            )
        points = landmarks(posmap, uv_layout(model, n))
        tile = draw_landmarks(image, points, radius=max(1, n // 128))
        name = Path(ex["name"].decode(errors="replace")).name
        tiles.append(np.concatenate([tile, _caption(name, float(ex["pose"][1]), n)], 0))
    if not tiles:
        what = f" named {prefix}*" if prefix else ""
        raise DataFormatError(f"{shards}: no samples{what} to preview")
    cols = min(columns, len(tiles))
    rows = -(-len(tiles) // cols)
    th, tw = tiles[0].shape[:2]
    sheet = np.zeros((rows * th, cols * tw, 3), np.uint8)
    for k, tile in enumerate(tiles):
        r, c = divmod(k, cols)
        sheet[r * th : (r + 1) * th, c * tw : (c + 1) * tw] = tile
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(sheet[..., ::-1]))
    if not ok:
        raise LprnetError("PNG encoding of the contact sheet failed")
    out = Path(out)
    with atomic_open(out, "wb") as f:
        f.write(buf.tobytes())
    return out


def shard_poses(folders: list[str | os.PathLike]) -> np.ndarray:
    """(M, 3) ``[pitch, yaw, roll]`` in degrees of every sample of shard folders (only the
    ``pose`` feature is parsed: no image is decoded)."""
    from lprnet.data.shards import feature_spec, shard_files
    from lprnet.tfenv import tf

    spec = {"pose": feature_spec()["pose"]}
    poses = []
    for folder in folders:
        files = [str(f) for f in shard_files(folder)]
        ds = tf.data.TFRecordDataset(files).batch(1024)
        for batch in ds:
            poses.append(tf.io.parse_example(batch, spec)["pose"].numpy())
    return np.concatenate(poses) if poses else np.zeros((0, 3))


def yaw_histogram(
    folders: list[str | os.PathLike], out: str | os.PathLike, title: str = "", step: float = 5.0
) -> dict[str, int]:
    """Plot the yaw and pitch histograms of shard folders to a PNG; returns the counts per yaw
    bin (3DDFA's |yaw| bins)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pose = shard_poses(folders)
    edges = np.arange(-90 - step / 2, 90 + step, step)
    fig, axes = plt.subplots(1, 2, figsize=(10, 2.8), dpi=110, gridspec_kw={"width_ratios": [3, 2]})
    for ax, k, name in ((axes[0], 1, "yaw"), (axes[1], 0, "pitch")):
        ax.hist(np.clip(pose[:, k], -90, 90), bins=edges, color="#4477aa")
        ax.set_xlabel(f"{name} (degrees)")
        ax.set_ylabel("views")
    axes[1].set_xlim(-60, 60)
    fig.suptitle(title or f"{len(pose):,} views", fontsize=10)
    fig.tight_layout()
    out = Path(out)
    with atomic_open(out, "wb") as f:
        fig.savefig(f, format="png")
    plt.close(fig)
    bins = np.digitize(np.abs(pose[:, 1]), [30.0, 60.0], right=True)
    return {k: int((bins == i).sum()) for i, k in enumerate(("<=30", "30-60", ">60"))}


__all__ = [
    "CAPTION_HEIGHT",
    "GROUPS",
    "contact_sheet",
    "draw_landmarks",
    "shard_poses",
    "yaw_histogram",
]
