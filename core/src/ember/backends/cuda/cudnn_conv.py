"""cuDNN's convolutions for the CUDA backend.

Where cuDNN's library loads (``cudnn_library.py``), ember runs each convolution pass
(forward, backward data, backward filter) as a one-operation cuDNN graph, the API torch
uses: per geometry, dtype and math flags, the engine configurations cuDNN's heuristics
rank are tried in order and the first whose execution plan builds is kept (under
``cudnn.benchmark``, every one is timed on the first call's operands and the fastest
kept); each call then only binds the operands' addresses and the workspace. (cuDNN 9's
older per-call API picks the same kernels but spent ~240 us of host time on every call,
more than a ResNet-18 step's kernels took.)

Where the library does not load, ``ember.backends.cudnn.enabled`` is False, or no engine
takes a geometry, convolutions keep the im2col and cuBLAS path in ``__init__.py``: still
the GPU, never the CPU.
"""

from __future__ import annotations

from ... import _dtype as D
from ..._determinism import are_deterministic_algorithms_enabled
from .. import cudnn as flags
from .cudnn_library import CudnnError, check, load


# cudnnDataType_t of each dtype cuDNN convolves, and the type it accumulates in
_DATA_TYPE = {"float32": 0, "float64": 1, "float16": 2, "bfloat16": 9}
_COMPUTE_TYPE = {"float32": 0, "float64": 1, "float16": 0, "bfloat16": 0}
# cuDNN counts a tensor's elements in int; larger tensors keep the im2col path
_MAX_ELEMENTS = 2 ** 31 - 1
_ALIGNMENT = 16  # bytes: every operand's address, declared to cuDNN as the tensors' own
_MAX_PLANS = 1024  # distinct geometries kept; a program sweeping more starts afresh
_MAX_PACKS = 8  # variant packs kept per plan, the oldest dropped first

# cudnnBackendDescriptorType_t
(_CONVOLUTION, _ENGINE, _ENGINECFG, _ENGINEHEUR, _EXECUTION_PLAN, _OPERATIONGRAPH,
 _VARIANT_PACK, _TENSOR) = 1, 2, 3, 4, 5, 15, 16, 17
# cudnnBackendAttributeType_t
(_T_HANDLE, _T_DATA_TYPE, _T_INT64, _T_FLOAT, _T_DOUBLE, _T_VOID_PTR, _T_CONV_MODE,
 _T_HEUR_MODE, _T_NUMERICAL_NOTE, _T_DESCRIPTOR, _T_BEHAVIOR_NOTE) = (
    0, 1, 3, 4, 5, 6, 7, 8, 11, 15, 19)
# cudnnBackendAttributeName_t (cudnn_graph.h)
_TENSOR_ALIGNMENT, _TENSOR_DATA_TYPE, _TENSOR_DIMS, _TENSOR_STRIDES, _TENSOR_UID = (
    900, 901, 902, 903, 906)
(_CONV_COMPUTE_TYPE, _CONV_MODE, _CONV_DILATIONS, _CONV_STRIDES, _CONV_POST_PADDINGS,
 _CONV_PRE_PADDINGS, _CONV_SPATIAL_DIMS) = 100, 101, 102, 103, 104, 105, 106
_GRAPH_HANDLE, _GRAPH_OPS = 800, 801
_HEUR_MODE, _HEUR_GRAPH, _HEUR_RESULTS = 200, 201, 202
_CONFIG_ENGINE, _ENGINE_NUMERICAL_NOTES, _ENGINE_BEHAVIOR_NOTES = 300, 1303, 1305
_PLAN_HANDLE, _PLAN_CONFIG, _PLAN_WORKSPACE = 400, 401, 402
_PACK_UIDS, _PACK_POINTERS, _PACK_WORKSPACE = 1000, 1001, 1003
_CROSS_CORRELATION = 1
_HEUR_MODE_INSTANT, _HEUR_MODE_FALLBACK = 0, 2
_NOTE_TENSOR_CORE, _NOTE_DOWN_CONVERT_INPUTS, _NOTE_NONDETERMINISTIC = 0, 1, 4
_BEHAVIOR_RUNTIME_COMPILATION = 0

