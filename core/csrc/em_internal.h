/* Shared machinery of the kernel files: dtype traits, strided loops, threading.
 * Not part of the cffi interface (that is include/ember.h). */
#ifndef EM_INTERNAL_H
#define EM_INTERNAL_H
#include <stdint.h>
#include <string.h>
#include <tgmath.h>
#include "include/ember.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Below this many elements a kernel runs on the calling thread: waking the
 * OpenMP pool costs a few microseconds, more than the work itself. */
#define EM_PAR_THRESHOLD 65536

/* EM_HOT compiles a function twice, for baseline x86-64 and for x86-64-v3 (AVX2,
 * FMA, F16C), and the loader picks by CPU features (not model: "arch=haswell" would
 * skip AMD CPUs). Loops inside an OpenMP region are outlined into functions that
 * target_clones does not copy, so the elementwise kernels instead compile their whole
 * file twice (elementwise_float_v3.c) and dispatch at run time (elementwise.c). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(EM_NO_CLONES)
#define EM_HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#define EM_HAVE_V3 1
#else
#define EM_HOT
#define EM_HAVE_V3 0
#endif

/* Only the compute-bound float math is worth a second, AVX2 copy; the integer
 * and memory-bound loops stay single to keep the build short. */
#define EM_PRAGMA(x) _Pragma(#x)
/* EM_PARALLEL_FOR(cond, for (...) {...}) runs the loop across threads when cond holds and
 * as a plain loop otherwise. `omp parallel for if (cond)` would be shorter, but when cond is
 * false libgomp still builds a one-thread team, about 0.4 us: most of a small op's cost. */
#define EM_PARALLEL_FOR(cond, ...)                                                      \
    do {                                                                              \
        if (cond) {                                                                   \
            EM_PRAGMA(omp parallel for schedule(static))                              \
            __VA_ARGS__                                                               \
        } else {                                                                      \
            __VA_ARGS__                                                               \
        }                                                                             \
    } while (0)

/* ---- bfloat16: stored as the top half of a float32 ---- */
static inline float em_bf16_load(uint16_t v) {
    uint32_t u = (uint32_t)v << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static inline uint16_t em_bf16_store(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u); /* round to nearest even */
    return (uint16_t)(u >> 16);
}

/* This thread's index and its team's size inside an OpenMP region (0 of 1 outside). */
static inline void em_team_slot(int *part, int *parts) {
#ifdef _OPENMP
    *part = omp_get_thread_num();
    *parts = omp_get_num_threads();
#else
    *part = 0;
    *parts = 1;
#endif
}

/* dtype numbers for the preprocessor (templates/type_begin.h); equal to enum em_dtype */
#define EMT_F32 0
#define EMT_F64 1
#define EMT_F16 2
#define EMT_BF16 3
#define EMT_I8 4
#define EMT_I16 5
#define EMT_I32 6
#define EMT_I64 7
#define EMT_U8 8
#define EMT_BOOL 9

typedef _Float16 em_f16;
typedef uint16_t em_bf16;
typedef uint8_t em_bool;

/* Whether this CPU runs the x86-64-v3 builds of the float kernels. */
static inline int em_use_v3(void) {
#if EM_HAVE_V3
    static int cached = -1;
    if (cached < 0)
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                 __builtin_cpu_supports("f16c") && __builtin_cpu_supports("bmi2");
    return cached;
#else
    return 0;
#endif
}

/* AVX-512 with its 32 vector registers (x86-64-v4), for kernels that need the registers
 * more than the wider vectors. */
static inline int em_use_v4(void) {
#if EM_HAVE_V3
    static int cached = -1;
    if (cached < 0)
        cached = em_use_v3() && __builtin_cpu_supports("avx512f") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd");
    return cached;
#else
    return 0;
#endif
}

/* The x86-64-v3 build of the float reductions and arg-reductions (reduce_v3.c). */
int em_reduce_float_v3(int op, int dtype, int n_outer, const int64_t *outer_shape,
                       const int64_t *x_outer_strides, const int64_t *y_strides, int n_red,
                       const int64_t *red_shape, const int64_t *x_red_strides, const void *x,
                       void *y);
