"""Automatic differentiation: backward, grad, custom Functions, grad modes, gradcheck."""

from __future__ import annotations

from . import forward_ad, functional, graph, profiler
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import run_backward
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled,
                        is_inference_mode_enabled, no_grad, set_grad_enabled)
from .gradcheck import gradcheck, gradgradcheck
from .variable import Variable


def _as_list(x):
    if x is None:
        return []
    if isinstance(x, graph.GradientEdge):
        return [x]
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _make_grads(outputs, grad_outputs):
    from ..ops.creation import ones_like
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if not out._requires_grad:
                raise RuntimeError("element 0 of tensors does not require grad and does not "
                                   "have a grad_fn")
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = ones_like(out)
        elif g._shape != out._shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{g.shape} and output[{i}] has a shape of {out.shape}.")
        elif g.device != out.device:
            raise RuntimeError(f"invalid gradient at index {i} - expected device {out.device} "
                               f"but got {g.device}")
        grads.append(g)
    return grads


def _roots(outputs):
    roots = []
    for o in outputs:
        if not o._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn")
        roots.append((o._grad_fn, o._output_nr) if o._grad_fn is not None
                     else (o._accumulator(), 0))
    return roots


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False,
             inputs=None) -> None:
    """Accumulates gradients of tensors w.r.t. the graph's leaves into their ``.grad``."""
    outputs = _as_list(tensors)
    grads = _make_grads(outputs, _as_list(grad_tensors) or [None] * len(outputs))
    if retain_graph is None:
        retain_graph = create_graph
    roots = _roots(outputs)
    if inputs is not None:
        inputs = _as_list(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        capture = {}
        for i, t in enumerate(inputs):
            key = (t._grad_fn, t._output_nr) if t._grad_fn is not None else (t._accumulator(), 0)
            capture[key] = i
        got = run_backward(roots, grads, retain_graph, create_graph, capture=capture,
                           accumulate=False)
        for t, g in zip(inputs, got):
            if g is None:
                continue
            if t._grad_fn is None:
                t._accumulator().accumulate(g, create_graph)
            else:
                t._grad = g if t._grad is None else t._grad + g
        return
    run_backward(roots, grads, retain_graph, create_graph)


def _edge_key(t):
    """The (node, output_nr) at which the gradient of t, a tensor or GradientEdge, arrives."""
    if isinstance(t, graph.GradientEdge):
        return (t.node, t.output_nr)
    return (t._grad_fn, t._output_nr) if t._grad_fn is not None else (t._accumulator(), 0)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused=None, is_grads_batched: bool = False,
         materialize_grads: bool = False):
    """Gradients of outputs w.r.t. inputs, returned (not accumulated into .grad)."""
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    for t in inputs:
        if not isinstance(t, graph.GradientEdge) and not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _make_grads(outputs, _as_list(grad_outputs) or [None] * len(outputs))
    if retain_graph is None:
        retain_graph = create_graph
    capture = {}
    for i, t in enumerate(inputs):
        capture.setdefault(_edge_key(t), i)
    got = run_backward(_roots(outputs), grads, retain_graph, create_graph, capture=capture,
                       accumulate=False)
    result = []
    for t in inputs:
        g = got[capture[_edge_key(t)]]
        if g is None:
            if materialize_grads and isinstance(t, graph.GradientEdge):
                from ..ops.creation import zeros, zeros_like
                if t.node._output_meta is None:  # a leaf's AccumulateGrad
                    g = zeros_like(t.node.variable)
                else:
                    shape, dtype, device = t.node._output_meta[t.output_nr]
                    g = zeros(shape, dtype=dtype, device=device)
            elif materialize_grads:
                from ..ops.creation import zeros_like
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been "
                                   "used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
        result.append(g)
    return tuple(result)


__all__ = ["Function", "FunctionCtx", "backward", "grad", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled",
           "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "gradcheck",
           "gradgradcheck", "functional", "graph", "once_differentiable", "Variable"]
