"""Fused recurrent sequence ops: one autograd node per RNN/LSTM/GRU layer and direction.

Composing an LSTM step from ops records ~12 graph nodes per time step, and every
step's weight gradient is its own (4H x B) @ (B x H) GEMM plus a (4H, H) accumulation.
Here the whole sequence is one node: the forward loop runs without recording a graph and
keeps the gate activations; the backward loop only carries dh/dc through time, and the
weight gradient is one GEMM over all steps at the end. On the CPU in float32/float64 the
LSTM's and GRU's loops are one C call each way (csrc/rnn.c), with no Python between the
steps.

The backward is once-differentiable (like cuDNN's RNN in torch): create_graph through it
raises. nn.RNN/LSTM/GRU take this path for plain sequences; masked (PackedSequence) and
projected (proj_size) layers use the composed ops in nn/modules/rnn.py.

Example:
    >>> xp = ember.randn(5, 2, 8)                  # x W_ih^T + b for 5 steps, hidden 2
    >>> h0 = c0 = ember.zeros(2, 2)
    >>> out, h, c = lstm_sequence(xp, h0, c0, ember.randn(8, 2))
    >>> out.shape
    ember.Size([5, 2, 2])
"""

from __future__ import annotations

import functools

import ember

from .. import _dtype as D
from .._tensor import Tensor, _empty
from ..autograd.function import Function, once_differentiable
from ..backends import cpu
from .conv import dense


def _fused(t: Tensor) -> bool:
    """CPU float32/float64: the whole recurrence is one C call (csrc/rnn.c), a step's GEMM
    and its fused pointwise math without a trip through Python, instead of ~10 ops forward
    and ~20 backward per step."""
    return t.device.type == "cpu" and t._dtype in (D.float32, D.float64)


class LSTMSequence(Function):
    node_name = "LSTMSequenceBackward"

    @staticmethod
    def forward(ctx, xp: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor, reverse: bool):
        steps, batch, hidden = xp.shape[0], h0.shape[0], h0.shape[1]
        if _fused(xp):
            act = _empty((steps, batch, 4 * hidden), xp._dtype)
            out, cs, tcs = (_empty((steps, batch, hidden), xp._dtype) for _ in range(3))
            cpu.lstm_forward(dense(w_hh), dense(h0), dense(c0), dense(xp), act, cs, tcs, out,
                             reverse)
            last = 0 if reverse else steps - 1
            h, c = (out[last].clone(), cs[last].clone()) if steps else (h0.clone(), c0.clone())
        else:
            act, out, cs, tcs, h, c = _lstm_steps(xp, h0, c0, w_hh, reverse)
        ctx.save_for_backward(h0, c0, w_hh, out, act, cs, tcs)
        ctx.reverse = reverse
        return out, h, c

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_h, d_c):
        h0, c0, w_hh, out, act, cs, tcs = ctx.saved_tensors
        steps, batch, hidden = out.shape
        zeros = functools.partial(ember.zeros, batch, hidden, dtype=out.dtype, device=out.device)
        # the kernel accumulates into dh and dc: never the caller's gradients
        dh = zeros() if d_h is None else d_h.contiguous().clone()
        dc = zeros() if d_c is None else d_c.contiguous().clone()
        if _fused(out):
            d_xp = _empty((steps, batch, 4 * hidden), out._dtype)
            cpu.lstm_backward(dense(w_hh), dense(c0), act, cs, tcs,
                              None if d_out is None else dense(d_out), dh, dc, d_xp,
                              ctx.reverse)
        else:
            d_xp, dh, dc = _lstm_steps_backward(w_hh, c0, act, cs, tcs, d_out, dh, dc,
                                                ctx.reverse)
        h_prev = _prev_states(out, h0, ctx.reverse)
        d_w = d_xp.reshape(steps * batch, 4 * hidden).t().matmul(
            h_prev.reshape(steps * batch, hidden))
        return d_xp, dh, dc, d_w, None


