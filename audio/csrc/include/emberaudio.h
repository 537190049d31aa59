/* emberaudio.h: every C entry point of emberaudio._C.
 *
 * Plain C declarations only: _C_build.py feeds this file verbatim to cffi's cdef.
 * Every function returns EA_OK or a negative EA_ERR_* status and checks the sizes it is
 * given (C never trusts its caller with bounds).
 */

#define EA_OK 0
#define EA_ERR_ARG -1

/* All-pole IIR recursion over contiguous (n_batch, n_channel, n_time) signals:
 *
 *     y[b, c, t] = x[b, c, t] - sum_{k=1}^{order-1} a[c, k] * y[b, c, t - k]
 *
 * with zero initial state. a is (n_channel, order) and already divided by a[c, 0]
 * (a[c, 0] itself is ignored). x and y may not overlap. Accumulates in double. */
int ea_iir_f32(const float *x, float *y, const float *a, int64_t n_batch, int64_t n_channel,
               int64_t n_time, int64_t order);
int ea_iir_f64(const double *x, double *y, const double *a, int64_t n_batch,
               int64_t n_channel, int64_t n_time, int64_t order);
