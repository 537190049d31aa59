"""embervision.ops.nms / batched_nms (C kernel on the CPU) against a NumPy reference that
does torchvision's arithmetic: areas, intersection and IoU in the box dtype, the threshold
test `iou > threshold` in double, boxes visited by decreasing score (ties: lower index)."""

import ember
import numpy as np
import pytest

from embervision import _native, ops
from embervision._C import ffi, lib


def ref_nms(boxes, scores, thr, labels=None):
    """Greedy NMS; with labels, only boxes of one label suppress each other."""
    n = len(boxes)
    labels = np.zeros(n, np.int64) if labels is None else labels
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = boxes.T
    area = (x2 - x1) * (y2 - y1)
    dead = np.zeros(n, bool)
    keep = []
    for a, i in enumerate(order):
        if dead[i]:
            continue
        keep.append(int(i))
        rest = order[a + 1:]
        w = np.maximum(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0)
        h = np.maximum(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0)
        inter = w * h
        with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 for two empty boxes
            iou = inter / (area[i] + area[rest] - inter)
        assert iou.dtype == boxes.dtype
        dead[rest] |= (iou.astype(np.float64) > thr) & (labels[rest] == labels[i])
    return keep


def grid_boxes(rng, n, dtype, span=12, size=6):
    """Integer corners: many duplicates, zero-area boxes and IoUs exactly at thresholds."""
    xy = rng.integers(0, span, (n, 2))
    wh = rng.integers(0, size, (n, 2))
    return np.concatenate([xy, xy + wh], 1).astype(dtype)


