"""The C conversions of the transform pipeline (csrc/convert.c): ToTensor from every Pillow
mode and from ndarrays of any layout, Normalize on any layout, and RandomResizedCrop's
parameter draw, against NumPy/Pillow reference values."""

import ember
import embervision.transforms as T
import embervision.transforms.functional as F
import numpy as np
import pytest
from embervision import _native
from PIL import Image


def scaled(arr, np_dtype=np.float32):
    """ToTensor's reference: the (H, W, C) uint8 array as C,H,W values / 255 in the type."""
    arr = arr[:, :, None] if arr.ndim == 2 else arr
    return arr.transpose(2, 0, 1).astype(np_dtype) / np_dtype(255)


def u8(h, w, c=None, seed=0):
    shape = (h, w) if c is None else (h, w, c)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


@pytest.fixture
def float64_default():
    old = ember.get_default_dtype()
    ember.set_default_dtype(ember.float64)
    yield
    ember.set_default_dtype(old)


# ---- ToTensor ----------------------------------------------------------------------------

@pytest.mark.parametrize("h,w", [(1, 1), (7, 5), (13, 9), (224, 224), (300, 301)])
@pytest.mark.parametrize("mode,bands", [("RGB", 3), ("RGBA", 4), ("L", 1), ("LA", 2),
                                        ("CMYK", 4), ("YCbCr", 3)])
def test_to_tensor_8bit_modes_exact(h, w, mode, bands):
    arr = u8(h, w, bands, seed=h * w)
    img = Image.frombytes(mode, (w, h), arr.tobytes())
    out = F.to_tensor(img)
    assert out.dtype == ember.float32 and tuple(out.shape) == (bands, h, w)
    assert out.is_contiguous()
    # exactly float32(x) / 255, as torch's division rounds (300x301x3 runs on the threads)
    np.testing.assert_array_equal(out.numpy(), scaled(np.asarray(img).reshape(h, w, bands)))


@pytest.mark.parametrize("mode", ["RGB", "YCbCr", "HSV", "RGBA", "CMYK", "RGBX", "RGBa", "L",
                                  "P", "LA", "LAB"])
def test_to_tensor_pillow_memory_matches_its_bytes(mode):
    img = Image.fromarray(u8(9, 14, 4, seed=5), "RGBA").convert(mode)
    bands = len(img.getbands())
    ref = scaled(np.frombuffer(img.tobytes(), np.uint8).reshape(9, 14, bands))
    direct = _native.pil_to_chw(img, ember.float32)
    # the modes whose bands lead each pixel are read in place; the others are copied out
    assert (direct is None) == (mode in ("LA", "LAB"))
    if direct is not None:
        np.testing.assert_array_equal(direct.numpy(), ref)
    np.testing.assert_array_equal(F.to_tensor(img).numpy(), ref)


def test_to_tensor_of_a_lazily_opened_file(tmp_path):
    arr = u8(17, 23, 3, seed=8)
    Image.fromarray(arr).save(tmp_path / "img.png")
    with Image.open(tmp_path / "img.png") as img:  # pixels not decoded yet
        np.testing.assert_array_equal(F.to_tensor(img).numpy(), scaled(arr))


def test_to_tensor_without_pillow_export(monkeypatch):
    arr = u8(20, 30, 3, seed=6)
    img = Image.fromarray(arr)
    monkeypatch.delattr(Image.Image, "__arrow_c_array__", raising=False)  # Pillow < 11.2
    assert _native.pil_to_chw(img, ember.float32) is None
    np.testing.assert_array_equal(F.to_tensor(img).numpy(), scaled(arr))


def test_to_tensor_image_in_several_blocks():
    size = Image.core.get_block_size()
    Image.core.set_block_size(4096)  # rows of a 40 kB image then lie in separate blocks
    try:
        arr = u8(100, 100, 3, seed=7)
        img = Image.fromarray(arr).convert("RGB")
        assert _native.pil_to_chw(img, ember.float32) is None
        np.testing.assert_array_equal(F.to_tensor(img).numpy(), scaled(arr))
    finally:
        Image.core.set_block_size(size)


def test_to_tensor_palette_and_binary():
    idx = u8(5, 7)
    p = Image.fromarray(idx, "L").convert("P")
    p.putdata(list(idx.ravel()))  # the indices themselves, as torchvision reads them
    np.testing.assert_array_equal(F.to_tensor(p).numpy(), scaled(np.asarray(p)))
    bits = u8(9, 11) > 100
    out = F.to_tensor(Image.fromarray(bits))
    assert out.dtype == ember.float32
    np.testing.assert_array_equal(out.numpy()[0], bits.astype(np.float32))


