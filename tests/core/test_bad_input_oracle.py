"""Bad arguments raise the exception type torch raises, instead of a quiet result.

Each case found by calling ember and torch side by side with random invalid arguments
(out-of-range dims on scalars, index tensors of the wrong rank, dtype or sign, values that
do not fit the indexed places, sliding-block geometry that does not add up, strided views
reaching before their storage, negative counts): ember used to return something where torch
refuses, and a negative as_strided stride read memory before the tensor's.
"""

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.oracle

import ember  # noqa: E402

F = {ember: ember.nn.functional, torch: torch.nn.functional}

CASES = {
    # a 0-d tensor has dims -1 and 0 only
    "sort a scalar along dim 2": lambda m: m.sort(m.tensor(3.0), 2),
    "cumsum a scalar along dim 5": lambda m: m.cumsum(m.tensor(3.0), 5),
    "cummax a scalar along dim -2": lambda m: m.cummax(m.tensor(3.0), -2),
    "topk of a scalar along dim 1": lambda m: m.topk(m.tensor(3.0), 1, 1),
    "kthvalue of a scalar along dim -3": lambda m: m.kthvalue(m.tensor(3.0), 1, -3),
    "unfold a scalar along dim -7": lambda m: m.tensor(3.0).unfold(-7, 1, 1),
    # index tensors
    "take with float indices": lambda m: m.take(m.arange(6.0), m.tensor([1.7, 2.2])),
    "take with int32 indices": lambda m: m.take(m.arange(6.0), m.tensor([1], dtype=m.int32)),
    "index_select with a negative index": lambda m: m.index_select(m.arange(3.0), 0,
                                                                   m.tensor([-1])),
    "index_select of a scalar with no index": lambda m: m.index_select(
        m.tensor(5.0), 0, m.zeros(0, dtype=m.int64)),
    "index_add with a matrix of indices": lambda m: m.zeros(3, 2).index_add(
        0, m.tensor([[0, 1]]), m.ones(2, 2)),
    "index_add with a negative index": lambda m: m.zeros(3).index_add(0, m.tensor([-1]),
                                                                      m.ones(1)),
    "index_add with float indices": lambda m: m.zeros(3).index_add(0, m.tensor([1.0]),
                                                                   m.ones(1)),
    "index_copy with a negative index": lambda m: m.zeros(3).index_copy(0, m.tensor([-1]),
                                                                        m.ones(1)),
    # values that do not fit the indexed places (scatter_reduce read past a short src)
    "scatter_reduce from a src shorter than the index": lambda m: m.zeros(5).scatter_reduce(
        0, m.tensor([0, 1, 2, 3, 4]), m.ones(2), "amax"),
    "scatter_add from a src shorter than the index": lambda m: m.zeros(5).scatter_add(
        0, m.tensor([0, 1, 2, 3, 4]), m.ones(2)),
    "index_copy of one row to two indices": lambda m: m.zeros(5, 3).index_copy(
        0, m.tensor([0, 1]), m.ones(1, 3)),
    "index_put_ of 3 values into 2 places": lambda m: m.zeros(3).index_put_(
        (m.tensor([0, 1]),), m.ones(3)),
    "setitem of 3 values into 2 places": lambda m: m.zeros(3).__setitem__(m.tensor([0, 1]),
                                                                          m.ones(3)),
    "setitem of a 2x3 block into 6 places": lambda m: m.zeros(6).__setitem__(m.arange(6),
                                                                             m.ones(2, 3)),
    # sliding blocks
    "fold with channels not a multiple of the kernel": lambda m: F[m].fold(m.ones(1, 5, 4),
                                                                           (3, 3), 2),
    "fold with too few blocks": lambda m: F[m].fold(m.ones(1, 4, 3), (3, 3), 2),
    "fold with too many blocks": lambda m: F[m].fold(m.ones(1, 4, 30), (3, 3), 2),
    "unfold with a kernel larger than the input": lambda m: F[m].unfold(m.ones(1, 1, 2, 2), 3),
    "unfold with stride 0": lambda m: F[m].unfold(m.ones(1, 1, 4, 4), 2, stride=0),
    # views that would reach outside their storage
    "as_strided with a negative stride": lambda m: m.arange(3.0).as_strided((2,), (-1,)),
    "as_strided with a negative size": lambda m: m.arange(3.0).as_strided((3, -1), (0, 2)),
    "as_strided past the storage": lambda m: m.arange(3.0).as_strided((2,), (1,), 5),
    "Tensor.unfold with a negative size": lambda m: m.arange(4.0).unfold(0, -1, 1),
    # counts that cannot be negative
    "histc with no bins": lambda m: m.histc(m.arange(4.0), 0),
    "bincount with a negative minlength": lambda m: m.bincount(m.tensor([1]), minlength=-1),
    "repeat_interleave with a negative count": lambda m: m.repeat_interleave(m.arange(4.0), -1),
    "repeat_interleave with a negative entry": lambda m: m.repeat_interleave(
        m.arange(4.0), m.tensor([1, -1, 1, 1])),
    # per-channel and per-class parameters of the wrong length (batch norm's kernels read
    # one value per channel past the end of a short one)
    "batch_norm with short running stats": lambda m: F[m].batch_norm(
        m.ones(2, 3, 4), m.zeros(2), m.ones(2), training=False),
    "batch_norm training with a short weight": lambda m: F[m].batch_norm(
        m.ones(2, 3, 4), None, None, m.ones(2), m.ones(2), training=True),
    "nll_loss with a weight per 2 of 3 classes": lambda m: F[m].nll_loss(
        m.zeros(2, 3), m.tensor([2, 2]), weight=m.ones(2)),
    "multi_margin_loss with a short weight": lambda m: F[m].multi_margin_loss(
        m.zeros(2, 3), m.tensor([2, 2]), weight=m.ones(2)),
    # CTC lengths that the targets or inputs cannot hold
    "ctc_loss with target lengths past the padded targets": lambda m: F[m].ctc_loss(
        m.zeros(5, 1, 4).log_softmax(2), m.tensor([[1, 2]]), m.tensor([5]), m.tensor([4])),
    "ctc_loss with target lengths past the concatenated targets": lambda m: F[m].ctc_loss(
        m.zeros(5, 2, 4).log_softmax(2), m.tensor([1, 2, 1]), m.tensor([5, 5]), m.tensor([2, 3])),
    "ctc_loss with a negative input length": lambda m: F[m].ctc_loss(
        m.zeros(5, 1, 4).log_softmax(2), m.tensor([[1, 2]]), m.tensor([-2]), m.tensor([2])),
    "narrow with a negative length": lambda m: m.arange(5.0).narrow(0, 1, -1),
    "narrow past the end": lambda m: m.arange(5.0).narrow(0, 3, 3),
    # others
    "bilinear interpolation of a 3-D input": lambda m: F[m].interpolate(
        m.ones(1, 1, 4), scale_factor=2, mode="bilinear"),
    "linear interpolation of a 4-D input": lambda m: F[m].interpolate(
        m.ones(1, 1, 4, 4), scale_factor=2, mode="linear"),
    "embedding from a 3-D weight": lambda m: F[m].embedding(m.zeros(0, dtype=m.int64),
                                                            m.ones(2, 1, 2)),
    "one_hot of an empty tensor without num_classes": lambda m: F[m].one_hot(
        m.zeros(0, dtype=m.int64)),
    "multinomial of integer weights": lambda m: m.multinomial(m.tensor([1, 2, 3]), 2),
}