int em_arg_reduce_float_v3(int want_max, int dtype, int n_outer, const int64_t *outer_shape,
                           const int64_t *x_outer_strides, int64_t n_red, int64_t red_stride,
                           const void *x, void *values, int64_t *indices);

/* gemm.c's hold on the BLAS NumPy loaded (set by em_gemm_use_blas): one product on the
 * calling thread, row-major, with CBLAS's transpose flags. */
enum { EM_ROW_MAJOR = 101, EM_NO_TRANS = 111, EM_TRANS = 112 };
/* Below this many flops (about 10 us on one core) a product stays on one thread. */
#define EM_GEMM_PAR_FLOPS (1 << 20)
int em_blas_ready(void);
void em_blas_gemm_f32(int ta, int tb, int64_t n, int64_t m, int64_t k, float alpha,
                      const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                      float *c, int64_t ldc);
void em_blas_gemm_f64(int ta, int tb, int64_t n, int64_t m, int64_t k, double alpha,
                      const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                      double *c, int64_t ldc);

static inline int em_check_dims(int ndim, const int64_t *shape) {
    if (ndim < 1 || ndim > EM_MAX_DIMS) return EM_EINVAL;
    for (int d = 0; d < ndim; ++d)
        if (shape[d] < 0) return EM_EINVAL;
    return EM_OK;
}

static inline int64_t em_numel(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int d = 0; d < ndim; ++d) n *= shape[d];
    return n;
}

/* Element offsets of row `row` (all dims but the last) for up to three operands. */
static inline void em_row_offsets(int64_t row, int ndim, const int64_t *shape,
                                  const int64_t *s0, const int64_t *s1, const int64_t *s2,
                                  int64_t *o0, int64_t *o1, int64_t *o2) {
    int64_t a = 0, b = 0, c = 0;
    for (int d = ndim - 2; d >= 0; --d) {
        int64_t i = row % shape[d];
        row /= shape[d];
        a += i * s0[d];
        if (s1) b += i * s1[d];
        if (s2) c += i * s2[d];
    }
    *o0 = a;
    *o1 = b;
    *o2 = c;
}

/* One flat loop over a 1-D run; the inner statement picks the operands. Like
 * EM_PARALLEL_FOR, small runs skip OpenMP (and keep the simd hint). */
#define EM_FLAT_LOOP(n, ...)                                                            \
    do {                                                                              \
        if ((n) > EM_PAR_THRESHOLD) {                                                 \
            EM_PRAGMA(omp parallel for simd schedule(static))                         \
            for (int64_t i_ = 0; i_ < (n); ++i_) { __VA_ARGS__; }                      \
        } else {                                                                      \
            EM_PRAGMA(omp simd)                                                       \
            for (int64_t i_ = 0; i_ < (n); ++i_) { __VA_ARGS__; }                      \
        }                                                                             \
    } while (0)

/* The strided loops. Each has three paths: one flat contiguous run, rows whose
 * last dim is unit-stride for every operand (vectorizes), and the general case.
 * The body reads xv/av/bv/cv (storage values) and writes through the pointer yo. */
