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


# DenseNet, GoogLeNet, Inception v3, ShuffleNet V2, MNASNet: torchvision's state_dict keys,
# key counts and shapes of keys that only exist if the nesting matches torchvision exactly.
CLASSIC = {
    "densenet121": (727, {"features.denseblock1.denselayer1.norm1.weight": (64,),
                          "features.transition3.conv.weight": (512, 1024, 1, 1),
                          "features.denseblock4.denselayer16.conv2.weight": (32, 128, 3, 3),
                          "features.norm5.running_var": (1024,),
                          "classifier.weight": (1000, 1024)}),
    "densenet161": (967, {"features.conv0.weight": (96, 3, 7, 7),
                          "features.denseblock3.denselayer36.conv1.weight": (192, 2064, 1, 1),
                          "classifier.weight": (1000, 2208)}),
    "densenet169": (1015, {"features.denseblock4.denselayer32.norm1.weight": (1632,)}),
    "densenet201": (1207, {"features.denseblock3.denselayer48.conv1.weight": (128, 1760, 1, 1),
                           "classifier.weight": (1000, 1920)}),
    # the published googlenet has no auxiliary heads: counted without them
    "googlenet": (344, {"inception3a.branch3.1.conv.weight": (32, 16, 3, 3),
                        "inception5b.branch4.1.bn.running_mean": (128,),
                        "fc.weight": (1000, 1024)}),
    "inception_v3": (580, {"Conv2d_1a_3x3.conv.weight": (32, 3, 3, 3),
                           "Mixed_6b.branch7x7dbl_5.conv.weight": (192, 128, 1, 7),
                           "Mixed_7c.branch3x3dbl_3b.bn.weight": (384,),
                           "AuxLogits.conv1.conv.weight": (768, 128, 5, 5),
                           "fc.weight": (1000, 2048)}),
    "shufflenet_v2_x0_5": (338, {"stage2.0.branch1.0.weight": (24, 1, 3, 3),
                                 "stage3.7.branch2.3.weight": (48, 1, 3, 3),
                                 "conv5.0.weight": (1024, 192, 1, 1), "fc.weight": (1000, 1024)}),
    "shufflenet_v2_x1_0": (338, {"stage4.3.branch2.5.weight": (232, 232, 1, 1)}),
    "shufflenet_v2_x1_5": (338, {"stage2.0.branch1.2.weight": (88, 24, 1, 1)}),
    "shufflenet_v2_x2_0": (338, {"fc.weight": (1000, 2048)}),
    "mnasnet0_5": (314, {"layers.0.weight": (16, 3, 3, 3),
                         "layers.8.0.layers.3.weight": (24, 1, 3, 3),
                         "layers.13.0.layers.6.weight": (160, 576, 1, 1),
                         "layers.14.weight": (1280, 160, 1, 1),
                         "classifier.1.weight": (1000, 1280)}),
    "mnasnet0_75": (314, {"layers.3.weight": (24, 1, 3, 3)}),
    "mnasnet1_0": (314, {"layers.12.3.layers.0.weight": (1152, 192, 1, 1)}),
    "mnasnet1_3": (314, {"layers.6.weight": (24, 40, 1, 1)}),
}


def _classic(name, **kwargs):
    # Truncated-normal init of Inception's 27M weights is slow; the keys are the same without.
    if name in ("googlenet", "inception_v3"):
        kwargs.setdefault("init_weights", False)
    if name == "googlenet":
        kwargs.setdefault("aux_logits", False)
    return get_model(name, **kwargs)


@pytest.mark.parametrize("name", sorted(CLASSIC))
def test_classic_models_keys_and_param_counts(name):
    count, landmarks = CLASSIC[name]
    model = _classic(name)
    sd = dict(key_shapes(model))
    assert len(sd) == count
    for key, shape in landmarks.items():
        assert sd.get(key) == shape, key
    # only torchvision's exact architecture has the published checkpoint's parameter count
    weights = get_model_weights(name).DEFAULT
    assert sum(p.numel() for p in model.parameters()) == weights.meta["num_params"]


@pytest.mark.parametrize("name,size", [("densenet121", 32), ("googlenet", 32), ("inception_v3", 75),
                                       ("shufflenet_v2_x0_5", 32), ("mnasnet0_5", 32)])
def test_classic_forward_shapes(name, size):
    model = _classic(name, num_classes=7).eval()
    with ember.no_grad():
        out = model(ember.rand(2, 3, size, size))
    assert isinstance(out, ember.Tensor) and tuple(out.shape) == (2, 7)
    assert bool(ember.isfinite(out).all())


