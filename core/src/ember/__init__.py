"""Ember: tensors, autograd, nn, optim and data loading with PyTorch's API.

Example:
    >>> import ember
    >>> x = ember.randn(3, requires_grad=True)
    >>> (x * x).sum().backward()
    >>> ember.allclose(x.grad, 2 * x)
    True
"""

import math as _math
import os as _os

from . import _openblas

# With NumPy's bundled OpenBLAS, ember holds it to one thread and runs its GEMMs on our
# OpenMP threads (backends/blas.py), which then keep libgomp's default: spin a little after
# each kernel, so the next one starts at once (sleeping threads took 30-100 us to wake, half
# a small MLP step). Any other BLAS keeps its own thread pool; our threads then sleep between
# kernels, since two spinning pools on the same cores took turns starving each other (a
# GEMM and elementwise workload ran up to 60x slower on 2 cores). libgomp reads the policy
# when ember's C library loads; a value set by the user wins.
if "OMP_WAIT_POLICY" not in _os.environ and _openblas.find() is None:
    _os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    from . import _C  # noqa: E402,F401  (loads libgomp while the policy is set)
    del _os.environ["OMP_WAIT_POLICY"]

from . import _dtype
from ._device import device, get_default_device, set_default_device
from ._dtype import (bfloat16, can_cast, dtype, finfo, float16, float32, float64,
                     get_default_dtype, iinfo, int8, int16, int32, int64, promote_types,
                     set_default_dtype, uint8)
from ._dtype import bool_ as bool
from ._dtype import complex64, complex128
from ._generator import (Generator, default_generator, get_rng_state, initial_seed,
                         manual_seed, seed, set_rng_state)
from ._tensor import Size, Tensor
from ._layouts import (channels_last, channels_last_3d, contiguous_format, layout,
                       legacy_contiguous_format, memory_format, preserve_format, sparse_coo,
                       strided)
from .storage import StorageBase, TypedStorage, UntypedStorage, is_storage
from .storage import LEGACY_CPU as _LEGACY_STORAGES
from ._build_info import (compiled_with_cxx11_abi, has_lapack, has_mkl, has_openmp,
                          has_spectral)
from ._legacy_types import CPU_TYPES as _LEGACY_TYPES
from . import _tensor_methods  # noqa: F401  (binds ops to Tensor)
from ._tensor_str import set_printoptions
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled,
                                 is_inference_mode_enabled, no_grad, set_grad_enabled)
from .ops.activation import log_softmax, softmax
from .ops.creation import tril_indices, triu_indices
from .ops.creation import (arange, as_tensor, asarray, empty, empty_like, empty_strided, eye,
                           from_numpy, frombuffer, full,
                           full_like, linspace, logspace, ones, ones_like, scalar_tensor, tensor,
                           zeros, zeros_like)
from .ops.creation import empty_permuted, fill, from_file
from .ops.creation import range  # noqa: A004
from .ops.elementwise import *  # noqa: F403
from .ops.elementwise import abs, pow, round  # noqa: A004
from .ops.index import (argwhere, gather, index_add, index_copy, index_fill, index_put,
                        index_reduce, index_select, masked_fill, masked_scatter, masked_select,
                        nonzero, nonzero_static, put, scatter, scatter_add, scatter_reduce, take,
                        take_along_dim, unravel_index)
from .ops.join import (atleast_1d, atleast_2d, atleast_3d, block_diag, broadcast_shapes,
                       broadcast_tensors,
                       cartesian_prod, cat, column_stack, combinations, concat, concatenate,
                       diag, diag_embed, diagflat, dstack, flip, fliplr, flipud, hstack,
                       meshgrid, repeat_interleave, roll, rot90, row_stack, stack, tile, tril,
                       triu, vstack)
from .ops.distance import cdist
from .ops.linalg import (addbmm, addmm, addmv, addr, baddbmm, bmm, cross, dist, dot, einsum,
                         ger, inner, kron, matmul, mm, mv, outer, tensordot, trace, vdot)
from .ops.random import (_standard_gamma, _standard_gamma_grad, bernoulli, binomial,
                         multinomial, normal, poisson, rand, rand_like, randint, randint_like,
                         randn, randn_like, randperm)
from .ops.reduce import (all, amax, amin, aminmax, any, argmax, argmin, count_nonzero,
                         cummax, cummin, cumprod, cumsum, cumulative_trapezoid, diff,
                         frobenius_norm, gradient, logcumsumexp, logsumexp, max, mean, median,
                         min, mode, nanmean, nanmedian, nansum, norm, prod, renorm, std,
                         std_mean, sum, trapezoid, trapz, var, var_mean)
