/* lfilter.c: a whole IIR filter in one pass over each row.
 *
 *     a[0] y[t] = sum_{k<n} b[k] x[t-k] - sum_{1<=k<n} a[k] y[t-k]     (zero history)
 *
 * Direct form I in double, a block of LF_BLOCK samples at a time: the block's inputs are
 * widened to double after the n - 1 previous ones; the feed-forward sums
 * f[i] = sum_k b[k] x[i-k] (which depend on no output) run as a loop over the block that
 * the compiler vectorizes; then the recursion y[i] = f[i] - sum_{k>=1} a[k] y[i-k] adds the
 * oldest terms first, so one sample waits on the previous one for a single multiply-add
 * (scipy's direct form II transposed waits for two).
 * Rows are independent and are shared among OpenMP threads when there is enough work to
 * repay waking them. The kernels are also built for x86-64-v3 (FMA, AVX2) and chosen at
 * load time where the compiler supports it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emberaudio.h"

#define LF_BLOCK 512
#define LF_UNROLLED 9 /* n = order + 1 up to which lf_row_short gets a constant n */

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define LF_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define LF_CLONES
#endif

static inline __attribute__((always_inline)) double lf_clip(double v) {
    return v < -1.0 ? -1.0 : (v > 1.0 ? 1.0 : v);
}

/* Widens a block of x to double after the h inputs before it; returns its length. The whole
 * block is read before any of its outputs is written, so y may be x itself. */
#define DEFINE_LOAD(T)                                                                    \
    static inline __attribute__((always_inline)) int64_t lf_load_##T(                     \
        const T *x, int64_t sx, int64_t t0, int64_t n_time, double *xd, int64_t h) {      \
        const int64_t len = n_time - t0 < LF_BLOCK ? n_time - t0 : LF_BLOCK;              \
        for (int64_t i = 0; i < len; ++i) xd[h + i] = (double)x[(t0 + i) * sx];          \
        return len;                                                                       \
    }

/* Orders up to 8: inlined with a constant n, so the loops over k unroll, the feed-forward
 * loop vectorizes over i and the outputs' history stays in registers.
 * scratch: xd (n - 1 + LF_BLOCK doubles, history first), then f (LF_BLOCK). */
#define DEFINE_ROW_SHORT(T)                                                               \
    static inline __attribute__((always_inline)) void lf_row_short_##T(                   \
        const T *x, int64_t sx, T *y, int64_t sy, int64_t n_time, const double *bn,       \
        const double *an, int64_t n, double *scratch, int clamp) {                        \
        const int64_t h = n - 1;                                                          \
        double *xd = scratch, *f = scratch + h + LF_BLOCK;                                \
        double yh[LF_UNROLLED] = {0.0}; /* yh[k] = y[i-1-k], newest first */              \
        for (int64_t k = 0; k < h; ++k) xd[k] = 0.0;                                      \
        for (int64_t t0 = 0; t0 < n_time; t0 += LF_BLOCK) {                               \
            const int64_t len = lf_load_##T(x, sx, t0, n_time, xd, h);                    \
            for (int64_t i = 0; i < len; ++i) {                                           \
                double s = bn[0] * xd[h + i];                                             \
                for (int64_t k = 1; k < n; ++k) s += bn[k] * xd[h + i - k];               \
                f[i] = s;                                                                 \
            }                                                                             \
            for (int64_t i = 0; i < len; ++i) {                                           \
                double acc = f[i];                                                        \
                /* oldest first: only the last term waits for y[i-1] */                   \
                for (int64_t k = n - 1; k >= 1; --k) acc -= an[k] * yh[k - 1];            \
                for (int64_t k = n - 2; k >= 1; --k) yh[k] = yh[k - 1];                   \
                yh[0] = acc;                                                              \
                y[(t0 + i) * sy] = (T)(clamp ? lf_clip(acc) : acc);                       \
            }                                                                             \
            memmove(xd, xd + len, sizeof(double) * (size_t)h); /* next block's history */ \
        }                                                                                 \
    }

/* Any n > LF_UNROLLED: the feed-forward sums run one coefficient at a time over the block;
 * the newest LF_UNROLLED - 1 outputs stay in registers and the older ones come from yd (a
 * load of an output stored one sample earlier would wait for, or race, that store).
 * scratch: xd and yd (n - 1 + LF_BLOCK doubles each, history first), then f (LF_BLOCK). */
#define DEFINE_ROW_LONG(T)                                                                \
    static inline __attribute__((always_inline)) void lf_row_long_##T(                    \
        const T *x, int64_t sx, T *y, int64_t sy, int64_t n_time, const double *bn,       \
        const double *an, int64_t n, double *scratch, int clamp) {                        \
        const int64_t h = n - 1;                                                          \
        double *xd = scratch, *yd = scratch + h + LF_BLOCK, *f = yd + h + LF_BLOCK;       \
        double yh[LF_UNROLLED - 1] = {0.0}; /* yh[k] = y[i-1-k], newest first */          \
        for (int64_t k = 0; k < h; ++k) xd[k] = yd[k] = 0.0;                              \
        for (int64_t t0 = 0; t0 < n_time; t0 += LF_BLOCK) {                               \
            const int64_t len = lf_load_##T(x, sx, t0, n_time, xd, h);                    \
            for (int64_t i = 0; i < len; ++i) f[i] = bn[0] * xd[h + i];                   \
            for (int64_t k = 1; k < n; ++k)                                               \
                for (int64_t i = 0; i < len; ++i) f[i] += bn[k] * xd[h + i - k];          \
            for (int64_t i = 0; i < len; ++i) {                                           \
                double acc = f[i];                                                        \
                for (int64_t k = n - 1; k >= LF_UNROLLED; --k) acc -= an[k] * yd[h + i - k]; \
                for (int64_t k = LF_UNROLLED - 1; k >= 1; --k) acc -= an[k] * yh[k - 1];  \
                for (int64_t k = LF_UNROLLED - 2; k >= 1; --k) yh[k] = yh[k - 1];         \
                yh[0] = acc;                                                              \
                yd[h + i] = acc;                                                          \
                y[(t0 + i) * sy] = (T)(clamp ? lf_clip(acc) : acc);                       \
            }                                                                             \
            memmove(xd, xd + len, sizeof(double) * (size_t)h);                            \
            memmove(yd, yd + len, sizeof(double) * (size_t)h);                            \
        }                                                                                 \
    }