#define EM_LOOP_1_1(SX, SY, x, xst, y, yst, ...)                                      \
    do {                                                                              \
        const int64_t numel_ = em_numel(ndim, shape);                                 \
        if (numel_ == 0) break;                                                       \
        const int64_t inner_ = shape[ndim - 1], rows_ = numel_ / inner_;              \
        const int64_t xi_ = xst[ndim - 1], yi_ = yst[ndim - 1];                       \
        if (ndim == 1) {                                                              \
            const SX *restrict xp_ = (const SX *)(x);                                 \
            SY *restrict yp_ = (SY *)(y);                                             \
            if (xi_ == 1 && yi_ == 1)                                                 \
                EM_FLAT_LOOP(inner_, const SX xv = xp_[i_]; SY *yo = &yp_[i_]; __VA_ARGS__); \
            else                                                                      \
                EM_FLAT_LOOP(inner_, const SX xv = xp_[i_ * xi_];                     \
                             SY *yo = &yp_[i_ * yi_]; __VA_ARGS__);                          \
        } else {                                                                      \
            EM_PARALLEL_FOR(numel_ > EM_PAR_THRESHOLD,                                \
            for (int64_t r_ = 0; r_ < rows_; ++r_) {                                  \
                int64_t ox_, oy_, oz_;                                                \
                em_row_offsets(r_, ndim, shape, xst, yst, 0, &ox_, &oy_, &oz_);      \
                const SX *xp_ = (const SX *)(x) + ox_;                                \
                SY *yp_ = (SY *)(y) + oy_;                                            \
                if (xi_ == 1 && yi_ == 1) {                                           \
                    for (int64_t i_ = 0; i_ < inner_; ++i_) {                         \
                        const SX xv = xp_[i_];                                        \
                        SY *yo = &yp_[i_];                                            \
                        __VA_ARGS__;                                                         \
                    }                                                                 \
                } else {                                                              \
                    for (int64_t i_ = 0; i_ < inner_; ++i_) {                         \
                        const SX xv = xp_[i_ * xi_];                                  \
                        SY *yo = &yp_[i_ * yi_];                                      \
                        __VA_ARGS__;                                                         \
                    }                                                                 \
                }                                                                     \
            });                                                                         \
        }                                                                             \
    } while (0)

#define EM_LOOP_2_1(SA, SB, SY, a, ast, b, bst, y, yst, ...)                          \
    do {                                                                              \
        const int64_t numel_ = em_numel(ndim, shape);                                 \
        if (numel_ == 0) break;                                                       \
        const int64_t inner_ = shape[ndim - 1], rows_ = numel_ / inner_;              \
        const int64_t ai_ = ast[ndim - 1], bi_ = bst[ndim - 1], yi_ = yst[ndim - 1];  \
        if (ndim == 1) {                                                              \
            const SA *restrict ap_ = (const SA *)(a);                                 \
            const SB *restrict bp_ = (const SB *)(b);                                 \
            SY *restrict yp_ = (SY *)(y);                                             \
            if (ai_ == 1 && bi_ == 1 && yi_ == 1)                                     \
                EM_FLAT_LOOP(inner_, const SA av = ap_[i_]; const SB bv = bp_[i_];    \
                             SY *yo = &yp_[i_]; __VA_ARGS__);                                \
            else if (ai_ == 1 && bi_ == 0 && yi_ == 1) {                              \
                const SB bv = bp_[0];                                                 \
                EM_FLAT_LOOP(inner_, const SA av = ap_[i_]; SY *yo = &yp_[i_]; __VA_ARGS__); \
            } else if (ai_ == 0 && bi_ == 1 && yi_ == 1) {                            \
                const SA av = ap_[0];                                                 \
                EM_FLAT_LOOP(inner_, const SB bv = bp_[i_]; SY *yo = &yp_[i_]; __VA_ARGS__); \
            } else                                                                    \
                EM_FLAT_LOOP(inner_, const SA av = ap_[i_ * ai_];                     \
                             const SB bv = bp_[i_ * bi_]; SY *yo = &yp_[i_ * yi_];    \
                             __VA_ARGS__);                                                   \
        } else {                                                                      \
            EM_PARALLEL_FOR(numel_ > EM_PAR_THRESHOLD,                                \
            for (int64_t r_ = 0; r_ < rows_; ++r_) {                                  \
                int64_t oa_, ob_, oy_;                                                \
                em_row_offsets(r_, ndim, shape, ast, bst, yst, &oa_, &ob_, &oy_);    \
                const SA *ap_ = (const SA *)(a) + oa_;                                \
                const SB *bp_ = (const SB *)(b) + ob_;                                \
                SY *yp_ = (SY *)(y) + oy_;                                            \
                if (ai_ == 1 && bi_ == 1 && yi_ == 1) {                               \
                    for (int64_t i_ = 0; i_ < inner_; ++i_) {                         \
                        const SA av = ap_[i_];                                        \
                        const SB bv = bp_[i_];                                        \
                        SY *yo = &yp_[i_];                                            \
                        __VA_ARGS__;                                                         \
                    }                                                                 \
                } else if (ai_ == 1 && bi_ == 0 && yi_ == 1) {                        \
                    const SB bv = bp_[0];                                             \
                    for (int64_t i_ = 0; i_ < inner_; ++i_) {                         \
                        const SA av = ap_[i_];                                        \
                        SY *yo = &yp_[i_];                                            \
                        __VA_ARGS__;                                                         \
                    }                                                                 \
                } else {                                                              \
                    for (int64_t i_ = 0; i_ < inner_; ++i_) {                         \
                        const SA av = ap_[i_ * ai_];                                  \
                        const SB bv = bp_[i_ * bi_];                                  \
                        SY *yo = &yp_[i_ * yi_];                                      \
                        __VA_ARGS__;                                                         \
                    }                                                                 \
                }                                                                     \
            });                                                                         \
        }                                                                             \
    } while (0)

