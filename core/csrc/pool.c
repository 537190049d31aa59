/* Max, average and adaptive pooling (forward and backward), float32 and float64. */
#include "em_internal.h"

#define EM_T EMT_F32
#include "templates/pool.inc"
#define EM_T EMT_F64
#include "templates/pool.inc"

static int window_ok(int64_t planes, int64_t H, int64_t W, int64_t KH, int64_t KW, int64_t sh,
                     int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t OH,
                     int64_t OW) {
    if (planes < 0 || H < 0 || W < 0 || KH < 1 || KW < 1 || sh < 1 || sw < 1 || ph < 0 ||
        pw < 0 || dh < 1 || dw < 1 || OH < 0 || OW < 0)
        return 0;
    /* every window must start inside the padded input (ceil_mode drops the others) */
    if (OH > 0 && (OH - 1) * sh >= H + ph) return 0;
    if (OW > 0 && (OW - 1) * sw >= W + pw) return 0;
    return 1;
}

int em_max_pool2d(int dtype, const void *x, int64_t planes, int64_t H, int64_t W, int64_t KH,
                  int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                  int64_t dw, int64_t OH, int64_t OW, void *y, int64_t *idx) {
    if (!window_ok(planes, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW)) return EM_EINVAL;
    if (2 * ph > KH || 2 * pw > KW || !idx) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, max_pool2d, x, planes, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW,
                    y, idx)
}

int em_max_pool_backward(int dtype, const void *gy, const int64_t *idx, int64_t planes,
                         int64_t in_size, int64_t out_size, void *gx) {
    if (planes < 0 || in_size < 0 || out_size < 0) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, max_pool_backward, gy, idx, planes, in_size, out_size, gx)
}

int em_gather_planes(int dtype, const void *x, const int64_t *idx, int64_t planes,
                     int64_t in_size, int64_t out_size, void *y) {
    if (planes < 0 || in_size < 0 || out_size < 0) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, gather_planes, x, idx, planes, in_size, out_size, y)
}

int em_avg_pool2d(int backward, int dtype, void *x, int64_t planes, int64_t H, int64_t W,
                  int64_t KH, int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                  int count_include_pad, int64_t divisor_override, int64_t OH, int64_t OW,
                  void *y) {
    if (!window_ok(planes, H, W, KH, KW, sh, sw, ph, pw, 1, 1, OH, OW)) return EM_EINVAL;
    if (2 * ph > KH || 2 * pw > KW || divisor_override < 0) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, avg_pool2d, backward, x, planes, H, W, KH, KW, sh, sw, ph, pw,
                    count_include_pad, divisor_override, OH, OW, y)
}

int em_adaptive_pool2d(int mode, int dtype, void *x, int64_t planes, int64_t H, int64_t W,
                       int64_t OH, int64_t OW, void *y, int64_t *idx) {
    if (planes < 0 || H < 1 || W < 1 || OH < 1 || OW < 1 || mode < 0 || mode > 2)
        return EM_EINVAL;
    if (mode == 1 && !idx) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, adaptive_pool2d, mode, x, planes, H, W, OH, OW, y, idx)
}
