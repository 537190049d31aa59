"""Recurrent layers: RNN, LSTM (with proj_size), GRU and their single-step cells.

The time loop runs in Python over differentiable ember ops, so autograd needs nothing
special. Per layer and direction the input projection ``x W_ih^T + b`` of every time step
is one GEMM before the loop; inside it each step costs one (B, H) x (H, G) GEMM plus the
gate math. A plain layer (no proj_size, no PackedSequence) runs as one fused node
(ember.ops.rnn.{rnn,lstm,gru}_sequence) whose weight gradient is a single GEMM over all
steps; that node is once-differentiable (like cuDNN's RNN in torch), the composed paths
(packed input, proj_size, the cells) are not limited.

A PackedSequence is unpacked to a padded batch and each step keeps the old state of
sequences that have already ended (``where(running, new, old)``); for the reverse
direction the same mask makes every sequence start at its own last element.

Parameter names, shapes, order and default init (U(-1/sqrt(H), 1/sqrt(H))) are torch's.

Example:
    >>> lstm = nn.LSTM(10, 20, num_layers=2, batch_first=True)
    >>> out, (h, c) = lstm(ember.randn(3, 5, 10))
    >>> out.shape, h.shape
    (ember.Size([3, 5, 20]), ember.Size([2, 3, 20]))
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

import ember

from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ...ops.rnn import gru_sequence, lstm_sequence, rnn_sequence
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, pad_packed_sequence
from .module import Module

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


# ---- one direction of one layer over the whole sequence --------------------------------


def _step_rnn(xp, h, w_hh_t, relu):
    pre = ember.addmm(xp, h, w_hh_t)
    return pre.relu() if relu else pre.tanh()


def _step_lstm(xp, h, c, w_hh_t, w_hr_t):
    gates = ember.addmm(xp, h, w_hh_t)
    hidden = c.shape[1]
    # one sigmoid over all four gates is cheaper than three slices + three calls
    sig = gates.sigmoid()
    i, f, o = sig[:, :hidden], sig[:, hidden:2 * hidden], sig[:, 3 * hidden:]
    g = gates[:, 2 * hidden:3 * hidden].tanh()
    c = f * c + i * g
    h = o * c.tanh()
    if w_hr_t is not None:
        h = h.matmul(w_hr_t)
    return h, c


def _step_gru(xp, h, w_hh_t, b_hh):
    hp = h.matmul(w_hh_t) if b_hh is None else ember.addmm(b_hh, h, w_hh_t)
    hidden = h.shape[1]
    rz = (xp[:, :2 * hidden] + hp[:, :2 * hidden]).sigmoid()
    r, z = rz[:, :hidden], rz[:, hidden:]
    n = (xp[:, 2 * hidden:] + r * hp[:, 2 * hidden:]).tanh()
    return n + z * (h - n)


def _run_direction(mode: str, x: Tensor, h: Tensor, c: Tensor | None, weights: list,
                   reverse: bool, running: list | None):
    """x (T, B, I) -> (outputs (T, B, H_out), h_T, c_T) for one layer and direction."""
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    steps, batch = x.shape[0], x.shape[1]
    if mode != "GRU" and b_hh is not None:
        # b_hh only ever adds to the input projection outside GRU's reset gate
        bias = b_ih + b_hh
    else:
        bias = b_ih
    # one node, the bias added in place (addmm was a product, then a second pass to add)
    xp = F.linear(x.reshape(steps * batch, x.shape[2]), w_ih, bias)
    xp = xp.reshape(steps, batch, xp.shape[1])
    if running is None:
        if mode == "LSTM" and w_hr is None:
            return lstm_sequence(xp, h, c, w_hh, reverse)
        if mode == "GRU":
            out, h = gru_sequence(xp, h, w_hh, b_hh, reverse)
            return out, h, None
        if mode in ("RNN_TANH", "RNN_RELU"):
            out, h = rnn_sequence(xp, h, w_hh, mode == "RNN_RELU", reverse)
            return out, h, None
    xp = xp.unbind(0)
    w_hh_t = w_hh.t()
    w_hr_t = w_hr.t() if w_hr is not None else None
    outs = [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        if mode == "LSTM":
            h_new, c_new = _step_lstm(xp[t], h, c, w_hh_t, w_hr_t)
        elif mode == "GRU":
            h_new, c_new = _step_gru(xp[t], h, w_hh_t, b_hh), None
        else:
            h_new, c_new = _step_rnn(xp[t], h, w_hh_t, mode == "RNN_RELU"), None
        if running is not None and running[t] is not None:
            h_new = ember.where(running[t], h_new, h)
            if c_new is not None:
                c_new = ember.where(running[t], c_new, c)
        h, c = h_new, c_new
        outs[t] = h
    return ember.stack(outs, 0), h, c


def run_layers(mode: str, x: Tensor, h0: Tensor, c0: Tensor | None, weights: list,
               num_layers: int, bidirectional: bool, dropout: float, train: bool, running):
    """Every layer and direction over x (T, B, I): weights holds [w_ih, w_hh, b_ih, b_hh,
    w_hr] (None where absent) per layer and direction, in torch's order; returns (outputs
    of the last layer, h_n, c_n or None). Dropout (when train) follows all but the last
    layer."""
    directions = 2 if bidirectional else 1
    h_n, c_n = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(directions):
            k = layer * directions + d
            out, h, c = _run_direction(mode, x, h0[k], None if c0 is None else c0[k],
                                       weights[k], d == 1, running)
            outs.append(out)
            h_n.append(h)
            c_n.append(c)
        x = outs[0] if directions == 1 else ember.cat(outs, 2)
        if dropout and train and layer < num_layers - 1:
            x = F.dropout(x, dropout, True)
    return x, ember.stack(h_n, 0), (ember.stack(c_n, 0) if c0 is not None else None)


def unpack(packed: PackedSequence) -> tuple[Tensor, list | None]:
    """A PackedSequence as a padded (T, B, *) batch in its original order, and per step a
    (B, 1) mask of the sequences still running (None for a step where all are; None
    overall when no sequence ends early)."""
    padded, lengths = pad_packed_sequence(packed)
    lens = lengths.numpy()  # batch_sizes and lengths live on the CPU, as in torch
    steps = padded.shape[0]
    if not np.any(lens < steps):
        return padded, None
    alive = np.arange(steps)[:, None] < lens[None, :]  # (T, B)
    return padded, [ember.tensor(row[:, None], device=padded.device) if not row.all() else None
                    for row in alive]


class RNNBase(Module):
    """Shared parameters, checks and the layer/direction loop of RNN, LSTM and GRU."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
                or isinstance(dropout, bool)):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                                  ("input_size", input_size, int),
                                  ("hidden_size", hidden_size, int)):
            if not isinstance(value, kind):
                raise TypeError(f"{name} should be of type {kind.__name__}, got: "
                                f"{type(value).__name__}")
            if kind is int and value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_in = input_size if layer == 0 else real_hidden * directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_in)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for base, shape in shapes:
                    name = f"{base}_l{layer}{suffix}"
                    setattr(self, name, Parameter(ember.empty(shape, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list[Tensor]:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """No-op: there is no cuDNN weight buffer to compact on Ember's CPU path."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ---- input handling ----

    def _check_input(self, input: Tensor) -> None:
        weight = getattr(self, self._flat_weights_names[0])
        if input.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight.dtype}). Convert input: input.to({weight.dtype}), or "
                             f"convert model: model.to({input.dtype})")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    def _expected_hidden(self, batch: int, size: int) -> tuple[int, int, int]:
        return (self.num_layers * (2 if self.bidirectional else 1), batch, size)

    @staticmethod
    def _check_hidden(hx: Tensor, expected: tuple, msg: str = "Expected hidden size {}, got {}"):
        if tuple(hx.shape) != expected:
            raise RuntimeError(msg.format(expected, list(hx.shape)))

    def _prepare(self, input, hx, name: str):
        """-> (time-major padded input, hx list or None, running masks, packing info, batched)."""
        if isinstance(input, PackedSequence):
            padded, running = unpack(input)
            self._check_input(padded)
            return padded, hx, running, input, True
        if input.dim() not in (2, 3):
            tail = " tensor" if name == "RNN" else ""
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D"
                             f"{tail} instead")
        batched = input.dim() == 3
        hs = [hx] if isinstance(hx, Tensor) else list(hx) if hx is not None else None
        want = 3 if batched else 2
        if hs is not None and any(h.dim() != want for h in hs):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            if len(hs) == 1:
                raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got "
                                   f"{hs[0].dim()}-D tensor")
            raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                               f"({hs[0].dim()}-D, {hs[1].dim()}-D) tensors")
        if not batched:
            input = input.unsqueeze(1)
            hs = [h.unsqueeze(1) for h in hs] if hs is not None else None
        elif self.batch_first:
            input = input.transpose(0, 1)
        self._check_input(input)
        return input, hs, None, None, batched

    def _run(self, x: Tensor, h0: Tensor, c0: Tensor | None, running):
        weights = []
        for names in self._all_weights:
            params = dict(zip([n.rsplit("_l", 1)[0] for n in names],
                              [getattr(self, n) for n in names]))
            weights.append([params["weight_ih"], params["weight_hh"], params.get("bias_ih"),
                            params.get("bias_hh"), params.get("weight_hr")])
        return run_layers(self.mode, x, h0, c0, weights, self.num_layers, self.bidirectional,
                          self.dropout, self.training, running)

    def _forward(self, input, hx, name: str):
        x, hs, running, packed, batched = self._prepare(input, hx, name)
        batch = x.shape[1]
        out_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        lstm = self.mode == "LSTM"
        if hs is None:
            h0 = ember.zeros(self._expected_hidden(batch, out_size), dtype=x.dtype,
                             device=x.device)
            c0 = (ember.zeros(self._expected_hidden(batch, self.hidden_size), dtype=x.dtype,
                              device=x.device)
                  if lstm else None)
        else:
            h0 = hs[0]
            c0 = hs[1] if lstm else None
            # with a PackedSequence, x is back in the original batch order, like hx
            self._check_hidden(h0, self._expected_hidden(batch, out_size),
                               "Expected hidden[0] size {}, got {}" if lstm else
                               "Expected hidden size {}, got {}")
            if lstm:
                self._check_hidden(c0, self._expected_hidden(batch, self.hidden_size),
                                   "Expected hidden[1] size {}, got {}")
        out, h_n, c_n = self._run(x, h0, c0, running)
        if packed is not None:
            out = repack(out, packed)
        elif not batched:
            out = out.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, ((h_n, c_n) if lstm else h_n)


def repack(out: Tensor, like: PackedSequence) -> PackedSequence:
    """(T, B, H) in the original batch order -> a PackedSequence shaped like `like`."""
    if like.sorted_indices is not None:
        out = out.index_select(1, like.sorted_indices)
    sizes = like.batch_sizes.numpy()
    batch = int(sizes[0])
    alive = np.arange(batch)[None, :] < sizes[:, None]
    flat = out.reshape(out.shape[0] * batch, out.shape[2])
    data = flat.index_select(0, ember.tensor(np.flatnonzero(alive.reshape(-1)), device=out.device))
    return PackedSequence(data, like.batch_sizes, like.sorted_indices, like.unsorted_indices)


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    Example:
        >>> rnn = nn.RNN(10, 20, 2)
        >>> out, h = rnn(ember.randn(5, 3, 10))
        >>> out.shape, h.shape
        (ember.Size([5, 3, 20]), ember.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx: Tensor | None = None):
        return self._forward(input, hx, "RNN")


class LSTM(RNNBase):
    """Long short-term memory with torch's gate order (i, f, g, o) and optional proj_size.

    Example:
        >>> lstm = nn.LSTM(10, 20, proj_size=5)
        >>> out, (h, c) = lstm(ember.randn(4, 2, 10))
        >>> out.shape, h.shape, c.shape
        (ember.Size([4, 2, 5]), ember.Size([1, 2, 5]), ember.Size([1, 2, 20]))
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx: tuple[Tensor, Tensor] | None = None):
        return self._forward(input, hx, "LSTM")


class GRU(RNNBase):
    """Gated recurrent unit with torch's gate order (r, z, n); b_hn sits inside r * (...).

    Example:
        >>> gru = nn.GRU(10, 20, bidirectional=True)
        >>> out, h = gru(ember.randn(4, 2, 10))
        >>> out.shape, h.shape
        (ember.Size([4, 2, 40]), ember.Size([2, 2, 20]))
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx: Tensor | None = None):
        return self._forward(input, hx, "GRU")


# ---- cells ------------------------------------------------------------------------------


class RNNCellBase(Module):
    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(ember.empty((num_chunks * hidden_size, input_size),
                                               dtype=dtype))
        self.weight_hh = Parameter(ember.empty((num_chunks * hidden_size, hidden_size),
                                               dtype=dtype))
        if bias:
            self.bias_ih = Parameter(ember.empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(ember.empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _batched(self, input: Tensor, hx, name: str):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        for h in ([hx] if isinstance(hx, Tensor) else hx or []):
            if h.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {h.dim()}D "
                                 "instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")
        return input.dim() == 2

    def _input_projection(self, input: Tensor) -> Tensor:
        if self.bias_ih is None:
            return input.matmul(self.weight_ih.t())
        return ember.addmm(self.bias_ih, input, self.weight_ih.t())

    def _zeros(self, input: Tensor) -> Tensor:
        return ember.zeros(input.shape[0], self.hidden_size, dtype=input.dtype,
                           device=input.device)


class RNNCell(RNNCellBase):
    """One Elman RNN step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

    Example:
        >>> cell = nn.RNNCell(10, 20)
        >>> cell(ember.randn(3, 10)).shape
        ember.Size([3, 20])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        batched = self._batched(input, hx, "RNNCell")
        if not batched:
            input = input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if batched else hx.unsqueeze(0))
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        xp = self._input_projection(input)
        if self.bias_hh is not None:
            xp = xp + self.bias_hh
        h = _step_rnn(xp, hx, self.weight_hh.t(), self.nonlinearity == "relu")
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns (h', c').

    Example:
        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(ember.randn(3, 10))
        >>> h.shape, c.shape
        (ember.Size([3, 20]), ember.Size([3, 20]))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        batched = self._batched(input, hx, "LSTMCell")
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            h, c = self._zeros(input), self._zeros(input)
        else:
            h, c = hx if batched else (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        xp = self._input_projection(input)
        if self.bias_hh is not None:
            xp = xp + self.bias_hh
        h, c = _step_lstm(xp, h, c, self.weight_hh.t(), None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step.

    Example:
        >>> cell = nn.GRUCell(10, 20)
        >>> cell(ember.randn(3, 10)).shape
        ember.Size([3, 20])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        batched = self._batched(input, hx, "GRUCell")
        if not batched:
            input = input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if batched else hx.unsqueeze(0))
        h = _step_gru(self._input_projection(input), hx, self.weight_hh.t(), self.bias_hh)
        return h if batched else h.squeeze(0)