def test_googlenet_outputs_and_transform_input():
    from embervision.models.googlenet import GoogLeNetOutputs
    model = models.googlenet(num_classes=5, init_weights=False, transform_input=True)
    x = ember.rand(2, 3, 32, 32)
    with ember.no_grad():
        out = model.train()(x)
        assert type(out) is GoogLeNetOutputs and out._fields == ("logits", "aux_logits2",
                                                                  "aux_logits1")
        assert [tuple(o.shape) for o in out] == [(2, 5)] * 3
        assert isinstance(model.eval()(x), ember.Tensor)
        # transform_input maps ImageNet-normalized channels back to [-1, 1] scaling
        y = model._transform_input(ember.zeros(1, 3, 1, 1)).flatten().tolist()
    assert y == pytest.approx([(m - 0.5) / 0.5 for m in (0.485, 0.456, 0.406)])
    with pytest.warns(FutureWarning, match="default weight initialization of GoogleNet"):
        plain = models.googlenet(num_classes=5, aux_logits=False).train()
    assert plain.aux1 is None and not any(k.startswith("aux") for k in plain.state_dict())
    with ember.no_grad():
        assert isinstance(plain(x), ember.Tensor)


def test_inception_outputs_in_training():
    from embervision.models.inception import InceptionAux, InceptionOutputs
    model = models.inception_v3(num_classes=4, init_weights=False)
    with ember.no_grad():
        # the real auxiliary head needs 299x299 inputs (17x17 at Mixed_6e): check it alone
        assert tuple(model.AuxLogits(ember.rand(2, 768, 17, 17)).shape) == (2, 4)
        assert isinstance(model.AuxLogits, InceptionAux)
        # and the wiring with a head that fits a small input
        model.AuxLogits = ember.nn.Sequential(ember.nn.AdaptiveAvgPool2d(1), ember.nn.Flatten(),
                                              ember.nn.Linear(768, 4))
        out = model.train()(ember.rand(2, 3, 75, 75))
        assert type(out) is InceptionOutputs and out._fields == ("logits", "aux_logits")
        assert tuple(out.logits.shape) == tuple(out.aux_logits.shape) == (2, 4)
        model.aux_logits = False
        assert isinstance(model(ember.rand(2, 3, 75, 75)), ember.Tensor)


def test_shufflenet_channel_shuffle_and_invalid_stride():
    from embervision.models.shufflenetv2 import InvertedResidual, channel_shuffle
    x = ember.arange(6.0).view(1, 6, 1, 1)
    assert channel_shuffle(x, 2).flatten().tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    with pytest.raises(ValueError, match="illegal stride value"):
        InvertedResidual(24, 24, 4)


def test_densenet_loads_legacy_checkpoint_keys(tmp_path):
    import ember.hub
    from embervision.models import DenseNet121_Weights
    src = models.densenet121()
    # the published files (2017) name dense-layer modules 'norm.1', 'conv.2', ... and predate
    # BatchNorm's num_batches_tracked
    legacy = {k.replace(".norm1.", ".norm.1.").replace(".conv2.", ".conv.2."): v
              for k, v in src.state_dict().items() if not k.endswith("num_batches_tracked")}
    assert "features.denseblock1.denselayer1.norm.1.weight" in legacy
    ckpt = tmp_path / "hub" / "checkpoints"
    ckpt.mkdir(parents=True)
    ember.save(legacy, ckpt / "densenet121-a639ec97.pth")
    old = ember.hub.get_dir()
    ember.hub.set_dir(str(tmp_path / "hub"))
    try:
        loaded = models.densenet121(weights=DenseNet121_Weights.IMAGENET1K_V1)
    finally:
        ember.hub.set_dir(old)
    for (k, a), (_, b) in zip(src.state_dict().items(), loaded.state_dict().items()):
        assert k.endswith("num_batches_tracked") or ember.equal(a, b), k


def test_mnasnet_loads_version1_checkpoint():
    from embervision.models.mnasnet import _BN_MOMENTUM, MNASNet, _stack
    # a version-1 MNASNet 0.5: fixed 32/16-channel stem feeding the first stack
    v1 = MNASNet(0.5)
    stem = MNASNet(1.0).layers
    for idx in range(8):
        v1.layers[idx] = stem[idx]
    v1.layers[8] = _stack(16, 16, 3, 2, 3, 3, _BN_MOMENTUM)
    sd = v1.state_dict()
    sd._metadata[""]["version"] = 1
    model = MNASNet(0.5)
    with pytest.warns(UserWarning, match="A new version of MNASNet model has been implemented"):
        model.load_state_dict(sd)
    assert model._version == 1 and tuple(model.layers[0].weight.shape) == (32, 3, 3, 3)
    assert model.state_dict()._metadata[""]["version"] == 1
    x = ember.rand(2, 3, 32, 32)
    with ember.no_grad():
        assert ember.allclose(model.eval()(x), v1.eval()(x))
    with pytest.raises(ValueError, match="version should be set to 1 or 2 instead of None"):
        MNASNet(0.5).load_state_dict(dict(MNASNet(0.5).state_dict()))
