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


# ---- RoI ops and FPN ----------------------------------------------------------------------

def test_roi_align_known_values_and_box_formats():
    x = ember.arange(16.).reshape(1, 1, 4, 4)
    # aligned: one bin over pixels (0, 0)..(1, 1) averages 0, 1, 4, 5.
    assert ops.roi_align(x, ember.tensor([[0., 0., 0., 2., 2.]]), 1, aligned=True).item() == 2.5
    # not aligned, 2x2 bins of a 2x2 box, one sample each at pixel (x+0.5, y+0.5).
    out = ops.roi_align(x, ember.tensor([[0., 0., 0., 2., 2.]]), 2, sampling_ratio=1)
    np.testing.assert_allclose(out.numpy()[0, 0], [[2.5, 3.5], [6.5, 7.5]])
    feats = ember.tensor(np.random.default_rng(0).standard_normal((2, 3, 6, 7)).astype(np.float32))
    boxes = [ember.tensor([[0.5, 1., 4., 5.]]), ember.tensor([[1., 0., 6., 3.], [2., 2., 3., 3.]])]
    as_list = ops.roi_align(feats, boxes, (2, 3), 0.5, -1)
    rois = ember.tensor([[0, 0.5, 1., 4., 5.], [1, 1., 0., 6., 3.], [1, 2., 2., 3., 3.]])
    np.testing.assert_array_equal(as_list.numpy(), ops.RoIAlign((2, 3), 0.5, -1)(feats, rois).numpy())
    with pytest.raises(AssertionError, match="Tensor\\[K, 5\\]"):
        ops.roi_align(feats, ember.zeros(2, 4), 2)


def test_roi_align_gradient_mass():
    x = ember.zeros(1, 2, 8, 8, requires_grad=True)
    # Every sample of this box lies inside the map: each bin's weights sum to one.
    ops.roi_align(x, ember.tensor([[0., 1., 1., 6., 5.]]), (3, 2), sampling_ratio=2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy().sum(axis=(2, 3)), [[6.0, 6.0]], rtol=1e-5)


def test_roi_pool_known_values_and_grad():
    x = ember.arange(16.).reshape(1, 1, 4, 4).requires_grad_()
    out = ops.roi_pool(x, ember.tensor([[0., 0., 0., 3., 3.]]), 2)
    np.testing.assert_array_equal(out.detach().numpy()[0, 0], [[5., 7.], [13., 15.]])
    out.sum().backward()
    grad = np.zeros((4, 4))
    grad[[1, 1, 3, 3], [1, 3, 1, 3]] = 1
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], grad)
    # A box outside the map gives empty bins, which are zero.
    far = ops.RoIPool(2, 1.0)(x, [ember.tensor([[10., 10., 12., 12.]])])
    np.testing.assert_array_equal(far.detach().numpy(), np.zeros((1, 1, 2, 2)))


def test_fpn_shapes_and_state_dict_keys():
    from collections import OrderedDict
    ember.manual_seed(0)
    fpn = ops.FeaturePyramidNetwork([2, 4], 3, extra_blocks=ops.LastLevelP6P7(4, 3))
    keys = sorted(fpn.state_dict())
    assert keys == sorted(["inner_blocks.0.0.weight", "inner_blocks.0.0.bias",
                           "inner_blocks.1.0.weight", "inner_blocks.1.0.bias",
                           "layer_blocks.0.0.weight", "layer_blocks.0.0.bias",
                           "layer_blocks.1.0.weight", "layer_blocks.1.0.bias",
                           "extra_blocks.p6.weight", "extra_blocks.p6.bias",
                           "extra_blocks.p7.weight", "extra_blocks.p7.bias"])
    assert float(fpn.inner_blocks[0][0].bias.abs().sum()) == 0.0
    out = fpn(OrderedDict(c3=ember.rand(1, 2, 8, 8), c4=ember.rand(1, 4, 4, 4)))
    assert [(k, tuple(v.shape)) for k, v in out.items()] == [
        ("c3", (1, 3, 8, 8)), ("c4", (1, 3, 4, 4)), ("p6", (1, 3, 2, 2)), ("p7", (1, 3, 1, 1))]
    # The pool level is the last output subsampled by 2.
    pool = ops.FeaturePyramidNetwork([2], 2, extra_blocks=ops.LastLevelMaxPool())
    res = pool(OrderedDict(a=ember.rand(1, 2, 5, 5)))
    assert list(res) == ["a", "pool"] and tuple(res["pool"].shape) == (1, 2, 3, 3)
    np.testing.assert_array_equal(res["pool"].detach().numpy(), res["a"].detach().numpy()[..., ::2, ::2])
    with pytest.raises(TypeError, match="ExtraFPNBlock"):
        ops.FeaturePyramidNetwork([2], 2, extra_blocks=ember.nn.ReLU())
