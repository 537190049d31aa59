"""embervision.io and embervision.utils against Pillow and NumPy."""

import io

import ember
import numpy as np
import pytest
from PIL import Image, ImageDraw

from embervision.io import (ImageReadMode, decode_image, decode_jpeg, decode_png, encode_jpeg,
                            encode_png, read_file, read_image, write_file, write_jpeg, write_png)
from embervision.utils import (draw_bounding_boxes, draw_keypoints, draw_segmentation_masks,
                               make_grid, save_image)


def rgb(h=6, w=7, seed=0):
    arr = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    return arr, ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def test_png_roundtrip_and_modes(tmp_path):
    arr, t = rgb()
    data = encode_png(t)
    assert data.dtype == ember.uint8 and data.ndim == 1
    assert bytes(data.numpy()[:8]) == b"\x89PNG\r\n\x1a\n"
    assert ember.equal(decode_png(data), t)
    write_png(t, tmp_path / "a.png", compression_level=9)
    assert ember.equal(read_image(tmp_path / "a.png"), t)
    gray = read_image(tmp_path / "a.png", ImageReadMode.GRAY)
    ref = np.asarray(Image.fromarray(arr).convert("L"))
    np.testing.assert_array_equal(gray.numpy()[0], ref)
    rgba = read_image(tmp_path / "a.png", ImageReadMode.RGB_ALPHA)
    assert tuple(rgba.shape) == (4, 6, 7) and int(rgba[3].min()) == 255
    assert tuple(decode_image(data, ImageReadMode.GRAY_ALPHA).shape) == (2, 6, 7)
    with pytest.raises(ValueError, match="Compression level"):
        encode_png(t, 10)