# the three passes: (operation descriptor type, attribute ids of alpha, beta, conv, and
# of the x, w, y tensors in that order)
_FORWARD, _BACKWARD_DATA, _BACKWARD_FILTER = 0, 1, 2
_OPERATION = {
    _FORWARD: (10, 700, 701, 702, (704, 703, 705)),
    _BACKWARD_DATA: (12, 706, 707, 708, (710, 709, 711)),
    _BACKWARD_FILTER: (11, 712, 713, 714, (716, 715, 717)),
}
_UIDS = (1, 2, 3)  # x, w, y in every variant pack

_handles: dict = {}  # device index -> cudnnHandle_t
_plans: dict = {}  # geometry key -> _Plan, or None where no engine takes it


def usable(*tensors) -> bool:
    """Whether cuDNN may take these contiguous operands: the library loaded, the flag is
    on, a dtype it convolves, no empty dim, int-sized and aligned."""
    if not flags.enabled or tensors[0]._dtype.name not in _DATA_TYPE or load()[1] is None:
        return False
    for t in tensors:
        if 0 in t._shape or t.numel() > _MAX_ELEMENTS or _address(t) % _ALIGNMENT:
            return False
    return True


def _address(t) -> int:
    return t._storage.ptr + t._offset * t._dtype.itemsize


def _handle(cp, device_index: int):
    """This device's cuDNN handle, bound to CuPy's current stream."""
    ffi, lib = load()
    h = _handles.get(device_index)
    if h is None:
        box = ffi.new("cudnnHandle_t *")
        check(lib.cudnnCreate(box))  # on the current device: callers hold its context
        h = _handles[device_index] = box[0]
    check(lib.cudnnSetStream(h, ffi.cast("void *", cp.cuda.get_current_stream().ptr)))
    return h


class _Descriptors:
    """The backend descriptors of one plan, destroyed together (a plan keeps what it was
    built from alive, as cuDNN's frontend does)."""

    def __init__(self, ffi, lib):
        self.ffi, self.lib, self.made = ffi, lib, []

    def make(self, kind: int, attributes=(), finalize: bool = True):
        """A descriptor of kind with (name, type, ctype, values) attributes set."""
        box = self.ffi.new("cudnnBackendDescriptor_t *")
        check(self.lib.cudnnBackendCreateDescriptor(kind, box))
        self.made.append(box[0])
        for name, kind_of, ctype, values in attributes:
            self.set(box[0], name, kind_of, ctype, values)
        if finalize:
            check(self.lib.cudnnBackendFinalize(box[0]))
        return box[0]

    def set(self, desc, name, kind_of, ctype, values) -> None:
        array = self.ffi.new(f"{ctype}[]", list(values))
        check(self.lib.cudnnBackendSetAttribute(desc, name, kind_of, len(values), array))

    def destroy(self) -> None:
        for desc in self.made:
            self.lib.cudnnBackendDestroyDescriptor(desc)
        self.made = []


def _notes(made: _Descriptors, config):
    """(numerical notes, behavior notes) of an engine configuration's engine."""
    ffi, lib = made.ffi, made.lib
    engine = made.make(_ENGINE, finalize=False)
    count = ffi.new("int64_t *")
    box = ffi.new("cudnnBackendDescriptor_t[1]", [engine])
    check(lib.cudnnBackendGetAttribute(config, _CONFIG_ENGINE, _T_DESCRIPTOR, 1, count, box))
    found = []
    for name, kind_of in ((_ENGINE_NUMERICAL_NOTES, _T_NUMERICAL_NOTE),
                          (_ENGINE_BEHAVIOR_NOTES, _T_BEHAVIOR_NOTE)):
        values = ffi.new("int[16]")
        check(lib.cudnnBackendGetAttribute(engine, name, kind_of, 16, count, values))
        found.append(set(values[0:count[0]]))
    return found


