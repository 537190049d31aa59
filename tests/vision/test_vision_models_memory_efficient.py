"""DenseNet's memory_efficient=True (checkpointed bottlenecks) changes nothing but memory."""

import numpy as np

import ember
from embervision import models


def _run(model, x, seed):
    ember.manual_seed(seed)
    out = model(x)
    out.pow(2).sum().backward()
    return out


def test_densenet121_memory_efficient_same_outputs_and_gradients():
    ember.manual_seed(0)
    plain = models.densenet121(num_classes=5, drop_rate=0.2).double().train()
    efficient = models.densenet121(num_classes=5, drop_rate=0.2, memory_efficient=True)
    efficient.double().train().load_state_dict(plain.state_dict())
    x = ember.randn(2, 3, 32, 32, dtype=ember.float64)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_a = _run(plain, xa, seed=3)
    out_b = _run(efficient, xb, seed=3)
    np.testing.assert_allclose(np.asarray(out_b.detach()), np.asarray(out_a.detach()),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(xb.grad), np.asarray(xa.grad), rtol=1e-8, atol=1e-12)
    grads = dict(efficient.named_parameters())
    for name, p in plain.named_parameters():
        np.testing.assert_allclose(np.asarray(grads[name].grad), np.asarray(p.grad),
                                   rtol=1e-8, atol=1e-12, err_msg=name)


def test_densenet_layer_checkpoints_only_when_training_with_grad():
    layer = models.densenet._DenseLayer(8, growth_rate=4, bn_size=2, drop_rate=0,
                                        memory_efficient=True)
    feats = [ember.randn(1, 4, 5, 5, requires_grad=True), ember.randn(1, 4, 5, 5)]
    bottleneck = layer.call_checkpoint_bottleneck(feats)
    assert type(bottleneck.grad_fn).__name__ == "CheckpointBackward"
    assert tuple(layer(feats).shape) == (1, 4, 5, 5)
    # without any input requiring grad there is nothing to save memory on
    with ember.no_grad():
        out = layer([f.detach() for f in feats])
    np.testing.assert_allclose(np.asarray(out), np.asarray(layer(feats).detach()), rtol=1e-6)
