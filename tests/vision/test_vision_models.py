"""Models: torchvision's state_dict keys and shapes, parameter counts, weights API."""

import warnings

import ember
import pytest

from embervision import models
from embervision.models import (ResNet18_Weights, ResNet50_Weights, get_model, get_model_weights,
                                get_weight, list_models)

# torchvision's resnet18 state_dict, in order (keys and shapes).
RESNET18 = [("conv1.weight", (64, 3, 7, 7))] + [
    (f"bn1.{n}", s) for n, s in [("weight", (64,)), ("bias", (64,)), ("running_mean", (64,)),
                                 ("running_var", (64,)), ("num_batches_tracked", ())]]


def _bn(prefix, c):
    return [(f"{prefix}.weight", (c,)), (f"{prefix}.bias", (c,)), (f"{prefix}.running_mean", (c,)),
            (f"{prefix}.running_var", (c,)), (f"{prefix}.num_batches_tracked", ())]


for layer, (cin, cout) in enumerate([(64, 64), (64, 128), (128, 256), (256, 512)], start=1):
    for block in range(2):
        p = f"layer{layer}.{block}"
        first_in = cin if block == 0 else cout
        RESNET18 += [(f"{p}.conv1.weight", (cout, first_in, 3, 3))] + _bn(f"{p}.bn1", cout)
        RESNET18 += [(f"{p}.conv2.weight", (cout, cout, 3, 3))] + _bn(f"{p}.bn2", cout)
        if block == 0 and layer > 1:
            RESNET18 += [(f"{p}.downsample.0.weight", (cout, cin, 1, 1))]
            RESNET18 += _bn(f"{p}.downsample.1", cout)
RESNET18 += [("fc.weight", (1000, 512)), ("fc.bias", (1000,))]

# torchvision's squeezenet1_1 state_dict: (index in features, inplanes, squeeze, expand).
SQUEEZENET1_1 = [("features.0.weight", (64, 3, 3, 3)), ("features.0.bias", (64,))]
for idx, inp, sq, ex in [(3, 64, 16, 64), (4, 128, 16, 64), (6, 128, 32, 128), (7, 256, 32, 128),
                         (9, 256, 48, 192), (10, 384, 48, 192), (11, 384, 64, 256),
                         (12, 512, 64, 256)]:
    SQUEEZENET1_1 += [(f"features.{idx}.squeeze.weight", (sq, inp, 1, 1)),
                      (f"features.{idx}.squeeze.bias", (sq,)),
                      (f"features.{idx}.expand1x1.weight", (ex, sq, 1, 1)),
                      (f"features.{idx}.expand1x1.bias", (ex,)),
                      (f"features.{idx}.expand3x3.weight", (ex, sq, 3, 3)),
                      (f"features.{idx}.expand3x3.bias", (ex,))]
SQUEEZENET1_1 += [("classifier.1.weight", (1000, 512, 1, 1)), ("classifier.1.bias", (1000,))]

# Keys (with shapes) that only exist if the nesting matches torchvision exactly.
LANDMARKS = {
    "resnet50": {"layer1.0.downsample.0.weight": (256, 64, 1, 1),
                 "layer4.2.conv3.weight": (2048, 512, 1, 1), "fc.weight": (1000, 2048)},
    "resnext50_32x4d": {"layer1.0.conv2.weight": (128, 4, 3, 3)},
    "wide_resnet50_2": {"layer1.0.conv2.weight": (128, 128, 3, 3)},
    "resnet101": {"layer3.22.bn3.running_var": (1024,)},
    "resnet152": {"layer3.35.conv1.weight": (256, 1024, 1, 1)},
    "alexnet": {"features.10.weight": (256, 256, 3, 3), "classifier.1.weight": (4096, 9216),
                "classifier.6.bias": (1000,)},
    "vgg11": {"features.18.weight": (512, 512, 3, 3), "classifier.6.weight": (1000, 4096)},
    "vgg11_bn": {"features.26.running_mean": (512,), "classifier.0.weight": (4096, 25088)},
    "vgg16": {"features.28.weight": (512, 512, 3, 3), "classifier.3.weight": (4096, 4096)},
    "vgg16_bn": {"features.41.weight": (512,), "features.40.weight": (512, 512, 3, 3)},
    "squeezenet1_0": {"features.0.weight": (96, 3, 7, 7), "features.12.expand3x3.weight": (256, 64, 3, 3)},
    "mobilenet_v2": {"features.0.0.weight": (32, 3, 3, 3), "features.1.conv.0.0.weight": (32, 1, 3, 3),
                     "features.1.conv.1.weight": (16, 32, 1, 1), "features.2.conv.3.weight": (24,),
                     "features.18.0.weight": (1280, 320, 1, 1), "classifier.1.weight": (1000, 1280)},
    "mobilenet_v3_large": {"features.4.block.2.fc1.weight": (24, 72, 1, 1),
                           "features.16.0.weight": (960, 160, 1, 1),
                           "classifier.0.weight": (1280, 960), "classifier.3.weight": (1000, 1280)},
    "mobilenet_v3_small": {"features.1.block.1.fc2.bias": (16,),
                           "features.1.block.0.0.weight": (16, 1, 3, 3),
                           "features.12.0.weight": (576, 96, 1, 1), "classifier.0.weight": (1024, 576)},
}


