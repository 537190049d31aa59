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
    switch (dtype) {
    case EM_F32: return im2col_f32(x, N, C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, cols);
    case EM_F64: return im2col_f64(x, N, C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, cols);
    default: return EM_EDTYPE;
    }
}

int em_col2im(int dtype, const void *cols, int64_t N, int64_t C, int64_t H, int64_t W,
              int64_t KH, int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
              int64_t dh, int64_t dw, int64_t OH, int64_t OW, void *x) {
    if (!conv_args_ok(N, C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW)) return EM_EINVAL;
    switch (dtype) {
    case EM_F32: return col2im_f32(cols, N, C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, x);
    case EM_F64: return col2im_f64(cols, N, C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, x);
    default: return EM_EDTYPE;
    }
}

int em_depthwise_conv2d(int mode, int dtype, const void *a, const void *b, int64_t N, int64_t C,
                        int64_t H, int64_t W, int64_t KH, int64_t KW, int64_t sh, int64_t sw,
                        int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t OH, int64_t OW,
                        void *out) {
    if (mode < 0 || mode > 2 || !a || !b || !out ||
        !conv_args_ok(N, C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW))
        return EM_EINVAL;
    switch (dtype) {
    case EM_F32: return depthwise_f32(mode, a, b, N, C, H, W, KH, KW, sh, sw, ph, pw, dh, dw,
                                      OH, OW, out);
    case EM_F64: return depthwise_f64(mode, a, b, N, C, H, W, KH, KW, sh, sw, ph, pw, dh, dw,
                                      OH, OW, out);
    default: return EM_EDTYPE;
    }
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
    switch (dtype) {
    case EM_F32: return conv_per_sample_f32(mode, x, w, y, N, C, H, W, OC, groups, KH, KW, sh,
                                            sw, ph, pw, dh, dw, OH, OW, scratch, slices, partial);
    case EM_F64: return conv_per_sample_f64(mode, x, w, y, N, C, H, W, OC, groups, KH, KW, sh,
                                            sw, ph, pw, dh, dw, OH, OW, scratch, slices, partial);
    default: return EM_EDTYPE;
    }
}


int em_conv2d_direct(int dtype, const void *x, const void *w, void *y, int64_t N, int64_t C,
                     int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW, int64_t ph,
                     int64_t pw, int64_t dh, int64_t dw, int64_t OH, int64_t OW, int adjoint,
                     void *scratch, int64_t scratch_len, int slices) {
    if (!x || !w || !y || !scratch || slices < 1 || OC < 1 ||
        !conv_args_ok(N, C, H, W, KH, KW, 1, 1, ph, pw, dh, dw, OH, OW) ||
        OH != H + 2 * ph - (KH - 1) * dh || OW != W + 2 * pw - (KW - 1) * dw)
        return EM_EINVAL;
    const int64_t taps = OC * C * KH * KW;
    const int64_t pad_len = C * (H + 2 * ph) * (W + 2 * pw) + EM_DIRECT_SLACK;
    if (scratch_len < slices * pad_len + (adjoint ? taps : 0)) return EM_EINVAL;
    switch (dtype) {
    case EM_F32: {
        float *s = scratch;
        const float *wk = adjoint ? flip_channels_f32(w, s + slices * pad_len, C, OC, KH * KW) : w;
        return conv_direct_f32(x, wk, y, N, C, H, W, OC, KH, KW, ph, pw, dh, dw, OH, OW, s,
                               pad_len, slices);
    }
    case EM_F64: {
        double *s = scratch;
        const double *wk = adjoint ? flip_channels_f64(w, s + slices * pad_len, C, OC, KH * KW) : w;
        return conv_direct_f64(x, wk, y, N, C, H, W, OC, KH, KW, ph, pw, dh, dw, OH, OW, s,
                               pad_len, slices);
    }
    default: return EM_EDTYPE;
    }
}

int em_conv2d_direct_wgrad(int dtype, const void *x, const void *g, void *gw, int64_t N,
                           int64_t C, int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW,
                           int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t OH,
                           int64_t OW, void *scratch, int64_t scratch_len, int slices) {
    if (!x || !g || !gw || !scratch || slices < 1 || OC < 1 || KW > EM_DIRECT_MAX_KW ||
        !conv_args_ok(N, C, H, W, KH, KW, 1, 1, ph, pw, dh, dw, OH, OW) ||
        OH != H + 2 * ph - (KH - 1) * dh || OW != W + 2 * pw - (KW - 1) * dw)
        return EM_EINVAL;
    const int64_t OWp = (OW + 15) / 16 * 16;
    if (scratch_len < N * C * (H + 2 * ph) * (W + 2 * pw) + EM_DIRECT_SLACK + N * OC * OH * OWp)
        return EM_EINVAL;
    switch (dtype) {
    case EM_F32: return conv_direct_wgrad_f32(x, g, gw, N, C, H, W, OC, KH, KW, ph, pw, dh, dw,
                                              OH, OW, scratch, slices);
    case EM_F64: return conv_direct_wgrad_f64(x, g, gw, N, C, H, W, OC, KH, KW, ph, pw, dh, dw,
                                              OH, OW, scratch, slices);
    default: return EM_EDTYPE;
    }
}