def test_jpeg_and_files(tmp_path):
    arr, t = rgb(16, 16)
    data = encode_jpeg(t, quality=95)
    ref = io.BytesIO()
    Image.fromarray(arr).save(ref, format="JPEG", quality=95)
    assert bytes(data.numpy()) == ref.getvalue()
    dec = decode_jpeg(data)
    np.testing.assert_array_equal(dec.numpy().transpose(1, 2, 0),
                                  np.asarray(Image.open(io.BytesIO(ref.getvalue()))))
    assert len(decode_jpeg([data, data])) == 2
    write_jpeg(t, tmp_path / "a.jpg")
    raw = read_file(tmp_path / "a.jpg")
    assert bytes(raw.numpy()) == (tmp_path / "a.jpg").read_bytes()
    write_file(tmp_path / "copy.jpg", raw)
    assert (tmp_path / "copy.jpg").read_bytes() == (tmp_path / "a.jpg").read_bytes()
    with pytest.raises(RuntimeError, match="Not a JPEG"):
        decode_jpeg(encode_png(t))
    with pytest.raises(RuntimeError, match="Failed to decode"):
        decode_image(ember.zeros(10, dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="dtype should be uint8"):
        encode_png(t.float())


def test_read_real_images(shared_vision):
    img = read_image(shared_vision / "images" / "china.jpg")
    assert tuple(img.shape) == (3, 427, 640) and img.dtype == ember.uint8
    ref = np.asarray(Image.open(shared_vision / "images" / "china.jpg"))
    np.testing.assert_array_equal(img.numpy().transpose(1, 2, 0), ref)
    digit = read_image(shared_vision / "images" / "FYH620_28-test-gray.jpg")
    assert tuple(digit.shape) == (1, 28, 28)
    gif = read_image(shared_vision / "imagefolder_hymenoptera_mini" / "train" / "ants" /
                     "imageNotFound.gif", ImageReadMode.RGB)
    assert tuple(gif.shape) == (3, 300, 300)


def test_make_grid_layout():
    batch = ember.arange(5 * 3 * 2 * 2, dtype=ember.float32).reshape(5, 3, 2, 2)
    grid = make_grid(batch, nrow=3, padding=1, pad_value=-1)
    assert tuple(grid.shape) == (3, 1 + 2 * 3, 1 + 3 * 3)
    g = grid.numpy()
    np.testing.assert_array_equal(g[:, 1:3, 1:3], batch[0].numpy())
    np.testing.assert_array_equal(g[:, 4:6, 4:6], batch[4].numpy())
    assert (g[:, 4:6, 7:9] == -1).all() and (g[:, 0] == -1).all()
    gray = make_grid(ember.rand(2, 1, 3, 3), padding=0)
    assert tuple(gray.shape) == (3, 3, 6)
    norm = make_grid(batch, normalize=True, padding=0)
    assert float(norm.min()) == 0.0 and float(norm.max()) == 1.0
    each = make_grid(batch, normalize=True, scale_each=True, padding=0, nrow=5)
    np.testing.assert_allclose(each.numpy()[:, :, 2:4].max(), 1.0)
    single = make_grid(batch[0])
    assert ember.equal(single, batch[0])
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(batch, normalize=True, value_range=[0, 1])


def test_save_image(tmp_path):
    t = ember.tensor([[[0.0, 0.5], [1.0, 0.2]]]).expand(3, 2, 2)
    save_image(t, tmp_path / "x.png")
    out = np.asarray(Image.open(tmp_path / "x.png"))
    assert out[..., 0].tolist() == [[0, 128], [255, 51]]


def test_draw_bounding_boxes_matches_imagedraw():
    arr, t = rgb(20, 20)
    boxes = ember.tensor([[1, 2, 10, 12], [5, 5, 18, 19]], dtype=ember.float32)
    out = draw_bounding_boxes(t, boxes, colors=["red", (0, 255, 0)], width=2)
    ref = Image.fromarray(arr)
    d = ImageDraw.Draw(ref)
    d.rectangle([1, 2, 10, 12], outline=(255, 0, 0), width=2)
    d.rectangle([5, 5, 18, 19], outline=(0, 255, 0), width=2)
    np.testing.assert_array_equal(out.numpy().transpose(1, 2, 0), np.asarray(ref))
    filled = draw_bounding_boxes(t, boxes[:1], fill=True, labels=["a"])
    assert tuple(filled.shape) == (3, 20, 20) and not ember.equal(filled, t)
    gray = draw_bounding_boxes(t[:1], boxes)
    assert tuple(gray.shape) == (3, 20, 20)
    with pytest.raises(ValueError, match=r"\(xmin, ymin, xmax, ymax\)"):
        draw_bounding_boxes(t, ember.tensor([[5.0, 5.0, 1.0, 1.0]]))
    with pytest.raises(ValueError, match="dtype must be uint8"):
        draw_bounding_boxes(t.float(), boxes)


def test_draw_segmentation_masks():
    _, t = rgb(4, 4)
    mask = ember.zeros(4, 4, dtype=ember.bool)
    mask[1:3, 1:3] = True
    out = draw_segmentation_masks(t, mask, alpha=0.5, colors="blue")
    expected = t.numpy().astype(np.float32)
    region = expected[:, 1:3, 1:3]
    blend = region * 0.5 + np.array([0, 0, 255], np.float32).reshape(3, 1, 1) * 0.5
    expected[:, 1:3, 1:3] = blend
    np.testing.assert_array_equal(out.numpy(), expected.astype(np.uint8))
    with pytest.raises(ValueError, match="dtype bool"):
        draw_segmentation_masks(t, mask.to(ember.uint8))


def test_draw_keypoints():
    _, t = rgb(12, 12)
    kp = ember.tensor([[[2.0, 2.0], [9.0, 9.0]]])
    out = draw_keypoints(t, kp, connectivity=[(0, 1)], colors="red", radius=1, width=1)
    o = out.numpy()
    assert o[:, 1, 2].tolist() == [255, 0, 0]  # the dot (lines are drawn over dots)
    assert o[:, 5, 5].tolist() == [255, 255, 255]  # the line, in Pillow's default ink
    hidden = draw_keypoints(t, kp, colors="red", visibility=ember.tensor([[False, False]]))
    assert ember.equal(hidden, t)