from .ops.sort import (argsort, bincount, bucketize, histc, kthvalue, msort, searchsorted, sort,
                       topk, unique, unique_consecutive)
from .ops.statistics import (corrcoef, cov, histogram, histogramdd, isin, nanquantile,
                             quantile)
from .ops.segment import segment_reduce
from .ops.control_flow import cond, while_loop
from .ops.views import (adjoint, as_strided, broadcast_to, chunk, clone, contiguous, diagonal,
                        dsplit, expand, expand_as, flatten, hsplit, movedim, moveaxis, narrow,
                        permute, ravel, reshape, select, split, split_with_sizes, squeeze,
                        swapaxes, swapdims, t, tensor_split, transpose, unbind, unflatten,
                        unsafe_chunk, unsafe_split, unsafe_split_with_sizes, unsqueeze, view,
                        vsplit)
from .ops.view_copies import *  # noqa: F403  (diagonal_copy, slice_scatter, ...)
from . import autograd, cuda, linalg, backends  # noqa: E402
from .backends import get_float32_matmul_precision, set_float32_matmul_precision
from ._compile import compile  # noqa: A004
from . import optim, utils  # noqa: E402  (optimizers and data loading, on top of the ops)
# how tensors cross processes (shared memory), registered at import as torch's is
from . import multiprocessing  # noqa: E402
from .serialization import load, save
from .ops._util import result_type
from ._threads import (get_num_interop_threads, get_num_threads, init_num_threads,
                       set_flush_denormal, set_num_interop_threads, set_num_threads)
from ._device import get_device_module
from ._legacy_types import set_default_tensor_type
from ._warn_always import is_warn_always_enabled, set_warn_always
from ._determinism import (are_deterministic_algorithms_enabled,  # noqa: E402
                           get_deterministic_debug_mode,
                           is_deterministic_algorithms_warn_only_enabled,
                           set_deterministic_debug_mode, use_deterministic_algorithms)
from .autograd.anomaly import (is_anomaly_check_nan_enabled,  # noqa: E402
                               is_anomaly_enabled, set_anomaly_enabled)
from . import nn  # noqa: E402  (after the ops it is built on)
# the functional ops torch also exports at its top level, with the same signatures
from .nn.functional import (adaptive_avg_pool1d, avg_pool1d, bilinear,  # noqa: E402
                            channel_shuffle, conv1d, conv2d, conv3d, conv_transpose1d,
                            conv_transpose2d, conv_transpose3d, cosine_similarity, max_pool1d,
                            max_pool2d, max_pool3d, pairwise_distance, pdist, pixel_shuffle,
                            pixel_unshuffle, relu_)
from .nn.native_forms import *  # noqa: F403,E402  (torch.dropout(input, p, train), ...)
from . import hub, safetensors  # noqa: E402
from . import amp  # noqa: E402  (mixed precision)
from .amp import GradScaler  # noqa: E402
from ._errors import AcceleratorError, OutOfMemoryError  # noqa: E402
from .amp.autocast_mode import (autocast, autocast_decrement_nesting,  # noqa: E402
                                autocast_increment_nesting, clear_autocast_cache,
                                get_autocast_cpu_dtype, get_autocast_dtype,
                                get_autocast_gpu_dtype, is_autocast_cache_enabled,
                                is_autocast_cpu_enabled, is_autocast_enabled,
                                set_autocast_cache_enabled, set_autocast_cpu_dtype,
                                set_autocast_cpu_enabled, set_autocast_dtype,
                                set_autocast_enabled, set_autocast_gpu_dtype)

from .ops.complex import (angle, complex, conj, imag, polar, real, view_as_complex,  # noqa: E402
                          view_as_real)
from .ops.spectral import (bartlett_window, blackman_window, hamming_window,  # noqa: E402
                           hann_window, istft, kaiser_window, stft)
