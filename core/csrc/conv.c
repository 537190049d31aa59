/* Convolution lowering: im2col / col2im around a GEMM (OpenBLAS through gemm.c), either for
 * the whole batch (the caller multiplies) or one sample at a time inside one OpenMP region
 * (em_conv2d_per_sample). Float32 and float64; the caller casts others. */
#include "em_internal.h"

/* The last 2-vector strip of a padded row reads up to 16 values past the row's end. */
#define EM_DIRECT_SLACK 16
/* The direct weight gradient keeps 2 x KW vector sums in registers: KW up to 7. */
#define EM_DIRECT_MAX_KW 7

#define EM_T EMT_F32
#include "templates/conv.inc"
#define EM_T EMT_F64
#include "templates/conv.inc"

static int conv_args_ok(int64_t N, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW,
                        int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                        int64_t OH, int64_t OW) {
    if (N < 0 || C < 0 || H < 0 || W < 0 || KH < 1 || KW < 1 || sh < 1 || sw < 1 || ph < 0 ||
        pw < 0 || dh < 1 || dw < 1 || OH < 0 || OW < 0)
        return 0;
    /* every output row/column must start inside the padded input */
    if (OH > 0 && (OH - 1) * sh + (KH - 1) * dh >= H + 2 * ph) return 0;
    if (OW > 0 && (OW - 1) * sw + (KW - 1) * dw >= W + 2 * pw) return 0;
    return 1;
}

int em_im2col(int dtype, const void *x, int64_t N, int64_t C, int64_t H, int64_t W, int64_t KH,
              int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
              int64_t dw, int64_t OH, int64_t OW, void *cols) {
    if (!conv_args_ok(N, C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW)) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, im2col, x, N, C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, cols)
}

int em_col2im(int dtype, const void *cols, int64_t N, int64_t C, int64_t H, int64_t W,
              int64_t KH, int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
              int64_t dh, int64_t dw, int64_t OH, int64_t OW, void *x) {
    if (!conv_args_ok(N, C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW)) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, col2im, cols, N, C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, x)
}

int em_depthwise_conv2d(int mode, int dtype, const void *a, const void *b, int64_t N, int64_t C,
                        int64_t H, int64_t W, int64_t KH, int64_t KW, int64_t sh, int64_t sw,
                        int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t OH, int64_t OW,
                        void *out) {
    if (mode < 0 || mode > 2 || !a || !b || !out ||
        !conv_args_ok(N, C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW))
        return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, depthwise, mode, a, b, N, C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH,
                    OW, out)
}

int em_conv2d_per_sample(int mode, int dtype, void *x, void *w, void *y, int64_t N, int64_t C,
                         int64_t H, int64_t W, int64_t OC, int64_t groups, int64_t KH,
                         int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                         int64_t dw, int64_t OH, int64_t OW, void *scratch, int slices,
                         void *partial) {
    if (mode < 0 || mode > 2 || !x || !w || !y || !scratch || slices < 1 ||
        (mode == 2 && !partial) || groups < 1 || C % groups || OC % groups || OC < 1 ||
        !em_blas_ready() || !conv_args_ok(N, C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW))
        return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, conv_per_sample, mode, x, w, y, N, C, H, W, OC, groups, KH, KW, sh, sw,
                    ph, pw, dh, dw, OH, OW, scratch, slices, partial)
}

/* The arguments of a stride-1 convolution whose output is exactly its valid extent. */
static int stride1_args_ok(int64_t N, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW,
                           int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t OH,
                           int64_t OW) {
    return conv_args_ok(N, C, H, W, KH, KW, 1, 1, ph, pw, dh, dw, OH, OW) &&
           OH == H + 2 * ph - (KH - 1) * dh && OW == W + 2 * pw - (KW - 1) * dw;
}

int em_conv2d_direct(int dtype, const void *x, const void *w, void *y, int64_t N, int64_t C,
                     int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW, int64_t ph,
                     int64_t pw, int64_t dh, int64_t dw, int64_t OH, int64_t OW, int adjoint,
                     void *scratch, int64_t scratch_len, int slices) {
    if (!x || !w || !y || !scratch || slices < 1 || OC < 1 ||
        !stride1_args_ok(N, C, H, W, KH, KW, ph, pw, dh, dw, OH, OW))
        return EM_EINVAL;
    const int64_t pad_len = C * (H + 2 * ph) * (W + 2 * pw) + EM_DIRECT_SLACK;
    if (scratch_len < slices * pad_len + (adjoint ? OC * C * KH * KW : 0)) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, conv_direct, x, w, y, N, C, H, W, OC, KH, KW, ph, pw, dh, dw, OH, OW,
                    adjoint, scratch, pad_len, slices)
}

int em_conv2d_direct_wgrad(int dtype, const void *x, const void *g, void *gw, int64_t N,
                           int64_t C, int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW,
                           int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t OH,
                           int64_t OW, void *scratch, int64_t scratch_len, int slices) {
    if (!x || !g || !gw || !scratch || slices < 1 || OC < 1 || KW > EM_DIRECT_MAX_KW ||
        !stride1_args_ok(N, C, H, W, KH, KW, ph, pw, dh, dw, OH, OW))
        return EM_EINVAL;
    const int64_t OWp = (OW + 15) / 16 * 16;
    if (scratch_len < N * C * (H + 2 * ph) * (W + 2 * pw) + EM_DIRECT_SLACK + N * OC * OH * OWp)
        return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, conv_direct_wgrad, x, g, gw, N, C, H, W, OC, KH, KW, ph, pw, dh, dw, OH,
                    OW, scratch, slices)
}
