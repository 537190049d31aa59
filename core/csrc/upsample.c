/* Linear and bilinear interpolation (interpolate's "linear"/"bilinear" modes) and its
 * adjoint, over planes, from per-axis index and weight tables that the caller builds in
 * torch's arithmetic. Float32 and float64; the caller casts others. */
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
    switch (dtype) {
    case EM_F32: return upsample_linear_f32(mode, x, y, P, H, W, OH, OW, h_idx, h_lambda,
                                            w_idx, w_lambda);
    case EM_F64: return upsample_linear_f64(mode, x, y, P, H, W, OH, OW, h_idx, h_lambda,
                                            w_idx, w_lambda);
    default: return EM_EDTYPE;
    }
}