class _Plan:
    """One pass of one convolution geometry: its execution plan, the workspace it needs,
    the descriptors it was built from, and variant packs by operand addresses (a
    training loop's layers see the same few addresses from CuPy's pool step after
    step, and a finalized pack costs ~11 us to build)."""

    __slots__ = ("plan", "workspace", "ids", "descriptors", "packs")

    def __init__(self, plan, workspace: int, ids, descriptors: _Descriptors):
        self.plan, self.workspace, self.ids = plan, workspace, ids
        self.descriptors = descriptors
        self.packs: dict = {}

    def pack(self, ffi, lib, addresses: tuple):
        """The finalized variant pack binding addresses (x, w, y, workspace)."""
        pack = self.packs.get(addresses)
        if pack is None:
            if len(self.packs) >= _MAX_PACKS:
                lib.cudnnBackendDestroyDescriptor(self.packs.pop(next(iter(self.packs))))
            box = ffi.new("cudnnBackendDescriptor_t *")
            check(lib.cudnnBackendCreateDescriptor(_VARIANT_PACK, box))
            pack = box[0]
            try:
                pointers = ffi.new("void *[3]", [ffi.cast("void *", a) for a in addresses[:3]])
                workspace = ffi.new("void *[1]", [ffi.cast("void *", addresses[3])])
                check(lib.cudnnBackendSetAttribute(pack, _PACK_UIDS, _T_INT64, 3, self.ids))
                check(lib.cudnnBackendSetAttribute(pack, _PACK_POINTERS, _T_VOID_PTR, 3,
                                                    pointers))
                check(lib.cudnnBackendSetAttribute(pack, _PACK_WORKSPACE, _T_VOID_PTR, 1,
                                                    workspace))
                check(lib.cudnnBackendFinalize(pack))
            except CudnnError:
                lib.cudnnBackendDestroyDescriptor(pack)
                raise
            self.packs[addresses] = pack
        return pack

    def destroy(self, lib) -> None:
        for pack in self.packs.values():
            lib.cudnnBackendDestroyDescriptor(pack)
        self.packs.clear()
        self.descriptors.destroy()