def _lstm_steps(xp: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor, reverse: bool) -> tuple:
    """LSTMSequence's forward in ops, for other devices and dtypes: (gate activations,
    outputs, c and tanh(c) of every step, last h, last c)."""
    steps, hidden = xp.shape[0], h0.shape[1]
    w_hh_t = w_hh.t()
    h, c = h0, c0
    acts, cs, hs, tcs = [None] * steps, [None] * steps, [None] * steps, [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        act = ember.addmm(xp[t], h, w_hh_t)
        g = act[:, 2 * hidden:3 * hidden].tanh()
        act = act.sigmoid()
        act[:, 2 * hidden:3 * hidden] = g
        c = act[:, hidden:2 * hidden] * c + act[:, :hidden] * g
        tc = c.tanh()
        h = act[:, 3 * hidden:] * tc
        acts[t], cs[t], hs[t], tcs[t] = act, c, h, tc
    return (ember.stack(acts, 0), ember.stack(hs, 0), ember.stack(cs, 0), ember.stack(tcs, 0),
            h, c)


def _lstm_steps_backward(w_hh: Tensor, c0: Tensor, act: Tensor, cs: Tensor, tcs: Tensor,
                         d_out: Tensor | None, dh: Tensor, dc: Tensor, reverse: bool) -> tuple:
    """LSTMSequence's backward in ops: (gradient of every step's gates, of h0, of c0)."""
    steps, hidden = cs.shape[0], cs.shape[2]
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    back = 1 if reverse else -1
    d_gates = [None] * steps
    # per-step (B, H) slices stay in cache; the same math on whole (T, B, H) strided views
    # measured ~10x slower
    for t in reversed(order):
        c_prev = c0 if t == order[0] else cs[t + back]
        if d_out is not None:
            dh = dh + d_out[t]
        a, tc = act[t], tcs[t]
        i, f, g, o = (a[:, k * hidden:(k + 1) * hidden] for k in range(4))
        dc = dc + dh * o * (1 - tc * tc)
        dg = ember.cat([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                        dc * i * (1 - g * g), dh * tc * o * (1 - o)], 1)
        dc = dc * f
        d_gates[t] = dg
        dh = dg.matmul(w_hh)
    return ember.stack(d_gates, 0), dh, dc


def _prev_states(out: Tensor, h0: Tensor, reverse: bool) -> Tensor:
    """The state each step started from: h0 for the first step, else the neighbour's output."""
    prev = out.roll(-1 if reverse else 1, 0)
    prev[out.shape[0] - 1 if reverse else 0] = h0
    return prev


class RNNSequence(Function):
    node_name = "RNNSequenceBackward"

    @staticmethod
    def forward(ctx, xp: Tensor, h0: Tensor, w_hh: Tensor, relu: bool, reverse: bool):
        steps = xp.shape[0]
        w_hh_t = w_hh.t()
        h, hs = h0, [None] * steps
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            pre = ember.addmm(xp[t], h, w_hh_t)
            h = pre.relu() if relu else pre.tanh()
            hs[t] = h
        out = ember.stack(hs, 0)
        ctx.save_for_backward(h0, w_hh, out)
        ctx.relu, ctx.reverse = relu, reverse
        return out, h

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_h):
        h0, w_hh, out = ctx.saved_tensors
        steps, batch, hidden = out.shape
        deriv = (out > 0).to(out.dtype) if ctx.relu else 1 - out * out
        order = range(steps - 1, -1, -1) if ctx.reverse else range(steps)
        d_pre = [None] * steps
        dh = d_h if d_h is not None else ember.zeros(batch, hidden, dtype=out.dtype,
                                                     device=out.device)
        for t in reversed(order):
            if d_out is not None:
                dh = dh + d_out[t]
            d_pre[t] = dh * deriv[t]
            dh = d_pre[t].matmul(w_hh)
        d_xp = ember.stack(d_pre, 0)
        h_prev = _prev_states(out, h0, ctx.reverse)
        d_w = d_xp.reshape(steps * batch, hidden).t().matmul(
            h_prev.reshape(steps * batch, hidden))
        return d_xp, dh, d_w, None, None


class GRUSequence(Function):
    node_name = "GRUSequenceBackward"

    @staticmethod
    def forward(ctx, xp: Tensor, h0: Tensor, w_hh: Tensor, b_hh: Tensor | None,
                reverse: bool):
        steps, batch, hidden = xp.shape[0], h0.shape[0], h0.shape[1]
        if _fused(xp):
            acts = _empty((steps, batch, 3 * hidden), xp._dtype)
            ns, out = (_empty((steps, batch, hidden), xp._dtype) for _ in range(2))
            bias = dense(b_hh) if b_hh is not None else ember.zeros(3 * hidden, dtype=xp.dtype)
            cpu.gru_forward(dense(w_hh), bias, dense(h0), dense(xp), acts, ns, out, reverse)
            h = out[0 if reverse else steps - 1].clone() if steps else h0.clone()
        else:
            acts, ns, out, h = _gru_steps(xp, h0, w_hh, b_hh, reverse)
        ctx.save_for_backward(h0, w_hh, out, acts, ns)
        ctx.reverse, ctx.has_bias = reverse, b_hh is not None
        return out, h

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_h):
        h0, w_hh, out, acts, ns = ctx.saved_tensors
        steps, batch, hidden = out.shape
        h_prev = _prev_states(out, h0, ctx.reverse)
        # the kernel accumulates into dh: never the caller's gradient
        dh = (ember.zeros(batch, hidden, dtype=out.dtype, device=out.device) if d_h is None
              else d_h.contiguous().clone())
        if _fused(out):
            d_hp, d_xp = (_empty((steps, batch, 3 * hidden), out._dtype) for _ in range(2))
            cpu.gru_backward(dense(w_hh), dense(h0), acts, ns, out,
                             None if d_out is None else dense(d_out), dh, d_hp, d_xp,
                             ctx.reverse)
        else:
            d_hp, d_xp, dh = _gru_steps_backward(w_hh, h_prev, acts, ns, d_out, dh, ctx.reverse)
        d_hp = d_hp.reshape(steps * batch, 3 * hidden)
        d_w = d_hp.t().matmul(h_prev.reshape(steps * batch, hidden))
        d_b = d_hp.sum(0) if ctx.has_bias else None
        return d_xp, dh, d_w, d_b, None