from . import fft  # noqa: E402  (ember.fft, as torch.fft)
from . import sparse  # noqa: E402  (ember.sparse, as torch.sparse)
from .sparse._creation import sparse_coo_tensor  # noqa: E402
from . import special  # noqa: E402  (ember.special, as torch.special)
from . import signal  # noqa: E402  (ember.signal.windows, as torch.signal)
from . import func  # noqa: E402  (function transforms, as torch.func)
from . import random, testing  # noqa: E402  (as torch.random and torch.testing)
from . import distributions  # noqa: E402  (ember.distributions, as torch.distributions)
from . import masked  # noqa: E402  (ember.masked, as torch.masked)
# torch's platform modules: device-agnostic helpers, profiling, eager TorchScript stand-ins
from . import futures  # noqa: E402  (as torch.futures; ember.Future is its Future)
from .futures import Future  # noqa: E402
from . import accelerator, cpu, jit, profiler  # noqa: E402
# and the namespaces of device types ember has no backend for, which device-picking code asks
from . import compiler, functional, mps, mtia, types, version, xpu  # noqa: E402
from .utils.dlpack import from_dlpack, to_dlpack  # noqa: E402
from .func import vmap  # noqa: E402
from .special import multigammaln as mvlgamma  # noqa: E402
from .special import gammainc as igamma, gammaincc as igammac  # noqa: E402
from .ops.matrix_funcs import matrix_exp, matrix_power  # noqa: E402
from .ops.solve import (cholesky_inverse, cholesky_solve, det, inverse,  # noqa: E402
                        logdet, slogdet)
from .ops.lowrank import pca_lowrank, svd_lowrank  # noqa: E402
from .ops.decompositions import (chain_matmul, geqrf, lu_unpack, nuclear_norm,  # noqa: E402
                                 orgqr, ormqr, pinverse, triangular_solve)
# torch's older top-level spellings, whose arguments and results differ from ember.linalg's
from .ops.decompositions import cholesky_legacy as cholesky  # noqa: E402
from .ops.decompositions import lu_legacy as lu  # noqa: E402
from .ops.decompositions import lu_solve_legacy as lu_solve  # noqa: E402
from .ops.decompositions import qr_legacy as qr  # noqa: E402
from .ops.decompositions import svd_legacy as svd  # noqa: E402
from .ops.decompositions import vander_legacy as vander  # noqa: E402
from ._inplace_functions import *  # noqa: F403,E402  (torch.exp_(x) and the like)
from ._stream_event import Event, Stream  # noqa: E402
from ._lobpcg import lobpcg  # noqa: E402
from ._removed_functions import eig, lstsq, matrix_rank, solve, symeig  # noqa: E402
from .nn.native_layer_forms import *  # noqa: F403,E402  (embedding_bag, conv_tbc, ...)
from .nn.sync_batch_norm_ops import *  # noqa: F403,E402  (batch_norm_stats, ...)

globals().update(_LEGACY_TYPES)  # ember.FloatTensor, ember.LongTensor, ...
globals().update(_LEGACY_STORAGES)  # ember.FloatStorage, ember.LongStorage, ...
conj_physical = conj
pi = _math.pi
e = _math.e
inf = _math.inf
nan = _math.nan
newaxis = None
float = float32
double = float64
cfloat = complex64
cdouble = complex128
half = float16
short = int16
int = int32
long = int64

from .version import __version__  # noqa: E402  (ember.version holds it, as torch.version)


def is_tensor(obj):
    """Whether obj is an ember Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.dtype.is_floating_point


def is_complex(input):
    """Whether input's dtype is complex64 or complex128."""
    return input.dtype.is_complex


def numel(input):
    return input.numel()


def detach(input):
    """input.detach(): the same memory, outside the graph."""
    return input.detach()


def resolve_conj(input):
    """input itself: ember has no lazy conjugate bit to resolve."""
    return input


def resolve_neg(input):
    """input itself: ember has no lazy negative bit to resolve."""
    return input


def is_conj(input) -> bool:
    return False


def is_neg(input) -> bool:
    return False


def get_device(input) -> int:
    """input's CUDA device index, or -1 on the CPU."""
    return input.get_device()


def typename(obj) -> str:
    """A tensor's type string (``ember.FloatTensor``), else obj's qualified class name."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = obj if isinstance(obj, type) else obj.__class__
    module = getattr(cls, "__module__", "") or ""
    return cls.__qualname__ if module in ("", "builtins") else f"{module}.{cls.__qualname__}"


def is_inference(input) -> bool:
    """input.is_inference(): whether input was made under ember.inference_mode."""
    if not isinstance(input, Tensor):
        raise TypeError(f"is_inference(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return input.is_inference()


def is_nonzero(input) -> bool:
    """Whether a one-element tensor is nonzero; more or fewer elements raise, as in torch."""
    return input.__bool__()


def is_same_size(input, other) -> bool:
    return input.shape == other.shape


def is_signed(input) -> bool:
    return input.is_signed()


def __getattr__(name: str):
    # ember.Storage follows the default dtype, so it is looked up when asked
    if name == "Storage":
        from .storage import default_storage_class
        return default_storage_class()
    raise AttributeError(f"module 'ember' has no attribute '{name}'")