def _build(cp, handle, which, dtype, shapes, stride, padding, dilation,
           addresses: tuple) -> _Plan | None:
    """The pass as a one-operation graph, run by the first engine configuration cuDNN's
    heuristics rank (instant mode, then its fallback list) that ember's flags allow and
    whose plan builds; under ``cudnn.benchmark``, by the fastest of them all on the
    operands at addresses (x, w, y), as torch's benchmark mode times them. None where no
    engine takes the graph."""
    ffi, lib = load()
    made = _Descriptors(ffi, lib)
    kind, compute = _DATA_TYPE[dtype.name], _COMPUTE_TYPE[dtype.name]
    try:
        tensors = []
        for uid, shape in zip(_UIDS, shapes):
            strides, step = [], 1
            for n in reversed(shape):
                strides.insert(0, step)
                step *= n
            tensors.append(made.make(_TENSOR, (
                (_TENSOR_DATA_TYPE, _T_DATA_TYPE, "int", [kind]),
                (_TENSOR_DIMS, _T_INT64, "int64_t", shape),
                (_TENSOR_STRIDES, _T_INT64, "int64_t", strides),
                (_TENSOR_UID, _T_INT64, "int64_t", [uid]),
                (_TENSOR_ALIGNMENT, _T_INT64, "int64_t", [_ALIGNMENT]))))
        conv = made.make(_CONVOLUTION, (
            (_CONV_COMPUTE_TYPE, _T_DATA_TYPE, "int", [compute]),
            (_CONV_MODE, _T_CONV_MODE, "int", [_CROSS_CORRELATION]),
            (_CONV_SPATIAL_DIMS, _T_INT64, "int64_t", [2]),
            (_CONV_DILATIONS, _T_INT64, "int64_t", dilation),
            (_CONV_STRIDES, _T_INT64, "int64_t", stride),
            (_CONV_PRE_PADDINGS, _T_INT64, "int64_t", padding),
            (_CONV_POST_PADDINGS, _T_INT64, "int64_t", padding)))
        op_kind, alpha, beta, conv_attr, tensor_attrs = _OPERATION[which]
        scalar, ctype = (_T_DOUBLE, "double") if dtype is D.float64 else (_T_FLOAT, "float")
        operation = made.make(op_kind, (
            (alpha, scalar, ctype, [1.0]), (beta, scalar, ctype, [0.0]),
            (conv_attr, _T_DESCRIPTOR, "cudnnBackendDescriptor_t", [conv]),
            *((attr, _T_DESCRIPTOR, "cudnnBackendDescriptor_t", [t])
              for attr, t in zip(tensor_attrs, tensors))))
        graph = made.make(_OPERATIONGRAPH, (
            (_GRAPH_HANDLE, _T_HANDLE, "cudnnHandle_t", [handle]),
            (_GRAPH_OPS, _T_DESCRIPTOR, "cudnnBackendDescriptor_t", [operation])))
        candidates = (plan for mode in (_HEUR_MODE_INSTANT, _HEUR_MODE_FALLBACK)
                      for plan in _plans_of(made, handle, graph, mode, dtype))
        if not flags.benchmark:
            plan = next(candidates, None)
            if plan is not None:
                return plan
        else:
            timed = [(_time(cp, handle, plan, addresses), plan) for plan in candidates]
            timed = [(ms, plan) for ms, plan in timed if ms is not None]
            if timed:
                return min(timed, key=lambda pair: pair[0])[1]
    except CudnnError:
        pass  # a geometry the graph API refuses: the im2col path takes it
    made.destroy()
    return None


def _time(cp, handle, plan: _Plan, addresses: tuple) -> float | None:
    """The least of three timed runs of plan on the operands (ms), after one untimed; None
    where it fails to run or its workspace does not fit."""
    ffi, lib = load()
    try:
        space = cp.cuda.alloc(plan.workspace) if plan.workspace else None
        pack = plan.pack(ffi, lib, (*addresses, space.ptr if space is not None else 0))
        check(lib.cudnnBackendExecute(handle, plan.plan, pack))
        best = None
        for _ in range(3):
            start, end = cp.cuda.Event(), cp.cuda.Event()
            start.record()
            check(lib.cudnnBackendExecute(handle, plan.plan, pack))
            end.record()
            end.synchronize()
            ms = cp.cuda.get_elapsed_time(start, end)
            best = ms if best is None else min(best, ms)
        return best
    except (CudnnError, cp.cuda.memory.OutOfMemoryError):
        return None