def _gru_steps(xp: Tensor, h0: Tensor, w_hh: Tensor, b_hh: Tensor | None,
               reverse: bool) -> tuple:
    """GRUSequence's forward in ops, for other devices and dtypes: ((r, z, h_prev W_hn^T +
    b_hn) and n of every step, outputs, last h)."""
    steps, hidden = xp.shape[0], h0.shape[1]
    w_hh_t = w_hh.t()
    h = h0
    hs, acts, n_all = [None] * steps, [None] * steps, [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        hp = h.matmul(w_hh_t) if b_hh is None else ember.addmm(b_hh, h, w_hh_t)
        x = xp[t]
        rz = (x[:, :2 * hidden] + hp[:, :2 * hidden]).sigmoid()
        hpn = hp[:, 2 * hidden:]
        n = (x[:, 2 * hidden:] + rz[:, :hidden] * hpn).tanh()
        h = n + rz[:, hidden:] * (h - n)
        hs[t], acts[t], n_all[t] = h, ember.cat([rz, hpn], 1), n
    return ember.stack(acts, 0), ember.stack(n_all, 0), ember.stack(hs, 0), h


def _gru_steps_backward(w_hh: Tensor, h_prev: Tensor, acts: Tensor, n_all: Tensor,
                        d_out: Tensor | None, dh: Tensor, reverse: bool) -> tuple:
    """GRUSequence's backward in ops: (gradient of every step's recurrent pre-activations, of
    its input projection, of h0)."""
    steps, hidden = n_all.shape[0], n_all.shape[2]
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    d_hps, d_xps = [None] * steps, [None] * steps
    for t in reversed(order):  # per-step slices: see _lstm_steps_backward
        if d_out is not None:
            dh = dh + d_out[t]
        a = acts[t]
        r, z, hpn = a[:, :hidden], a[:, hidden:2 * hidden], a[:, 2 * hidden:]
        n = n_all[t]
        dn = dh * (1 - z) * (1 - n * n)
        dr = dn * hpn * r * (1 - r)
        dz = dh * (h_prev[t] - n) * z * (1 - z)
        d_hp = ember.cat([dr, dz, dn * r], 1)
        d_hps[t], d_xps[t] = d_hp, ember.cat([dr, dz, dn], 1)
        dh = dh * z + d_hp.matmul(w_hh)
    return ember.stack(d_hps, 0), ember.stack(d_xps, 0), dh


def rnn_sequence(xp: Tensor, h0: Tensor, w_hh: Tensor, relu: bool = False,
                 reverse: bool = False) -> tuple[Tensor, Tensor]:
    """Elman RNN over precomputed xp = x W_ih^T + b_ih + b_hh (T, B, H) from h0 (B, H);
    returns (outputs (T, B, H), h_T)."""
    return RNNSequence.apply(xp, h0, w_hh, relu, reverse)


def gru_sequence(xp: Tensor, h0: Tensor, w_hh: Tensor, b_hh: Tensor | None = None,
                 reverse: bool = False) -> tuple[Tensor, Tensor]:
    """GRU over precomputed xp = x W_ih^T + b_ih (T, B, 3H) (gate order r, z, n) from
    h0 (B, H); b_hh stays separate because its n part sits inside r * (...)."""
    return GRUSequence.apply(xp, h0, w_hh, b_hh, reverse)


def lstm_sequence(xp: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor,
                  reverse: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    """Runs an LSTM over precomputed input projections xp (T, B, 4H) (gate order i, f, g, o,
    both biases included) from state (h0, c0) (B, H); returns (outputs (T, B, H), h_T, c_T)."""
    return LSTMSequence.apply(xp, h0, c0, w_hh, reverse)
