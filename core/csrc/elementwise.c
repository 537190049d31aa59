/* Elementwise dispatch: copy/cast, fill, unary math, predicates, binary arithmetic,
 * comparisons and where. The per-dtype loops are one template
 * (templates/elementwise.inc) instantiated in elementwise_float.c and
 * elementwise_int.c, which compile in parallel. */
#include "em_internal.h"

static const int em_itemsize[10] = {4, 8, 2, 2, 1, 2, 4, 8, 1, 1};

/* Same-dtype copies only move bytes, so they go through one loop per item size. */
static EM_HOT int em_copy_bytes(int size, int ndim, const int64_t *shape, const void *x,
                                const int64_t *xst, void *y, const int64_t *yst) {
    switch (size) {
    case 1: EM_LOOP_1_1(uint8_t, uint8_t, x, xst, y, yst, *yo = xv); return EM_OK;
    case 2: EM_LOOP_1_1(uint16_t, uint16_t, x, xst, y, yst, *yo = xv); return EM_OK;
    case 4: EM_LOOP_1_1(uint32_t, uint32_t, x, xst, y, yst, *yo = xv); return EM_OK;
    case 8: EM_LOOP_1_1(uint64_t, uint64_t, x, xst, y, yst, *yo = xv); return EM_OK;
    default: return EM_EDTYPE;
    }
}

int em_copy(int src_dtype, int dst_dtype, int ndim, const int64_t *shape, const void *src,
            const int64_t *src_strides, void *dst, const int64_t *dst_strides) {
    if (em_check_dims(ndim, shape)) return EM_EINVAL;
    if ((unsigned)src_dtype > EM_BOOL || (unsigned)dst_dtype > EM_BOOL) return EM_EDTYPE;
    if (src_dtype == dst_dtype)
        return em_copy_bytes(em_itemsize[src_dtype], ndim, shape, src, src_strides, dst,
                             dst_strides);
    EM_DTYPE_SWITCH(src_dtype, emk_copy_to, dst_dtype, ndim, shape, src, src_strides, dst,
                    dst_strides)
}

int em_fill(int dtype, int ndim, const int64_t *shape, void *dst, const int64_t *dst_strides,
            double value, int64_t ivalue) {
    if (em_check_dims(ndim, shape)) return EM_EINVAL;
    EM_DTYPE_SWITCH(dtype, emk_fill, ndim, shape, dst, dst_strides, value, ivalue)
}

/* Float dtypes go to the v3 build when the CPU has it. */
#if EM_HAVE_V3
#define EM_FLOAT_V3(dtype, name, ...)                                 \
    if (em_use_v3()) switch (dtype) {                                 \
        case EM_F32: return name##_f32_v3(__VA_ARGS__);               \
        case EM_F64: return name##_f64_v3(__VA_ARGS__);               \
        case EM_F16: return name##_f16_v3(__VA_ARGS__);               \
        case EM_BF16: return name##_bf16_v3(__VA_ARGS__);             \
        default: break;                                               \
        }
#else
#define EM_FLOAT_V3(dtype, name, ...)
#endif

int em_unary(int op, int dtype, int ndim, const int64_t *shape, const void *x,
             const int64_t *x_strides, void *y, const int64_t *y_strides, double p0, double p1,
             double p2) {
    if (em_check_dims(ndim, shape)) return EM_EINVAL;
    EM_FLOAT_V3(dtype, emk_unary, op, ndim, shape, x, x_strides, y, y_strides, p0, p1, p2)
    EM_DTYPE_SWITCH(dtype, emk_unary, op, ndim, shape, x, x_strides, y, y_strides, p0, p1, p2)
}

int em_pred(int op, int dtype, int ndim, const int64_t *shape, const void *x,
            const int64_t *x_strides, void *y, const int64_t *y_strides) {
    if (em_check_dims(ndim, shape)) return EM_EINVAL;
    EM_DTYPE_SWITCH(dtype, emk_pred, op, ndim, shape, x, x_strides, y, y_strides)
}

int em_binary(int op, int dtype, int ndim, const int64_t *shape, const void *a,
              const int64_t *a_strides, const void *b, const int64_t *b_strides, void *y,
              const int64_t *y_strides, double alpha) {
    if (em_check_dims(ndim, shape)) return EM_EINVAL;
    EM_FLOAT_V3(dtype, emk_binary, op, ndim, shape, a, a_strides, b, b_strides, y, y_strides,
                alpha)
    EM_DTYPE_SWITCH(dtype, emk_binary, op, ndim, shape, a, a_strides, b, b_strides, y, y_strides,
                    alpha)
}

int em_compare(int op, int dtype, int ndim, const int64_t *shape, const void *a,
               const int64_t *a_strides, const void *b, const int64_t *b_strides, void *y,
               const int64_t *y_strides) {
    if (em_check_dims(ndim, shape)) return EM_EINVAL;
    EM_DTYPE_SWITCH(dtype, emk_compare, op, ndim, shape, a, a_strides, b, b_strides, y, y_strides)
}

/* where only moves elements, so it works on item sizes. The condition is folded
 * in as a byte operand: the loop reads a pair (cond, a) and then b. */
#define EM_WHERE_SIZE(T)                                                                   \
    do {                                                                                   \
        const int64_t numel = em_numel(ndim, shape);                                       \
        EM_PARALLEL_FOR(numel > EM_PAR_THRESHOLD,                                          \
        for (int64_t i = 0; i < numel; ++i) {                                              \
            int64_t rem = i, oc = 0, oa = 0, ob = 0, oy = 0;                               \
            for (int d = ndim - 1; d >= 0; --d) {                                          \
                int64_t k = rem % shape[d];                                                \
                rem /= shape[d];                                                           \
                oc += k * c_strides[d];                                                    \
                oa += k * a_strides[d];                                                    \
                ob += k * b_strides[d];                                                    \
                oy += k * y_strides[d];                                                    \
            }                                                                              \
            ((T *)y)[oy] = ((const em_bool *)cond)[oc] ? ((const T *)a)[oa] : ((const T *)b)[ob]; \
        });                                                                                  \
    } while (0)

int em_where(int dtype, int ndim, const int64_t *shape, const void *cond,
             const int64_t *c_strides, const void *a, const int64_t *a_strides, const void *b,
             const int64_t *b_strides, void *y, const int64_t *y_strides) {
    if (em_check_dims(ndim, shape)) return EM_EINVAL;
    if ((unsigned)dtype > EM_BOOL) return EM_EDTYPE;
    switch (em_itemsize[dtype]) {
    case 1: EM_WHERE_SIZE(uint8_t); break;
    case 2: EM_WHERE_SIZE(uint16_t); break;
    case 4: EM_WHERE_SIZE(uint32_t); break;
    default: EM_WHERE_SIZE(uint64_t); break;
    }
    return EM_OK;
}

int em_get_num_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

void em_set_num_threads(int n) {
#ifdef _OPENMP
    if (n > 0) omp_set_num_threads(n);
#else
    (void)n;
#endif
}

/* Flush-to-zero and denormals-are-zero (MXCSR bits 15 and 6) on or off, on the calling
 * thread and on every thread of the OpenMP team (the kernels' threads); 1 where the CPU has
 * them (x86-64), else 0 with nothing changed. */
int em_set_flush_denormal(int on) {
#if defined(__x86_64__)
    EM_PRAGMA(omp parallel)
    {
        const unsigned csr = __builtin_ia32_stmxcsr();
        __builtin_ia32_ldmxcsr(on ? csr | 0x8040u : csr & ~0x8040u);
    }
    return 1;
#else
    (void)on;
    return 0;
#endif
}
