"""Fused recurrent sequence ops: one autograd node per LSTM layer and direction.

Composing an LSTM step from ops records ~12 graph nodes per time step, and every
step's weight gradient is its own (4H x B) @ (B x H) GEMM plus a (4H, H) accumulation.
Here the whole sequence is one node: the forward loop runs without recording a graph and
keeps the gate activations; the backward loop only carries dh/dc through time, and the
weight gradient is one GEMM over all steps at the end.

The backward is once-differentiable (like cuDNN's RNN in torch): create_graph through it
raises. nn.LSTM takes this path for plain sequences without proj_size; masked
(PackedSequence) and projected LSTMs use the composed ops in nn/modules/rnn.py.

Example:
    >>> xp = ember.randn(5, 2, 8)                  # x W_ih^T + b for 5 steps, hidden 2
    >>> h0 = c0 = ember.zeros(2, 2)
    >>> out, h, c = lstm_sequence(xp, h0, c0, ember.randn(8, 2))
    >>> out.shape
    ember.Size([5, 2, 2])
"""

from __future__ import annotations

import ember

from .._tensor import Tensor
from ..autograd.function import Function, once_differentiable


class LSTMSequence(Function):
    node_name = "LSTMSequenceBackward"

    @staticmethod
    def forward(ctx, xp: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor, reverse: bool):
        steps, hidden = xp.shape[0], h0.shape[1]
        w_hh_t = w_hh.t()
        h, c = h0, c0
        acts, cs, hs, tcs = [None] * steps, [None] * steps, [None] * steps, [None] * steps
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            gates = ember.addmm(xp[t], h, w_hh_t)
            act = gates.sigmoid()
            g = gates[:, 2 * hidden:3 * hidden].tanh()
            act[:, 2 * hidden:3 * hidden] = g
            c = act[:, hidden:2 * hidden] * c + act[:, :hidden] * g
            tc = c.tanh()
            h = act[:, 3 * hidden:] * tc
            acts[t], cs[t], hs[t], tcs[t] = act, c, h, tc
        out = ember.stack(hs, 0)
        ctx.save_for_backward(xp, h0, c0, w_hh, out, ember.stack(acts, 0), ember.stack(cs, 0),
                              ember.stack(tcs, 0))
        ctx.reverse = reverse
        return out, h, c

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_h, d_c):
        xp, h0, c0, w_hh, out, act, cs, tcs = ctx.saved_tensors
        steps, batch, hidden = out.shape
        reverse = ctx.reverse
        order = list(range(steps - 1, -1, -1) if reverse else range(steps))
        # state before each step, in time order of the loop: c_{prev(t)}, h_{prev(t)}
        first = order[0]
        shift = -1 if reverse else 1
        c_prev = cs.roll(shift, 0)
        c_prev[first] = c0
        h_prev = out.roll(shift, 0)
        h_prev[first] = h0
        i, f, g, o = (act[..., k * hidden:(k + 1) * hidden] for k in range(4))
        # d gates = [dc, dc, dc, dh] * q with the activation derivatives folded into q
        q = ember.cat([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g),
                       tcs * o * (1 - o)], -1)
        o_dtanh = o * (1 - tcs * tcs)
        d_gates = [None] * steps
        dh = d_h if d_h is not None else ember.zeros(batch, hidden, dtype=out.dtype)
        dc = d_c if d_c is not None else ember.zeros(batch, hidden, dtype=out.dtype)
        for t in reversed(order):
            if d_out is not None:
                dh = dh + d_out[t]
            dc = dc + dh * o_dtanh[t]
            dg = ember.cat([dc, dc, dc, dh], 1) * q[t]
            d_gates[t] = dg
            dh = dg.matmul(w_hh)
            dc = dc * f[t]
        d_xp = ember.stack(d_gates, 0)
        flat = d_xp.reshape(steps * batch, 4 * hidden)
        d_w = flat.t().matmul(h_prev.reshape(steps * batch, hidden))
        return d_xp, dh, dc, d_w, None


def lstm_sequence(xp: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor,
                  reverse: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    """Runs an LSTM over precomputed input projections xp (T, B, 4H) (gate order i, f, g, o,
    both biases included) from state (h0, c0) (B, H); returns (outputs (T, B, H), h_T, c_T)."""
    return LSTMSequence.apply(xp, h0, c0, w_hh, reverse)