def test_to_tensor_wide_modes_keep_their_type():
    i16 = np.array([[0, 1, 300], [32767, 5, 65535]], dtype=np.uint16)
    out = F.to_tensor(Image.frombytes("I;16", (3, 2), i16.astype("<u2").tobytes()))
    # torchvision reads "I;16" as int16, so 65535 wraps to -1
    assert out.dtype == ember.int16
    np.testing.assert_array_equal(out.numpy()[0], i16.astype(np.int16))
    i32 = np.arange(-3, 9, dtype=np.int32).reshape(3, 4) * 100000
    out = F.to_tensor(Image.frombytes("I", (4, 3), i32.tobytes()))
    assert out.dtype == ember.int32
    np.testing.assert_array_equal(out.numpy()[0], i32)
    f = (np.arange(15, dtype=np.float32).reshape(5, 3) - 7) / 3
    out = F.to_tensor(Image.fromarray(f))
    assert out.dtype == ember.float32
    np.testing.assert_array_equal(out.numpy()[0], f)


def test_to_tensor_float64_default(float64_default):
    arr = u8(6, 5, 3)
    out = F.to_tensor(Image.fromarray(arr))
    assert out.dtype == ember.float64
    np.testing.assert_array_equal(out.numpy(), scaled(arr, np.float64))
    out = F.to_tensor(arr[:, ::-1])
    np.testing.assert_array_equal(out.numpy(), scaled(arr[:, ::-1], np.float64))


@pytest.mark.parametrize("view", [
    lambda a: a,
    lambda a: a[1:-1, 2:-3],            # a crop: rows not adjacent
    lambda a: a[::-1, ::2],             # negative and doubled strides
    lambda a: a.transpose(1, 0, 2),     # columns major
    lambda a: a[:, :, ::-1],            # BGR
    lambda a: a[:, :, 1],               # 2-D
    lambda a: np.asfortranarray(a),
    lambda a: np.dstack([a, a[..., :1]])[..., :3],  # RGB in 4-byte pixels, as Pillow keeps it
])
def test_to_tensor_ndarray_layouts(view):
    arr = view(u8(11, 13, 3, seed=3))
    out = T.ToTensor()(arr)
    np.testing.assert_array_equal(out.numpy(), scaled(arr))


def test_to_tensor_ndarray_many_channels_and_other_types():
    arr = u8(4, 6, 5)
    np.testing.assert_array_equal(F.to_tensor(arr).numpy(), scaled(arr))
    i16 = np.arange(24, dtype=np.int16).reshape(4, 3, 2)
    out = F.to_tensor(i16)
    assert out.dtype == ember.int16
    np.testing.assert_array_equal(out.numpy(), i16.transpose(2, 0, 1))
    f = np.linspace(-1, 1, 12, dtype=np.float64).reshape(3, 4)
    np.testing.assert_array_equal(F.to_tensor(f).numpy()[0], f)


def test_to_tensor_empty_image():
    out = F.to_tensor(Image.new("RGB", (0, 4)))
    assert tuple(out.shape) == (3, 4, 0) and out.dtype == ember.float32
    assert tuple(F.to_tensor(np.zeros((0, 3, 2), np.uint8)).shape) == (2, 0, 3)


def test_to_tensor_kernel_checks_its_buffer():
    with pytest.raises(ValueError, match="cannot hold"):
        _native.u8_hwc_to_chw(b"\x00" * 11, (2, 2, 3), (6, 3, 1), ember.float32)
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        F.to_tensor([[1, 2]])
    with pytest.raises(ValueError, match="2/3 dimensional"):
        F.to_tensor(np.zeros(3, np.uint8))


# ---- Normalize ---------------------------------------------------------------------------

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def normalized(x, mean, std):
    """(x - m) / s per channel, rounded in x's type after each step (torch's sub_, div_)."""
    m = np.asarray(mean, x.dtype).reshape(-1, 1, 1)
    s = np.asarray(std, x.dtype).reshape(-1, 1, 1)
    return (x - m) / s


def rand_image(shape, np_dtype=np.float32, seed=0):
    return np.random.default_rng(seed).random(shape).astype(np_dtype)


@pytest.mark.parametrize("shape", [(3, 1, 1), (3, 7, 5), (3, 224, 224), (2, 3, 9, 4),
                                   (3, 300, 301)])
@pytest.mark.parametrize("np_dtype", [np.float32, np.float64])
def test_normalize_exact(shape, np_dtype):
    x = rand_image(shape, np_dtype)
    out = F.normalize(ember.from_numpy(x.copy()), MEAN, STD)
    assert out.dtype == ember.from_numpy(x).dtype and tuple(out.shape) == shape
    np.testing.assert_array_equal(out.numpy(), normalized(x, MEAN, STD))