def _plans_of(made: _Descriptors, handle, graph, mode: int, dtype):
    """The plans of the engine configurations heuristics mode ranks for graph, in its
    order, that ember's flags allow and that build."""
    ffi, lib = made.ffi, made.lib
    heuristics = made.make(_ENGINEHEUR, (
        (_HEUR_GRAPH, _T_DESCRIPTOR, "cudnnBackendDescriptor_t", [graph]),
        (_HEUR_MODE, _T_HEUR_MODE, "int", [mode])))
    count = ffi.new("int64_t *")
    check(lib.cudnnBackendGetAttribute(heuristics, _HEUR_RESULTS, _T_DESCRIPTOR, 0, count,
                                        ffi.NULL))
    configs = [made.make(_ENGINECFG, finalize=False) for _ in range(count[0])]
    if not configs:
        return
    array = ffi.new("cudnnBackendDescriptor_t[]", configs)
    check(lib.cudnnBackendGetAttribute(heuristics, _HEUR_RESULTS, _T_DESCRIPTOR,
                                        len(configs), count, array))
    deterministic = flags.deterministic or are_deterministic_algorithms_enabled()
    exact_float32 = dtype is D.float32 and not flags.allow_tf32
    for config in array[0:count[0]]:
        numerical, behavior = _notes(made, config)
        if (_NOTE_DOWN_CONVERT_INPUTS in numerical
                or (deterministic and _NOTE_NONDETERMINISTIC in numerical)
                or (exact_float32 and _NOTE_TENSOR_CORE in numerical)
                or _BEHAVIOR_RUNTIME_COMPILATION in behavior):
            continue
        try:
            plan = made.make(_EXECUTION_PLAN, (
                (_PLAN_HANDLE, _T_HANDLE, "cudnnHandle_t", [handle]),
                (_PLAN_CONFIG, _T_DESCRIPTOR, "cudnnBackendDescriptor_t", [config])))
            size = ffi.new("int64_t[1]")
            check(lib.cudnnBackendGetAttribute(plan, _PLAN_WORKSPACE, _T_INT64, 1, count,
                                                size))
        except CudnnError:
            continue  # this engine cannot run the graph here: the next one
        yield _Plan(plan, int(size[0]), ffi.new("int64_t[3]", _UIDS), made)


def _plan(cp, handle, which, x, w, y, stride, padding, dilation, device: int):
    key = (which, x._dtype.name, (x._shape, w._shape, y._shape), tuple(stride),
           tuple(padding), tuple(dilation), flags.allow_tf32, flags.deterministic,
           are_deterministic_algorithms_enabled(), flags.benchmark, device)
    if key in _plans:
        return _plans[key]
    if len(_plans) >= _MAX_PLANS:
        _forget_plans()
    plan = _plans[key] = _build(cp, handle, which, x._dtype, key[2], stride, padding,
                                dilation, (_address(x), _address(w), _address(y)))
    return plan


def _forget_plans() -> None:
    _, lib = load()
    for plan in _plans.values():
        if plan is not None:
            plan.destroy(lib)
    _plans.clear()


def _run(cp, which, x, w, y, stride, padding, dilation) -> bool:
    """One pass of the convolution y = conv(x, w): forward writes y, backward data writes
    x from y, backward filter writes w from x and y (all contiguous NCHW / OIHW; groups
    are w's channels dividing x's). False where no engine takes it."""
    ffi, lib = load()
    device = x._storage.device.index or 0
    handle = _handle(cp, device)
    plan = _plan(cp, handle, which, x, w, y, stride, padding, dilation, device)
    if plan is None:
        return False
    space = cp.cuda.alloc(plan.workspace) if plan.workspace else None
    pack = plan.pack(ffi, lib, (_address(x), _address(w), _address(y),
                                space.ptr if space is not None else 0))
    check(lib.cudnnBackendExecute(handle, plan.plan, pack))
    del space  # back to CuPy's pool, reused only by work queued after this call
    return True


def forward(cp, x, w, y, stride, padding, dilation) -> bool:
    """y = conv(x, w); False where cuDNN has no engine for it."""
    return _run(cp, _FORWARD, x, w, y, stride, padding, dilation)


def backward_data(cp, dy, w, dx, stride, padding, dilation) -> bool:
    """dx = the adjoint of conv(., w) applied to dy; False where cuDNN has no engine."""
    return _run(cp, _BACKWARD_DATA, dx, w, dy, stride, padding, dilation)


def backward_filter(cp, x, dy, dw, stride, padding, dilation) -> bool:
    """dw = d<dy, conv(x, w)>/dw; False where cuDNN has no engine for it."""
    return _run(cp, _BACKWARD_FILTER, x, dw, dy, stride, padding, dilation)
