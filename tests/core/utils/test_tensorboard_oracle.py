"""SummaryWriter's event files read back by TensorBoard's own EventAccumulator, and its
summaries compared byte for byte with torch.utils.tensorboard's."""

import numpy as np
import pytest

tensorboard = pytest.importorskip("tensorboard")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from ember.utils.tensorboard import SummaryWriter, summary  # noqa: E402


def _load(path):
    acc = EventAccumulator(str(path), size_guidance={"tensors": 0, "scalars": 0,
                                                      "histograms": 0, "images": 0})
    acc.Reload()
    return acc


def test_scalars_histograms_text_images(tmp_path):
    x = np.random.default_rng(0).normal(size=200)
    with SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalar("train/loss", 1.0 / (step + 1), step)
        w.add_scalar("zero", 0.0, 9)
        w.add_histogram("weights", ember.tensor(x.astype(np.float32)), 4)
        w.add_histogram("auto", x, 5, bins="auto")
        w.add_text("notes", "hello *tb*", 6)
        w.add_image("img", np.full((3, 5, 7), 0.5, np.float32), 7)
    acc = _load(tmp_path)
    loss = acc.Scalars("train/loss")
    assert [e.step for e in loss] == [0, 1, 2]
    np.testing.assert_allclose([e.value for e in loss], [1.0, 0.5, 1 / 3], rtol=1e-6)
    assert [(e.step, e.value) for e in acc.Scalars("zero")] == [(9, 0.0)]
    (h,) = acc.Histograms("weights")
    hv = h.histogram_value
    x32 = x.astype(np.float32).astype(np.float64)
    assert h.step == 4 and hv.num == 200 and sum(hv.bucket) == 200
    assert hv.min == x32.min() and hv.max == x32.max()
    np.testing.assert_allclose([hv.sum, hv.sum_squares], [x32.sum(), x32 @ x32])
    (a,) = acc.Histograms("auto")
    counts, edges = np.histogram(x, bins="auto")
    assert list(a.histogram_value.bucket) == [0.0] + counts.tolist()
    assert list(a.histogram_value.bucket_limit) == edges.tolist()
    (t,) = acc.Tensors("notes/text_summary")
    assert t.step == 6 and t.tensor_proto.string_val == [b"hello *tb*"]
    assert acc.SummaryMetadata("notes/text_summary").plugin_data.plugin_name == "text"
    (im,) = acc.Images("img")
    assert (im.step, im.width, im.height) == (7, 7, 5)


def test_image_decodes_with_pillow(tmp_path):
    image = pytest.importorskip("PIL.Image")
    import io
    rgb = np.random.default_rng(2).integers(0, 256, size=(4, 6, 3), dtype=np.uint8)
    with SummaryWriter(tmp_path) as w:
        w.add_image("rgb", rgb, 1, dataformats="HWC")
        w.add_image("gray", np.linspace(0, 1, 12).reshape(3, 4), 2, dataformats="HW")
    acc = _load(tmp_path)
    (im,) = acc.Images("rgb")
    assert (np.asarray(image.open(io.BytesIO(im.encoded_image_string))) == rgb).all()
    (g,) = acc.Images("gray")
    pixels = np.asarray(image.open(io.BytesIO(g.encoded_image_string)))
    expect = (np.linspace(0, 1, 12).reshape(3, 4).astype(np.float32) * 255).astype(np.uint8)
    assert (pixels == expect[:, :, None]).all()


def test_add_scalars_and_hparams(tmp_path):
    from tensorboard.plugins.hparams import plugin_data_pb2
    with SummaryWriter(tmp_path) as w:
        w.add_scalars("loss", {"train": 1.0, "val": 2.0}, 3)
        w.add_hparams({"lr": 0.01, "opt": "adam", "layers": 2}, {"hp/acc": 0.5},
                      hparam_domain_discrete={"opt": ["adam", "sgd"]}, run_name="hp")
    assert [(e.step, e.value) for e in _load(tmp_path / "loss_val").Scalars("loss")] == [(3, 2.0)]
    acc = _load(tmp_path / "hp")
    assert [e.value for e in acc.Scalars("hp/acc")] == [0.5]
    content = acc.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    ssi = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    assert ssi.hparams["lr"].number_value == 0.01 and ssi.hparams["opt"].string_value == "adam"
    assert ssi.hparams["layers"].number_value == 2
    content = acc.SummaryMetadata("_hparams_/experiment").plugin_data.content
    exp = plugin_data_pb2.HParamsPluginData.FromString(content).experiment
    assert [i.name for i in exp.hparam_infos] == ["lr", "opt", "layers"]
    assert [v.string_value for v in exp.hparam_infos[1].domain_discrete.values] == ["adam", "sgd"]
    assert [m.name.tag for m in exp.metric_infos] == ["hp/acc"]