def _step_with_short_grad(m):
    """A gradient swapped for a shorter one through .data: the fused update read past it."""
    p = m.nn.Parameter(m.ones(6))
    (p * 2).sum().backward()
    p.grad.data = m.ones(2)
    m.optim.Adam([p]).step()


def _step_with_short_momentum(m):
    """A loaded optimizer state whose momentum buffer is shorter than its parameter."""
    p = m.nn.Parameter(m.ones(5))
    opt = m.optim.SGD([p], lr=0.1, momentum=0.9)
    (p * 2).sum().backward()
    opt.step()
    state = opt.state_dict()
    state["state"][0]["momentum_buffer"] = m.ones(2)
    opt.load_state_dict(state)
    opt.step()


CASES["Adam step with a gradient shorter than its parameter"] = _step_with_short_grad
CASES["SGD step with a momentum buffer shorter than its parameter"] = _step_with_short_momentum


CASES.update({
    "cross of vectors of length 4": lambda m: m.linalg.cross(m.ones(4), m.ones(4)),
    "cross of different ranks": lambda m: m.linalg.cross(m.ones(2, 1, 3), m.ones(4, 3)),
    "cross of float and double": lambda m: m.linalg.cross(m.ones(3),
                                                          m.ones(3, dtype=m.float64)),
    "cross of bools": lambda m: m.linalg.cross(m.ones(3, dtype=m.bool), m.ones(3, dtype=m.bool)),
    "cross with no dim of size 3": lambda m: m.cross(m.ones(2, 4), m.ones(2, 4)),
    "cross along a dim out of range": lambda m: m.linalg.cross(m.ones(3), m.ones(3), dim=2),
    "cdist of vectors": lambda m: m.cdist(m.ones(3), m.ones(3)),
    "cdist of rows of different lengths": lambda m: m.cdist(m.ones(3, 2), m.ones(3, 3)),
    "cdist of integers": lambda m: m.cdist(m.ones(3, 2, dtype=m.int64),
                                           m.ones(3, 2, dtype=m.int64)),
    "cdist with a negative p": lambda m: m.cdist(m.ones(3, 2), m.ones(3, 2), p=-1),
    "cdist with an unknown compute_mode": lambda m: m.cdist(m.ones(3, 2), m.ones(3, 2),
                                                            compute_mode="fast"),
    "local_response_norm of a matrix": lambda m: F[m].local_response_norm(m.ones(2, 3), 2),
    "hsplit into sections that do not divide": lambda m: m.hsplit(m.ones(2, 4), 3),
    "vsplit of a vector": lambda m: m.vsplit(m.ones(4), 2),
    "dsplit of a matrix": lambda m: m.dsplit(m.ones(2, 4), 2),
    "block_diag of a 3-d tensor": lambda m: m.block_diag(m.ones(2, 2, 2)),
    "cartesian_prod of a matrix": lambda m: m.cartesian_prod(m.ones(2, 2), m.ones(2)),
    "combinations of a matrix": lambda m: m.combinations(m.ones(2, 2)),
    "diff of a scalar": lambda m: m.diff(m.tensor(1.0)),
    "diff of negative order": lambda m: m.diff(m.ones(3), n=-1),
    "fill_diagonal_ of a vector": lambda m: m.zeros(3).fill_diagonal_(1.0),
    "fill_diagonal_ of an uneven cube": lambda m: m.zeros(2, 3, 2).fill_diagonal_(1.0),
    "trapezoid with x of the wrong length": lambda m: m.trapezoid(m.ones(4), m.ones(3)),
    "dist of integers": lambda m: m.dist(m.ones(3, dtype=m.int64), m.zeros(3, dtype=m.int64)),
    "frexp of integers": lambda m: m.frexp(m.ones(3, dtype=m.int64)),
    "matrix_power of a vector": lambda m: m.linalg.matrix_power(m.ones(3), 2),
    "matrix_power of a non-square matrix": lambda m: m.linalg.matrix_power(m.ones(2, 3), 2),
    "matrix_power -1 of integers": lambda m: m.linalg.matrix_power(
        m.ones(2, 2, dtype=m.int64), -1),
})


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_raises_what_torch_raises(case):
    call = CASES[case]
    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(type(expected.value)):
        call(ember)


