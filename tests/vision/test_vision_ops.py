"""embervision.ops against NumPy reference implementations."""

import math

import ember
import numpy as np
import pytest

from embervision import ops


def np_iou(a, b):
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])  # noqa: E731
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area(a)[:, None] + area(b)[None] - inter)


def np_nms(boxes, scores, thr):
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        ious = np_iou(boxes[i:i + 1], boxes[order[1:]])[0]
        order = order[1:][ious <= thr]
    return keep


def random_boxes(n, seed):
    rng = np.random.default_rng(seed)
    xy = rng.random((n, 2)) * 50
    wh = rng.random((n, 2)) * 30 + 1
    return np.concatenate([xy, xy + wh], 1)


def test_box_area_iou_giou():
    a, b = random_boxes(6, 0), random_boxes(4, 1)
    ta, tb = ember.tensor(a), ember.tensor(b)
    np.testing.assert_allclose(ops.box_area(ta).numpy(), (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]))
    np.testing.assert_allclose(ops.box_iou(ta, tb).numpy(), np_iou(a, b), rtol=1e-12)
    giou = ops.generalized_box_iou(ta, tb).numpy()
    lt, rb = np.minimum(a[:, None, :2], b[None, :, :2]), np.maximum(a[:, None, 2:], b[None, :, 2:])
    hull = np.prod(rb - lt, -1)
    iou = np_iou(a, b)
    inter_union = (a[:, 2] - a[:, 0])[:, None] * (a[:, 3] - a[:, 1])[:, None]
    union = inter_union + ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))[None] - iou * 0
    union = union - np.where(iou > 0, iou * union / (1 + iou), 0)  # union = A + B - I, I = iou * union
    np.testing.assert_allclose(giou, iou - (hull - union) / hull, rtol=1e-10)
    assert ops.generalized_box_iou(ta, ta).diagonal().tolist() == [1.0] * 6
    ints = ember.tensor([[0, 0, 30000, 30000]], dtype=ember.int16)
    assert ops.box_area(ints).item() == 900_000_000  # upcast: no int16 overflow
    with pytest.raises(ValueError, match=r"shape \(N, 4\)"):
        ops.box_area(ember.zeros(3, 3))


def test_box_convert_roundtrip():
    b = ember.tensor(random_boxes(5, 2))
    for fmt in ("xywh", "cxcywh"):
        conv = ops.box_convert(b, "xyxy", fmt)
        assert ember.allclose(ops.box_convert(conv, fmt, "xyxy"), b)
    xywh = ops.box_convert(b, "xyxy", "xywh").numpy()
    np.testing.assert_allclose(xywh[:, 2:], b.numpy()[:, 2:] - b.numpy()[:, :2])
    cx = ops.box_convert(b, "xywh", "cxcywh").numpy()
    np.testing.assert_allclose(cx[:, :2], b.numpy()[:, :2] + b.numpy()[:, 2:] / 2)
    with pytest.raises(ValueError, match="Unsupported Bounding Box"):
        ops.box_convert(b, "xyxy", "yxyx")


def test_clip_and_remove_small():
    b = ember.tensor([[-5.0, 2.0, 30.0, 8.0], [1.0, 1.0, 1.5, 9.0], [0.0, 0.0, 4.0, 4.0]])
    clipped = ops.clip_boxes_to_image(b, (6, 20))
    assert clipped.tolist()[0] == [0.0, 2.0, 20.0, 6.0]
    assert ops.remove_small_boxes(b, 1.0).tolist() == [0, 2]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("thr", [0.0, 0.3, 0.7])
def test_nms_matches_reference(seed, thr):
    boxes = random_boxes(40, seed)
    scores = np.random.default_rng(seed + 10).random(40)
    keep = ops.nms(ember.tensor(boxes), ember.tensor(scores), thr)
    assert keep.dtype == ember.int64
    assert keep.tolist() == np_nms(boxes, scores, thr)


def test_batched_nms_per_class():
    boxes = random_boxes(30, 5)
    scores = np.random.default_rng(6).random(30)
    idxs = np.random.default_rng(7).integers(0, 3, 30)
    keep = ops.batched_nms(ember.tensor(boxes), ember.tensor(scores), ember.tensor(idxs), 0.4)
    expected = []
    for c in range(3):
        sel = np.nonzero(idxs == c)[0]
        expected += [sel[k] for k in np_nms(boxes[sel], scores[sel], 0.4)]
    expected = sorted(expected, key=lambda i: -scores[i])
    assert keep.tolist() == expected
    assert ops.nms(ember.zeros(0, 4), ember.zeros(0), 0.5).tolist() == []


def test_sigmoid_focal_loss():
    x = ember.tensor([[-2.0, 0.5], [3.0, 0.0]], requires_grad=True)
    t = ember.tensor([[0.0, 1.0], [1.0, 0.0]])
    loss = ops.sigmoid_focal_loss(x, t, alpha=0.25, gamma=2.0)
    xs, ts = x.detach().numpy().astype(np.float64), t.numpy()
    p = 1 / (1 + np.exp(-xs))
    ce = -(ts * np.log(p) + (1 - ts) * np.log(1 - p))
    pt = p * ts + (1 - p) * (1 - ts)
    ref = (0.25 * ts + 0.75 * (1 - ts)) * ce * (1 - pt) ** 2
    np.testing.assert_allclose(loss.detach().numpy(), ref, rtol=1e-5)
    assert math.isclose(ops.sigmoid_focal_loss(x, t, reduction="sum").item(), ref.sum(), rel_tol=1e-5)
    ops.sigmoid_focal_loss(x, t, reduction="mean").backward()
    assert x.grad is not None and tuple(x.grad.shape) == (2, 2)
    with pytest.raises(ValueError, match="Invalid Value for arg 'reduction'"):
        ops.sigmoid_focal_loss(x, t, reduction="avg")


def test_stochastic_depth():
    x = ember.ones(200, 3)
    ember.manual_seed(0)
    out = ops.stochastic_depth(x, 0.25, "row")
    rows = out[:, 0].tolist()
    assert set(rows) <= {0.0, np.float32(1 / 0.75).item()}
    assert all(len(set(r)) == 1 for r in out.tolist())
    assert 100 < sum(r > 0 for r in rows) < 190
    batch = ops.stochastic_depth(x, 0.5, "batch")
    assert len(set(batch.reshape(-1).tolist())) == 1
    assert ops.stochastic_depth(x, 0.5, "row", training=False) is x
    with pytest.raises(ValueError, match="drop probability"):
        ops.stochastic_depth(x, 1.5, "row")