DEFINE_LOAD(float)
DEFINE_LOAD(double)
DEFINE_ROW_SHORT(float)
DEFINE_ROW_SHORT(double)
DEFINE_ROW_LONG(float)
DEFINE_ROW_LONG(double)

#define LF_CASE(T, N)                                                                     \
    case N:                                                                               \
        lf_row_short_##T(xr, sx_t, yr, sy_t, n_time, bn, an, N, scratch, clamp);          \
        break;

/* |stride| * (extent - 1) must fit in int64 for the row's index arithmetic. */
static int lf_span_ok(int64_t stride, int64_t extent) {
    if (extent <= 1) return 1;
    int64_t s = stride < 0 ? -stride : stride;
    return stride != INT64_MIN && s <= INT64_MAX / (extent - 1);
}

#define DEFINE_LFILTER(NAME, T)                                                           \
    LF_CLONES int NAME(const T *x, int64_t sx_b, int64_t sx_c, int64_t sx_t, T *y,        \
                       int64_t sy_b, int64_t sy_c, int64_t sy_t, const T *a, const T *b,  \
                       int64_t n_batch, int64_t n_channel, int64_t n_time, int64_t n_coef, \
                       int clamp) {                                                       \
        if (n_batch < 0 || n_channel < 0 || n_time < 0 || n_coef < 1)                     \
            return EA_ERR_ARG;                                                            \
        if (n_batch == 0 || n_channel == 0 || n_time == 0) return EA_OK;                  \
        if (!x || !y || !a || !b) return EA_ERR_ARG;                                      \
        if (!lf_span_ok(sx_b, n_batch) || !lf_span_ok(sx_c, n_channel) ||                 \
            !lf_span_ok(sx_t, n_time) || !lf_span_ok(sy_b, n_batch) ||                    \
            !lf_span_ok(sy_c, n_channel) || !lf_span_ok(sy_t, n_time))                    \
            return EA_ERR_ARG;                                                            \
        if (n_channel > INT64_MAX / n_batch || n_coef > (INT64_MAX / 8 - LF_BLOCK) / 3 ||  \
            n_coef > INT64_MAX / 16 / n_channel)                                          \
            return EA_ERR_ARG;                                                            \
        /* coefficients normalised by a[c, 0] once, in double: bn = b / a0, an = a / a0 */ \
        double *coef = malloc(sizeof(double) * (size_t)(2 * n_channel * n_coef));         \
        if (!coef) return EA_ERR_NOMEM;                                                   \
        for (int64_t c = 0; c < n_channel; ++c) {                                         \
            double a0 = (double)a[c * n_coef];                                            \
            for (int64_t k = 0; k < n_coef; ++k) {                                        \
                coef[2 * c * n_coef + k] = (double)b[c * n_coef + k] / a0;                \
                coef[(2 * c + 1) * n_coef + k] = (double)a[c * n_coef + k] / a0;          \
            }                                                                             \
        }                                                                                 \
        const int64_t rows = n_batch * n_channel;                                         \
        const size_t scratch_len = (size_t)(2 * (n_coef - 1) + 3 * LF_BLOCK);             \
        int status = EA_OK;                                                               \
        /* threads only for work that repays waking them: ember's OpenMP threads sleep    \
           between kernels (OMP_WAIT_POLICY=PASSIVE) and take 30-100 us to wake on a busy  \
           machine, while 2**17 samples filter in ~0.25 ms */                               \
        const int split = rows > 1 && (double)rows * (double)n_time >= 131072.0;          \
        _Pragma("omp parallel for schedule(static) if (split)")                           \
        for (int64_t r = 0; r < rows; ++r) {                                              \
            int64_t bi = r / n_channel, c = r % n_channel;                                \
            const T *xr = x + bi * sx_b + c * sx_c;                                       \
            T *yr = y + bi * sy_b + c * sy_c;                                             \
            const double *bn = coef + 2 * c * n_coef, *an = bn + n_coef;                  \
            double *scratch = malloc(sizeof(double) * scratch_len);                       \
            if (!scratch) {                                                               \
                _Pragma("omp atomic write") status = EA_ERR_NOMEM;                        \
                continue;                                                                 \
            }                                                                             \
            switch (n_coef) {                                                             \
                LF_CASE(T, 1) LF_CASE(T, 2) LF_CASE(T, 3) LF_CASE(T, 4) LF_CASE(T, 5)    \
                LF_CASE(T, 6) LF_CASE(T, 7) LF_CASE(T, 8) LF_CASE(T, LF_UNROLLED)        \
            default:                                                                      \
                lf_row_long_##T(xr, sx_t, yr, sy_t, n_time, bn, an, n_coef, scratch,      \
                                clamp);                                                   \
            }                                                                             \
            free(scratch);                                                                \
        }                                                                                 \
        free(coef);                                                                       \
        return status;                                                                    \
    }

DEFINE_LFILTER(ea_lfilter_f32, float)
DEFINE_LFILTER(ea_lfilter_f64, double)