def test_the_valid_neighbours_still_agree():
    """What stays allowed: dim -1 of a scalar, negative indices where torch wraps them, a
    scalar index_select keeping its 0-d shape, a fold whose blocks add up."""
    for m in (ember, torch):
        assert m.cumsum(m.tensor(3.0), -1).item() == 3.0
        assert m.take(m.arange(6.0), m.tensor([-1, 2])).tolist() == [5.0, 2.0]
        assert m.zeros(3).index_fill(0, m.tensor([-1]), 1.0).tolist() == [0.0, 0.0, 1.0]
        assert m.zeros(3).index_add(0, m.tensor([2, 0]), m.ones(2)).tolist() == [1.0, 0.0, 1.0]
        picked = m.index_select(m.tensor(5.0), 0, m.tensor([0]))
        assert picked.shape == () and picked.item() == 5.0
        assert F[m].fold(m.ones(1, 4, 4), (3, 3), 2).sum().item() == 16.0
        assert m.amax(m.zeros(0, 4, 3), 2).shape == (0, 4)
        assert F[m].local_response_norm(m.zeros(0, 3, 4), 2).shape == (0, 3, 4)


def test_cdist_gradient_at_zero_distance_is_zero():
    """A point's distance to itself has no gradient in torch (its formula divides by the
    distance); both of ember's ways of computing cdist agree."""
    points = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]
    for mode in ("use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        for p in (2.0, 3.0):
            grads = []
            for m in (ember, torch):
                x = m.tensor(points, dtype=m.float64, requires_grad=True)
                y = m.tensor(points[:1], dtype=m.float64, requires_grad=True)
                m.cdist(x, y, p=p, compute_mode=mode).sum().backward()
                grads.append(x.grad.tolist() + y.grad.tolist())
            ours, theirs = (sum(g, []) for g in grads)
            assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12), (mode, p)
            assert ours[:3] == [0.0, 0.0, 0.0]
