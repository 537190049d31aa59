/* Interpolation over planes and its adjoint, from per-axis index and weight tables that the
 * caller builds in torch's arithmetic: linear/bilinear (two taps), and any separable
 * filter of consecutive taps (bicubic, antialiased). Float32 and float64; the caller casts
 * others. */
#include "em_internal.h"

#define EM_T EMT_F32
#include "templates/upsample.inc"
#define EM_T EMT_F64
#include "templates/upsample.inc"

/* Every table index must fall inside its axis: the tables come from Python. */
static int em_indices_ok(const int64_t *idx, int64_t count, int64_t extent) {
    for (int64_t i = 0; i < 2 * count; ++i)
        if (idx[i] < 0 || idx[i] >= extent) return 0;
    return 1;
}

int em_upsample_linear(int mode, int dtype, void *x, void *y, int64_t P, int64_t H, int64_t W,
                       int64_t OH, int64_t OW, const int64_t *h_idx, const void *h_lambda,
                       const int64_t *w_idx, const void *w_lambda) {
    if ((mode != 0 && mode != 1) || !x || !y || P < 0 || H < 1 || W < 1 || OH < 0 || OW < 0 ||
        !h_idx || !h_lambda || !w_idx || !w_lambda)
        return EM_EINVAL;
    if (!em_indices_ok(h_idx, OH, H) || !em_indices_ok(w_idx, OW, W)) return EM_EINDEX;
    EM_FLOAT_SWITCH(dtype, upsample_linear, mode, x, y, P, H, W, OH, OW, h_idx, h_lambda, w_idx,
                    w_lambda)
}

/* Each output's taps [start, start + taps) must lie inside its axis. */
static int em_taps_ok(const int64_t *start, int64_t count, int64_t taps, int64_t extent) {
    for (int64_t i = 0; i < count; ++i)
        if (start[i] < 0 || start[i] + taps > extent) return 0;
    return 1;
}

int em_resample_taps(int mode, int dtype, void *x, void *y, void *tmp, int64_t P, int64_t H,
                     int64_t W, int64_t OH, int64_t OW, const int64_t *h_start, int64_t KH,
                     const void *h_weights, const int64_t *w_start, int64_t KW,
                     const void *w_weights) {
    if ((mode != 0 && mode != 1) || !x || !y || !tmp || P < 0 || H < 1 || W < 1 || OH < 0 ||
        OW < 0 || KH < 1 || KW < 1 || !h_start || !h_weights || !w_start || !w_weights)
        return EM_EINVAL;
    if (!em_taps_ok(h_start, OH, KH, H) || !em_taps_ok(w_start, OW, KW, W)) return EM_EINDEX;
    EM_FLOAT_SWITCH(dtype, resample_taps, mode, x, y, tmp, P, H, W, OH, OW, h_start, KH, h_weights,
                    w_start, KW, w_weights)
}