/* The same for kernels built for float32 and float64 only. */
#define EM_FLOAT_SWITCH(dtype, name, ...)                     \
    switch (dtype) {                                          \
    case EM_F32: return name##_f32(__VA_ARGS__);              \
    case EM_F64: return name##_f64(__VA_ARGS__);              \
    default: return EM_EDTYPE;                                \
    }

/* Dispatch on dtype: SWITCH(dtype, name, args) calls name_<sfx>(args). */
#define EM_DTYPE_SWITCH(dtype, name, ...)                     \
    switch (dtype) {                                          \
    case EM_F32: return name##_f32(__VA_ARGS__);              \
    case EM_F64: return name##_f64(__VA_ARGS__);              \
    case EM_F16: return name##_f16(__VA_ARGS__);              \
    case EM_BF16: return name##_bf16(__VA_ARGS__);            \
    case EM_I8: return name##_i8(__VA_ARGS__);                \
    case EM_I16: return name##_i16(__VA_ARGS__);              \
    case EM_I32: return name##_i32(__VA_ARGS__);              \
    case EM_I64: return name##_i64(__VA_ARGS__);              \
    case EM_U8: return name##_u8(__VA_ARGS__);                \
    case EM_BOOL: return name##_bool(__VA_ARGS__);            \
    default: return EM_EDTYPE;                                \
    }

/* Per-dtype kernels of templates/elementwise.inc, dispatched by elementwise.c. */
#define EM_DECLARE_ELEMENTWISE(sfx)                                                        \
    int emk_unary##sfx(int, int, const int64_t *, const void *, const int64_t *, void *,   \
                       const int64_t *, double, double, double);                           \
    int emk_pred##sfx(int, int, const int64_t *, const void *, const int64_t *, void *,    \
                      const int64_t *);                                                    \
    int emk_binary##sfx(int, int, const int64_t *, const void *, const int64_t *,          \
                        const void *, const int64_t *, void *, const int64_t *, double);   \
    int emk_compare##sfx(int, int, const int64_t *, const void *, const int64_t *,         \
                         const void *, const int64_t *, void *, const int64_t *);          \
    int emk_copy_to##sfx(int, int, const int64_t *, const void *, const int64_t *, void *, \
                         const int64_t *);                                                 \
    int emk_fill##sfx(int, const int64_t *, void *, const int64_t *, double, int64_t);
EM_DECLARE_ELEMENTWISE(_f32)
EM_DECLARE_ELEMENTWISE(_f64)
EM_DECLARE_ELEMENTWISE(_f16)
EM_DECLARE_ELEMENTWISE(_bf16)
EM_DECLARE_ELEMENTWISE(_i8)
EM_DECLARE_ELEMENTWISE(_i16)
EM_DECLARE_ELEMENTWISE(_i32)
EM_DECLARE_ELEMENTWISE(_i64)
EM_DECLARE_ELEMENTWISE(_u8)
EM_DECLARE_ELEMENTWISE(_bool)
EM_DECLARE_ELEMENTWISE(_f32_v3)
EM_DECLARE_ELEMENTWISE(_f64_v3)
EM_DECLARE_ELEMENTWISE(_f16_v3)
EM_DECLARE_ELEMENTWISE(_bf16_v3)

/* Per-dtype kernels of templates/reduce.inc are static to reduce.c; sort.c and
 * index.c keep theirs static too. */

#endif