def test_normalize_broadcast_means_and_scalars():
    x = rand_image((3, 4, 6))
    e = ember.from_numpy(x.copy())
    np.testing.assert_array_equal(F.normalize(e, [0.5], [0.25]).numpy(),
                                  normalized(x, [0.5], [0.25]))
    np.testing.assert_array_equal(F.normalize(e, 0.5, (2.0,)).numpy(),
                                  normalized(x, [0.5], [2.0]))
    np.testing.assert_array_equal(F.normalize(e, (np.float32(0.1), 1, 2), MEAN).numpy(),
                                  normalized(x, [0.1, 1, 2], MEAN))
    # a tensor mean takes the general path and agrees
    np.testing.assert_allclose(F.normalize(e, ember.tensor(MEAN), ember.tensor(STD)).numpy(),
                               normalized(x, MEAN, STD), rtol=1e-6)


@pytest.mark.parametrize("view", [
    lambda t: t[:, 1:-1, 2:],             # a crop
    lambda t: t.permute(0, 2, 1),         # transposed planes
    lambda t: t.flip(-1)[:, ::2],         # copy then stepped rows
])
def test_normalize_non_contiguous(view):
    base = ember.from_numpy(rand_image((3, 10, 12), seed=4))
    x = view(base)
    ref = normalized(np.ascontiguousarray(x.numpy()), MEAN, STD)
    out = F.normalize(x, MEAN, STD)
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(x.numpy(), view(base).numpy())  # input untouched
    assert F.normalize(x, MEAN, STD, inplace=True) is x
    np.testing.assert_array_equal(x.numpy(), ref)


def test_normalize_inplace_and_errors():
    x = rand_image((3, 5, 4))
    e = ember.from_numpy(x.copy())
    version = e._version
    assert F.normalize(e, MEAN, STD, inplace=True) is e
    np.testing.assert_array_equal(e.numpy(), normalized(x, MEAN, STD))
    assert e._version > version  # autograd sees the write
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to"):
        F.normalize(e, MEAN, [0.1, 0.0, 0.2])
    with pytest.raises(ValueError, match="std evaluated to zero"):
        F.normalize(e, MEAN, [1e-50])  # zero only once rounded to float32
    with pytest.raises(RuntimeError):
        F.normalize(e, [0.1, 0.2], [1.0, 1.0])  # two means for three channels
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        F.normalize(ember.zeros(3, 2, 2, dtype=ember.uint8), MEAN, STD)
    with pytest.raises(ValueError, match="Expected tensor to be a tensor image"):
        F.normalize(ember.zeros(2, 2), MEAN, STD)


def test_normalize_keeps_autograd():
    x = ember.from_numpy(rand_image((3, 2, 3))).requires_grad_()
    out = F.normalize(x, MEAN, STD)
    assert out.requires_grad
    out.sum().backward()
    expected = np.broadcast_to((1 / np.asarray(STD, np.float32)).reshape(3, 1, 1), (3, 2, 3))
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)
    with ember.no_grad():
        assert not F.normalize(x, MEAN, STD).requires_grad


def test_normalize_kernel_rejects_bad_lengths():
    x = ember.zeros(3, 2, 2)
    with pytest.raises(ValueError, match="invalid argument"):
        _native.normalize(x, np.zeros(2, np.float32), np.ones(3, np.float32), ember.empty(3, 2, 2))


# ---- RandomResizedCrop's draw ------------------------------------------------------------

def test_random_resized_crop_params_cover_every_position():
    img = Image.new("RGB", (6, 5))
    ember.manual_seed(0)
    seen = set()
    for _ in range(3000):
        i, j, h, w = T.RandomResizedCrop.get_params(img, (0.3, 0.3), (1.0, 1.0))
        assert (h, w) == (3, 3)
        seen.add((i, j))
    assert seen == {(a, b) for a in range(3) for b in range(4)}


def test_random_resized_crop_params_reproducible_and_checked():
    t = ember.zeros(3, 40, 60)
    draws = []
    for _ in range(2):
        ember.manual_seed(5)
        draws.append([T.RandomResizedCrop.get_params(t, (0.08, 1.0), (0.75, 4 / 3))
                      for _ in range(5)])
    assert draws[0] == draws[1]
    for i, j, h, w in draws[0]:
        assert 0 <= i <= 40 - h and 0 <= j <= 60 - w
        assert 0.08 * 2400 * 0.9 <= h * w <= 2400 and 0.7 <= w / h <= 1.4
    with pytest.raises(RuntimeError, match=r"found from=1 > to=0.5"):
        T.RandomResizedCrop.get_params(t, (1.0, 0.5), (0.75, 4 / 3))
    with pytest.raises(RuntimeError, match="uniform_ expects to return a"):
        T.RandomResizedCrop.get_params(t, (0.5, 1.0), (4 / 3, 0.75))