def test_purge_step_hides_later_events(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(5):
            w.add_scalar("x", float(step), step)
    with SummaryWriter(tmp_path, purge_step=3) as w:
        w.add_scalar("x", 30.0, 3)
    steps = [(e.step, e.value) for e in _load(tmp_path).Scalars("x")]
    assert steps == [(0, 0.0), (1, 1.0), (2, 2.0), (3, 30.0)]


def test_summaries_match_torch_bytes():
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData
    torch = pytest.importorskip("torch")
    ts = pytest.importorskip("torch.utils.tensorboard.summary")
    x = np.random.default_rng(1).normal(size=50)
    pairs = [
        (summary.scalar("a", 0.25), ts.scalar("a", 0.25)),
        (summary.scalar("a", 0.0), ts.scalar("a", 0.0)),
        (summary.scalar("a", 2.5, new_style=True), ts.scalar("a", 2.5, new_style=True)),
        (summary.text("t", "hi"), ts.text("t", "hi")),
        (summary.histogram("h", x, summary.default_bins()),
         ts.histogram("h", torch.tensor(x), summary.default_bins())),
        (summary.histogram("h", x, 10, max_bins=3), ts.histogram("h", x, 10, max_bins=3)),
        (summary.histogram("h", x, 12, max_bins=4), ts.histogram("h", x, 12, max_bins=4)),
    ]
    for ours, theirs in pairs:
        assert ours == theirs.SerializeToString()
    # the hparams values are a protobuf map, which protobuf serializes in hash order:
    # compare the parsed messages
    ours = summary.hparams({"lr": 0.1, "o": "x", "n": 3}, {"m": 1.0})
    theirs = ts.hparams({"lr": 0.1, "o": "x", "n": 3}, {"m": 1.0})
    for o, t in zip(ours, theirs, strict=True):
        o = type(t).FromString(o)
        assert [v.tag for v in o.value] == [v.tag for v in t.value]
        o_data, t_data = o.value[0].metadata.plugin_data, t.value[0].metadata.plugin_data
        assert o_data.plugin_name == t_data.plugin_name == "hparams"
        assert (HParamsPluginData.FromString(o_data.content)
                == HParamsPluginData.FromString(t_data.content))


@pytest.mark.parametrize("n,channels", [(1, 1), (5, 3), (8, 1), (11, 3), (16, 3)])
def test_add_images_grid_matches_torch(n, channels, tmp_path):
    """A batch becomes one grid image (8 to a row, one channel made three), pixel for
    pixel as torch's writer draws it."""
    import io
    torch_summary = pytest.importorskip("torch.utils.tensorboard.summary")
    Image = pytest.importorskip("PIL.Image")
    from tensorboard.compat.proto.summary_pb2 import Summary
    batch = np.random.default_rng(n).uniform(size=(n, channels, 6, 7)).astype(np.float32)
    ours = Summary.FromString(summary.image("t", batch, dataformats="NCHW")).value[0].image
    theirs = torch_summary.image("t", batch, dataformats="NCHW").value[0].image
    assert (ours.height, ours.width, ours.colorspace) == (theirs.height, theirs.width,
                                                           theirs.colorspace)
    pixels = [np.asarray(Image.open(io.BytesIO(i.encoded_image_string))) for i in (ours, theirs)]
    np.testing.assert_array_equal(*pixels)
    with SummaryWriter(tmp_path) as w:
        w.add_images("batch", ember.tensor(batch), 3)
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    (event,) = acc.Images("batch")
    assert (event.step, event.height, event.width) == (3, ours.height, ours.width)