def real_boxes(rng, n, dtype):
    xy = rng.uniform(0, 60, (n, 2))
    wh = rng.uniform(0, 25, (n, 2))
    boxes = np.concatenate([xy, xy + wh], 1).astype(dtype)
    boxes[rng.integers(0, n, n // 5)] = boxes[rng.integers(0, n, n // 5)]  # duplicates
    boxes[: n // 10, 2] = boxes[: n // 10, 0]  # zero width
    return boxes


def tied_scores(rng, n, dtype):
    return (rng.integers(0, 6, n) / 5).astype(dtype)  # six values: many ties


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("thr", [0.0, 1 / 3, 0.5, 0.7, 1.0])
@pytest.mark.parametrize("kind", ["grid", "real"])
def test_nms_matches_numpy(dtype, thr, kind):
    rng = np.random.default_rng(int(thr * 10) + (kind == "grid"))
    for n in (1, 2, 7, 150):
        boxes = (grid_boxes if kind == "grid" else real_boxes)(rng, n, dtype)
        for scores in (rng.random(n).astype(dtype), tied_scores(rng, n, dtype)):
            keep = ops.nms(ember.tensor(boxes), ember.tensor(scores), thr)
            assert keep.dtype == ember.int64 and keep.device.type == "cpu"
            assert keep.tolist() == ref_nms(boxes, scores, thr)


def test_nms_threshold_compared_in_double():
    # IoU 1/3 rounds to 0.33333334 in float32, above the double 1/3: suppressed, as in
    # torchvision; compared in float32 it would not be.
    boxes = ember.tensor([[0.0, 0.0, 2.0, 1.0], [1.0, 0.0, 3.0, 1.0]])
    scores = ember.tensor([0.9, 0.8])
    assert ops.nms(boxes, scores, 1 / 3).tolist() == [0]
    assert ops.nms(boxes, scores, float(np.float32(1 / 3))).tolist() == [0, 1]
    # in float64 the IoU is exactly the threshold: the strict > keeps the box
    assert ops.nms(boxes.double(), scores.double(), 1 / 3).tolist() == [0, 1]
    assert ops.nms(boxes, scores, float("nan")).tolist() == [0, 1]


def test_nms_special_cases():
    box = [[1.0, 1.0, 5.0, 5.0]]
    # identical boxes: IoU 1, dropped unless the threshold is 1 (strict >)
    three = ember.tensor(box * 3)
    assert ops.nms(three, ember.tensor([0.5, 0.5, 0.5]), 0.99).tolist() == [0]
    assert ops.nms(three, ember.tensor([0.1, 0.5, 0.5]), 1.0).tolist() == [1, 2, 0]
    # disjoint boxes have IoU 0: kept at threshold 0; empty boxes (0/0) are never dropped
    apart = ember.tensor([[0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0], [4.0, 4.0, 4.0, 9.0],
                          [4.0, 4.0, 4.0, 9.0]])
    assert ops.nms(apart, ember.tensor([0.1, 0.2, 0.3, 0.4]), 0.0).tolist() == [3, 2, 1, 0]
    empty = ops.nms(ember.zeros(0, 4), ember.zeros(0), 0.5)
    assert empty.tolist() == [] and empty.dtype == ember.int64
    # non-contiguous inputs and inputs that require grad
    wide = ember.tensor(real_boxes(np.random.default_rng(0), 30, np.float32))
    cols = ember.cat([wide, wide], 1)[:, :4]
    scores = ember.rand(30, requires_grad=True)
    expected = ref_nms(wide.numpy(), scores.detach().numpy(), 0.3)
    assert ops.nms(cols, scores, 0.3).tolist() == expected
    assert ops.nms(wide.t().contiguous().t(), scores, 0.3).tolist() == expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [40, 700, 1300])  # up to 1000 boxes: shifted boxes; more: C groups
def test_batched_nms_matches_numpy(dtype, n):
    rng = np.random.default_rng(n)
    # integer corners: the per-category shift is exact, so both strategies agree with the
    # per-category reference bit for bit
    boxes = grid_boxes(rng, n, dtype, span=40, size=12)
    for thr in (0.0, 0.5, 1.0):
        for scores in (rng.random(n).astype(dtype), tied_scores(rng, n, dtype)):
            labels = rng.integers(0, 5, n)
            keep = ops.batched_nms(ember.tensor(boxes), ember.tensor(scores),
                                   ember.tensor(labels), thr)
            assert keep.tolist() == ref_nms(boxes, scores, thr, labels)


def test_batched_nms_category_dtypes():
    rng = np.random.default_rng(5)
    boxes, scores = grid_boxes(rng, 1100, np.float32), rng.random(1100).astype(np.float32)
    labels = rng.integers(-3, 3, 1100)
    expected = ref_nms(boxes, scores, 0.5, labels)
    for idxs in (ember.tensor(labels), ember.tensor(labels).int(),
                 ember.tensor(labels).float() / 4):  # fractional categories stay distinct
        got = ops.batched_nms(ember.tensor(boxes), ember.tensor(scores), idxs, 0.5)
        assert got.tolist() == expected
    assert ops.batched_nms(ember.zeros(0, 4), ember.zeros(0), ember.zeros(0, dtype=ember.int64),
                           0.5).tolist() == []


def test_nms_errors():
    b, s = ember.tensor([[0.0, 0.0, 1.0, 1.0]] * 2), ember.tensor([0.5, 0.4])
    cases = [((b[None], s, 0.5), RuntimeError, "boxes should be a 2d tensor, got 3D"),
             ((ember.zeros(2, 5), s, 0.5), RuntimeError, "4 elements in dimension 1, got 5"),
             ((b, s[None], 0.5), RuntimeError, "scores should be a 1d tensor, got 2D"),
             ((b, s[:1], 0.5), RuntimeError, "same number of elements in dimension 0, got 2 and 1"),
             ((b.double(), s, 0.5), RuntimeError, "same type as scores"),
             ((b.half(), s.half(), 0.5), RuntimeError, "not implemented for ember.float16"),
             ((b.int(), s.int(), 0.5), RuntimeError, "not implemented for ember.int32"),
             ((b, s, "0.5"), RuntimeError, "Expected a value of type 'float'"),
             ((b, s, None), RuntimeError, "Expected a value of type 'float'"),
             (([[0, 0, 1, 1]], s, 0.5), TypeError, "should be Tensors")]
    for args, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            ops.nms(*args)
    assert ops.nms(b, s, 0).tolist() == [0]  # an int threshold is a float threshold
    assert ops.nms(b, s, True).tolist() == [0, 1]  # and so is a bool (1.0), as in torch
    with pytest.raises(RuntimeError, match=r"idxs should have shape \(2,\)"):
        ops.batched_nms(b, s, ember.tensor([0]), 0.5)
    with pytest.raises(RuntimeError, match="boxes should be a 2d tensor"):
        ops.batched_nms(b[0], s, ember.tensor([0, 1]), 0.5)


# ---- the C kernel itself, below the ops ----------------------------------------------------

def test_kernel_order_and_labels():
    rng = np.random.default_rng(9)
    boxes = real_boxes(rng, 64, np.float64)
    scores = rng.random(64)
    labels = rng.integers(0, 3, 64)
    order = ember.tensor(np.argsort(-scores, kind="stable"))
    keep = _native.nms(ember.tensor(boxes), order, ember.tensor(labels), 0.4)
    assert keep.tolist() == ref_nms(boxes, scores, 0.4, labels)
    # the kernel visits boxes in the order it is given, whatever the scores
    reverse = ember.tensor(np.argsort(scores, kind="stable"))
    assert _native.nms(ember.tensor(boxes), reverse, None, 0.4).tolist() == \
        ref_nms(boxes, -scores, 0.4)


def test_kernel_checks_its_arguments():
    boxes = ember.tensor([[0.0, 0.0, 1.0, 1.0]] * 3)
    for bad in ([0, 1, 3], [0, 1, -1], [0, 1, 1]):  # out of range, negative, repeated
        with pytest.raises(IndexError, match="nms: index out of range"):
            _native.nms(boxes, ember.tensor(bad), None, 0.5)
    with pytest.raises(ValueError, match="do not match"):
        _native.nms(boxes, ember.tensor([0, 1]), None, 0.5)
    n_keep = ffi.new("int64_t *")
    keep = ffi.new("int64_t[3]")
    assert lib.ev_nms_f32(ffi.NULL, ffi.NULL, ffi.NULL, 3, 0.5, keep, n_keep) == lib.EV_ERR_ARG
    assert lib.ev_nms_f32(ffi.NULL, ffi.NULL, ffi.NULL, -1, 0.5, keep, n_keep) == lib.EV_ERR_ARG
    assert lib.ev_nms_f64(ffi.NULL, ffi.NULL, ffi.NULL, 0, 0.5, keep, n_keep) == lib.EV_OK
    assert n_keep[0] == 0