def key_shapes(model):
    return [(k, tuple(v.shape)) for k, v in model.state_dict().items()]


def test_resnet18_state_dict_is_torchvisions():
    assert key_shapes(models.resnet18()) == RESNET18


def test_squeezenet1_1_state_dict_is_torchvisions():
    assert key_shapes(models.squeezenet1_1()) == SQUEEZENET1_1


@pytest.mark.parametrize("name", sorted(LANDMARKS))
def test_landmark_keys_and_param_counts(name):
    # Skipping VGG's normal_ init of 130M weights keeps the test fast (the keys are the same).
    model = get_model(name, init_weights=False) if name.startswith("vgg") else get_model(name)
    sd = dict(key_shapes(model))
    for key, shape in LANDMARKS[name].items():
        assert sd.get(key) == shape, key
    # torchvision publishes num_params for each checkpoint; the architecture must agree.
    weights = get_model_weights(name).DEFAULT
    assert sum(p.numel() for p in model.parameters()) == weights.meta["num_params"]


@pytest.mark.parametrize("name,size", [("resnet18", 32), ("mobilenet_v3_small", 32),
                                       ("squeezenet1_1", 48), ("mobilenet_v2", 32)])
def test_forward_shapes(name, size):
    model = get_model(name, num_classes=7).eval()
    with ember.no_grad():
        out = model(ember.rand(2, 3, size, size))
    assert tuple(out.shape) == (2, 7)
    assert bool(ember.isfinite(out).all())


def test_zero_init_residual_and_resnet_backward():
    model = models.resnet18(num_classes=3, zero_init_residual=True)
    assert float(model.layer1[0].bn2.weight.abs().sum()) == 0.0
    x = ember.rand(2, 3, 32, 32)
    model(x).sum().backward()
    assert model.conv1.weight.grad is not None


def test_weights_api():
    w = ResNet50_Weights.DEFAULT
    assert w is ResNet50_Weights.IMAGENET1K_V2 and repr(w) == "ResNet50_Weights.IMAGENET1K_V2"
    assert w.url == "https://download.pytorch.org/models/resnet50-11ad3fa6.pth"
    assert ResNet18_Weights.IMAGENET1K_V1.url.endswith("/resnet18-f37072fd.pth")
    cats = w.meta["categories"]
    assert len(cats) == 1000 and cats[0] == "tench" and cats[999] == "toilet tissue"
    assert w.meta["_metrics"]["ImageNet-1K"]["acc@1"] == 80.858
    t = w.transforms()
    assert t.resize_size == [232] and t.crop_size == [224]
    out = t(ember.full((3, 240, 300), 128, dtype=ember.uint8))
    assert tuple(out.shape) == (3, 224, 224)
    assert abs(float(out[0, 0, 0]) - (128 / 255 - 0.485) / 0.229) < 1e-5
    assert get_weight("ResNet50_Weights.IMAGENET1K_V1") is ResNet50_Weights.IMAGENET1K_V1
    assert get_model_weights("resnet50") is ResNet50_Weights
    assert get_model_weights(models.resnet50) is ResNet50_Weights
    assert ResNet18_Weights.verify("IMAGENET1K_V1") is ResNet18_Weights.IMAGENET1K_V1
    assert ResNet18_Weights.verify("ResNet18_Weights.DEFAULT") is ResNet18_Weights.IMAGENET1K_V1
    with pytest.raises(TypeError, match="expected ResNet18_Weights but received ResNet50_Weights"):
        ResNet18_Weights.verify(ResNet50_Weights.DEFAULT)
    assert list_models(include="resnet1*") == ["resnet101", "resnet152", "resnet18"]
    assert "vgg16_bn" not in list_models(exclude="*_bn")
    with pytest.raises(ValueError, match="Unknown model nope"):
        get_model("nope")
    with pytest.raises(ValueError, match="The parameter 'num_classes' expected value 1000"):
        models.resnet18(weights=ResNet18_Weights.DEFAULT, num_classes=10)


def test_load_weights_through_hub_cache(tmp_path, monkeypatch):
    import ember.hub
    src = models.squeezenet1_1()
    ckpt = tmp_path / "hub" / "checkpoints"
    ckpt.mkdir(parents=True)
    ember.save(src.state_dict(), ckpt / "squeezenet1_1-b8a52dc0.pth")
    old = ember.hub.get_dir()
    ember.hub.set_dir(str(tmp_path / "hub"))
    try:
        loaded = models.squeezenet1_1(weights="IMAGENET1K_V1")
        with pytest.warns(UserWarning) as record:
            legacy = models.squeezenet1_1(pretrained=True)
    finally:
        ember.hub.set_dir(old)
    for model in (loaded, legacy):
        for (k, a), (_, b) in zip(src.state_dict().items(), model.state_dict().items()):
            assert ember.equal(a, b), k
    messages = [str(r.message) for r in record]
    assert messages[0] == ("The parameter 'pretrained' is deprecated since 0.13 and may be removed "
                           "in the future, please use 'weights' instead.")
    assert "equivalent to passing `weights=SqueezeNet1_1_Weights.IMAGENET1K_V1`" in messages[1]


def test_pretrained_false_is_weights_none():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model = models.alexnet(pretrained=False, num_classes=4)
    assert model.classifier[6].out_features == 4
    assert "equivalent to passing `weights=None`" in str(record[-1].message)
