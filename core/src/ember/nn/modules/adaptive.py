"""AdaptiveLogSoftmaxWithLoss: the adaptive softmax of Grave et al. (2016), as torch's.

Example:
    >>> asm = nn.AdaptiveLogSoftmaxWithLoss(16, 10, cutoffs=[4, 8])
    >>> out, loss = asm(ember.randn(5, 16), ember.tensor([0, 3, 5, 8, 9]))
    >>> out.shape
    ember.Size([5])
"""

from __future__ import annotations

from collections import namedtuple
from typing import Sequence

import ember

from ..._tensor import Tensor
from .. import functional as F
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Efficient softmax approximation, as ``torch.nn.AdaptiveLogSoftmaxWithLoss``.

    The classes ``[0, cutoffs[0])`` (the shortlist) are scored by the ``head``, which
    also scores one entry per tail cluster; the classes of cluster ``i`` (between
    consecutive cutoffs) are scored by ``tail[i]``, a projection to
    ``in_features // div_value ** (i + 1)`` features followed by a linear layer, and
    their log-probabilities add the cluster's head log-probability.

    Args:
        in_features: number of features of the input.
        n_classes: number of classes.
        cutoffs: increasing cluster boundaries, each in ``[1, n_classes - 1]``.
        div_value: base of the exponent shrinking each cluster's projection (default 4.0).
        head_bias: whether the head has a bias (default False).

    ``forward(input, target)`` returns ``_ASMoutput(output, loss)``: the target's
    log-probability per example and their negated mean.

    Example:
        >>> asm = nn.AdaptiveLogSoftmaxWithLoss(8, 6, cutoffs=[2, 4], div_value=2.0)
        >>> ember.allclose(asm.log_prob(ember.randn(3, 8)).exp().sum(1), ember.ones(3))
        True
    """

    in_features: int
    n_classes: int
    cutoffs: list[int]
    div_value: float
    head_bias: bool
    head: Linear
    tail: ModuleList

    def __init__(self, in_features: int, n_classes: int, cutoffs: Sequence[int],
                 div_value: float = 4.0, head_bias: bool = False, device=None,
                 dtype=None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted "
                             "in an increasing order, where each value is between 1 and "
                             "n_classes-1")
        factory = dict(device=device, dtype=dtype)
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, **factory)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, **factory),
                                        Linear(hidden, size, bias=False, **factory)))

    def reset_parameters(self) -> None:
        """Re-initializes the head and every tail projection as at construction."""
        self.head.reset_parameters()
        for first, second in self.tail:
            first.reset_parameters()
            second.reset_parameters()

    def forward(self, input_: Tensor, target_: Tensor) -> _ASMoutput:
        if target_.dim() == 1:
            if input_.size(0) != target_.size(0):
                raise RuntimeError("Input and target should have the same size in the batch "
                                   "dimension.")
            if input_.dim() != 2:
                raise RuntimeError("1D target tensor expects 2D input tensors, but found "
                                   f"inputs with size {input_.size()}")
        elif target_.dim() == 0:
            if input_.dim() != 1:
                raise RuntimeError("0D target tensor expects 1D input tensors, but found "
                                   f"inputs with size {input_.size()}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = target_.dim() > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = target_ if batched else target_.unsqueeze(0)

        batch = target.size(0)
        output = input.new_zeros(batch)
        # which head entry each example's log-probability takes: its own class in the
        # shortlist, else its cluster's entry
        head_index = target.new_empty(batch)
        bounds = [0] + self.cutoffs
        used = 0
        for i in range(len(bounds) - 1):
            low, high = bounds[i], bounds[i + 1]
            in_range = (target >= low) & (target < high)
            rows = in_range.nonzero().squeeze()
            if rows.numel() == 0:
                continue
            if i == 0:
                head_index.index_copy_(0, rows, target[in_range])
            else:
                relative = target[in_range] - low
                cluster_logprob = F.log_softmax(self.tail[i - 1](input.index_select(0, rows)),
                                                dim=1)
                head_index.index_fill_(0, rows, self.shortlist_size + i - 1)
                output = output.index_copy(0, rows,
                                           cluster_logprob.gather(1, relative.unsqueeze(1))
                                           .squeeze(1))
            used += rows.numel()
        if used != batch:
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but "
                               f"values in range [{target.min().item()}, "
                               f"{target.max().item()}] were found. ")
        head_logprob = F.log_softmax(self.head(input), dim=1)
        output = output + head_logprob.gather(1, head_index.unsqueeze(1)).squeeze()
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        """The log-probabilities of all classes, given the head's output."""
        head_logprob = F.log_softmax(head_output, dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_logprob = F.log_softmax(self.tail[i](input), dim=1)
            parts.append(cluster_logprob
                         + head_logprob[:, self.shortlist_size + i].unsqueeze(1))
        return ember.cat(parts, dim=1)

    def log_prob(self, input: Tensor) -> Tensor:
        """The log-probabilities of every class, shape ``(N, n_classes)``.

        Example:
            >>> asm = nn.AdaptiveLogSoftmaxWithLoss(8, 6, cutoffs=[3])
            >>> asm.log_prob(ember.randn(2, 8)).shape
            ember.Size([2, 6])
        """
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:
        """The most probable class of each example, as ``log_prob(input).argmax(dim=1)``.

        Example:
            >>> asm = nn.AdaptiveLogSoftmaxWithLoss(8, 6, cutoffs=[3])
            >>> asm.predict(ember.randn(4, 8)).shape
            ember.Size([4])
        """
        head_output = self.head(input)
        output = ember.argmax(head_output, dim=1)
        outside = output >= self.shortlist_size
        if not outside.any():
            return output
        if outside.all():
            return ember.argmax(self._get_full_log_prob(input, head_output), dim=1)
        log_prob = self._get_full_log_prob(input[outside], head_output[outside])
        output[outside] = ember.argmax(log_prob, dim=1)
        return output
