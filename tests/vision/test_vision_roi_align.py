"""embervision.ops.roi_align: the C kernel (CPU float32/float64) and the ember-op GEMM form
(the CUDA path, run here on the CPU) against a NumPy reference that samples each bin's grid
bilinearly with torchvision's clamping rules; gradients by gradcheck and by each other."""

import ember
import numpy as np
import pytest

from embervision import ops
from embervision.ops.roi_align import _roi_align_ember


def ref_roi_align(x, rois, ph, pw, scale, sampling_ratio, aligned):
    """Loops over boxes, bins and samples, in float64."""
    n, c, h, w = x.shape
    out = np.zeros((len(rois), c, ph, pw))
    off = 0.5 if aligned else 0.0
    for k, (b, x1, y1, x2, y2) in enumerate(rois.astype(np.float64)):
        x1, y1, x2, y2 = x1 * scale - off, y1 * scale - off, x2 * scale - off, y2 * scale - off
        rw, rh = x2 - x1, y2 - y1
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        gh = sampling_ratio if sampling_ratio > 0 else int(np.ceil(rh / ph))
        gw = sampling_ratio if sampling_ratio > 0 else int(np.ceil(rw / pw))
        plane = x[int(b)].astype(np.float64)
        for i in range(ph):
            for j in range(pw):
                acc = np.zeros(c)
                for iy in range(gh):
                    for ix in range(gw):
                        y = y1 + i * rh / ph + (iy + 0.5) * rh / ph / gh
                        xx = x1 + j * rw / pw + (ix + 0.5) * rw / pw / gw
                        if y < -1 or y > h or xx < -1 or xx > w:
                            continue
                        y, xx = max(y, 0.0), max(xx, 0.0)
                        y0, x0 = min(int(y), h - 1), min(int(xx), w - 1)
                        y1_, x1_ = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
                        ly, lx = (y - y0 if y0 < h - 1 else 0.0), (xx - x0 if x0 < w - 1 else 0.0)
                        acc += ((1 - ly) * (1 - lx) * plane[:, y0, x0] + (1 - ly) * lx * plane[:, y0, x1_]
                                + ly * (1 - lx) * plane[:, y1_, x0] + ly * lx * plane[:, y1_, x1_])
                out[k, :, i, j] = acc / max(gh * gw, 1)
    return out


def random_case(seed, k=6, n=2, c=3, h=9, w=11):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w))
    corners = rng.uniform(-3, 14, (k, 4))
    boxes = np.concatenate([np.minimum(corners[:, :2], corners[:, 2:]),
                            np.maximum(corners[:, :2], corners[:, 2:])], 1)
    boxes[0, 2:] = boxes[0, :2]  # an empty box
    rois = np.concatenate([rng.integers(0, n, (k, 1)) + 0.5, boxes], 1)  # 1.5 -> image 1
    return x, rois


SETTINGS = [((2, 3), 1.0, -1, False), ((3, 3), 0.5, 2, True), ((1, 4), 0.75, 0, True),
            ((2, 2), 1.0, 1, False)]


@pytest.mark.parametrize("pooled,scale,sampling,aligned", SETTINGS)
def test_roi_align_matches_numpy(pooled, scale, sampling, aligned):
    x, rois = random_case(1)
    ref = ref_roi_align(x, rois, *pooled, scale, sampling, aligned)
    c_path = ops.roi_align(ember.tensor(x), ember.tensor(rois), pooled, scale, sampling, aligned)
    np.testing.assert_allclose(c_path.numpy(), ref, atol=1e-12)
    gemm = _roi_align_ember(ember.tensor(x), ember.tensor(rois), *pooled, scale, sampling, aligned)
    np.testing.assert_allclose(gemm.numpy(), ref, atol=1e-12)
    f32 = ops.roi_align(ember.tensor(x).float(), ember.tensor(rois).float(), pooled, scale,
                        sampling, aligned)
    assert f32.dtype == ember.float32
    np.testing.assert_allclose(f32.numpy(), ref, atol=1e-5)


@pytest.mark.parametrize("pooled,scale,sampling,aligned", SETTINGS)
def test_roi_align_gradient(pooled, scale, sampling, aligned):
    x, rois = random_case(2, k=4, c=2, h=6, w=7)
    r = ember.tensor(rois)
    xe = ember.tensor(x, requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda t: ops.roi_align(t, r, pooled, scale, sampling, aligned), (xe,))
    # the C scatter and the GEMM form's backward give one gradient
    g = ember.tensor(np.random.default_rng(3).standard_normal((4, 2) + pooled))
    (ops.roi_align(xe, r, pooled, scale, sampling, aligned) * g).sum().backward()
    xg = ember.tensor(x, requires_grad=True)
    (_roi_align_ember(xg, r, *pooled, scale, sampling, aligned) * g).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xg.grad.numpy(), atol=1e-12)


def test_roi_align_cpu_kernel_edges():
    x = ember.tensor(np.arange(2 * 3 * 5 * 5, dtype=np.float32).reshape(2, 3, 5, 5))
    rois = ember.tensor([[1.0, 0.0, 0.0, 4.0, 4.0]])
    # non-contiguous input: same as its contiguous copy
    wide = ember.cat([x, x], 3)[..., ::2]
    np.testing.assert_array_equal(ops.roi_align(wide, rois, 2).numpy(),
                                  ops.roi_align(wide.contiguous(), rois, 2).numpy())
    assert ops.roi_align(x, ember.zeros(0, 5), 3).shape == (0, 3, 3, 3)
    for bad in (2.0, -1.0):
        with pytest.raises(IndexError, match=r"batch indices must be in \[0, 1\]"):
            ops.roi_align(x, ember.tensor([[bad, 0.0, 0.0, 4.0, 4.0]]), 2)
    # the backward is differentiable once, as torchvision's
    xg = x.clone().requires_grad_()
    (gx,) = ember.autograd.grad(ops.roi_align(xg, rois, 2).sum(), xg, create_graph=True)
    with pytest.raises(RuntimeError, match="differentiate twice"):
        gx.sum().backward()
