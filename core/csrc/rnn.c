/* The recurrences of LSTM and GRU layers in C: per step the (B, H) x (H, 4H or 3H) product
 * on weights packed once per sequence, and the fused pointwise math, the whole sequence in
 * one call and one OpenMP team. The input projections and the weight gradients, one big
 * GEMM each over all steps, stay with the caller. */
#include <stdlib.h>
#include "em_internal.h"
#include "em_vecmath.h"

#define EM_T EMT_F32
#include "templates/rnn.inc"
#define EM_T EMT_F64
#include "templates/rnn.inc"

/* T x B x 4H elements must be countable: the kernels index every buffer by them. */
static int em_rnn_sizes_ok(int64_t T, int64_t B, int64_t H) {
    int64_t n;
    return T >= 0 && B >= 0 && H >= 0 && !__builtin_mul_overflow(T, B, &n) &&
           !__builtin_mul_overflow(n, H, &n) && !__builtin_mul_overflow(n, (int64_t)4, &n);
}

int em_lstm_forward(int dtype, int64_t T, int64_t B, int64_t H, int reverse, const void *w_hh,
                    const void *h0, const void *c0, const void *xp, void *acts, void *cs,
                    void *tcs, void *hs) {
    if (!w_hh || !h0 || !c0 || !xp || !acts || !cs || !tcs || !hs || !em_rnn_sizes_ok(T, B, H))
        return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, lstm_forward, T, B, H, reverse, w_hh, h0, c0, xp, acts, cs, tcs, hs)
}

int em_lstm_backward(int dtype, int64_t T, int64_t B, int64_t H, int reverse, const void *w_hh,
                     const void *c0, const void *acts, const void *cs, const void *tcs,
                     const void *d_hs, void *dh, void *dc, void *d_gates) {
    if (!w_hh || !c0 || !acts || !cs || !tcs || !dh || !dc || !d_gates ||
        !em_rnn_sizes_ok(T, B, H))
        return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, lstm_backward, T, B, H, reverse, w_hh, c0, acts, cs, tcs, d_hs, dh, dc,
                    d_gates)
}

int em_gru_forward(int dtype, int64_t T, int64_t B, int64_t H, int reverse, const void *w_hh,
                   const void *b_hh, const void *h0, const void *xp, void *acts, void *ns,
                   void *hs) {
    if (!w_hh || !b_hh || !h0 || !xp || !acts || !ns || !hs || !em_rnn_sizes_ok(T, B, H))
        return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, gru_forward, T, B, H, reverse, w_hh, b_hh, h0, xp, acts, ns, hs)
}

int em_gru_backward(int dtype, int64_t T, int64_t B, int64_t H, int reverse, const void *w_hh,
                    const void *h0, const void *acts, const void *ns, const void *hs,
                    const void *d_hs, void *dh, void *dhp, void *dxp) {
    if (!w_hh || !h0 || !acts || !ns || !hs || !dh || !dhp || !dxp ||
        !em_rnn_sizes_ok(T, B, H))
        return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, gru_backward, T, B, H, reverse, w_hh, h0, acts, ns, hs, d_hs, dh, dhp,
                    dxp)
}
