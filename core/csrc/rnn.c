/* The pointwise math of LSTM steps (forward and backward), fused: one call per step
 * instead of about ten ops forward and twenty backward. The GEMMs stay with gemm.c. */
#include "em_internal.h"
#include "em_vecmath.h"

#define EM_T EMT_F32
#include "templates/rnn.inc"
#define EM_T EMT_F64
#include "templates/rnn.inc"

int em_lstm_cell_forward(int dtype, void *gates, const void *c_prev, void *c, void *tc, void *h,
                         int64_t B, int64_t H) {
    if (!gates || !c_prev || !c || !tc || !h || B < 0 || H < 0) return EM_EINVAL;
    switch (dtype) {
    case EM_F32: return lstm_forward_f32(gates, c_prev, c, tc, h, B, H);
    case EM_F64: return lstm_forward_f64(gates, c_prev, c, tc, h, B, H);
    default: return EM_EDTYPE;
    }
}

int em_lstm_cell_backward(int dtype, const void *act, const void *tc, const void *c_prev,
                          const void *dh, void *dc, void *dg, int64_t B, int64_t H) {
    if (!act || !tc || !c_prev || !dh || !dc || !dg || B < 0 || H < 0) return EM_EINVAL;
    switch (dtype) {
    case EM_F32: return lstm_backward_f32(act, tc, c_prev, dh, dc, dg, B, H);
    case EM_F64: return lstm_backward_f64(act, tc, c_prev, dh, dc, dg, B, H);
    default: return EM_EDTYPE;
    }
}
