/* lfilter on the GPU (CuPy RawModule; emberaudio/_cuda.py loads this file by name).
 *
 *     a[0] y[t] = sum_{k<n} b[k] x[t-k] - sum_{1<=k<n} a[k] y[t-k]     (zero history)
 *
 * The same filter as csrc/lfilter.c: direct form I in double, coefficients divided by
 * a[c][0], the clamp to [-1, 1] applied to the output only (the recursion keeps the
 * unclamped values). One thread per (batch, channel) row walks its row in time order: the
 * recursion is sequential, and a row's n - 1 previous inputs and outputs live in that
 * thread's slice of `work` (2 (n - 1) doubles), so any order works and y may be x itself.
 * Strides are in elements and may be negative (filtfilt's backward pass walks from the end).
 */

template <typename T>
__device__ void ea_lfilter_row(const T *x, long long sxt, T *y, long long syt,
                               const T *a, const T *b, long long n_time, long long n,
                               int clamp, double *xh, double *yh) {
    const long long h = n - 1;
    const double a0 = (double)a[0];
    for (long long k = 0; k < h; ++k) {
        xh[k] = 0.0;
        yh[k] = 0.0;
    }
    long long pos = 0; /* ring slot of the oldest history entry (the next one written) */
    for (long long t = 0; t < n_time; ++t) {
        const double xt = (double)x[t * sxt];
        /* the CPU kernel's order: feed-forward sum from the newest input back, then the
         * feedback terms from the oldest output forward */
        double acc = (double)b[0] / a0 * xt;
        for (long long k = 1; k <= h; ++k) {
            long long i = pos - k;
            if (i < 0) i += h;
            acc += (double)b[k] / a0 * xh[i];
        }
        for (long long k = h; k >= 1; --k) {
            long long i = pos - k;
            if (i < 0) i += h;
            acc -= (double)a[k] / a0 * yh[i];
        }
        if (h > 0) {
            xh[pos] = xt;
            yh[pos] = acc;
            pos = pos + 1 == h ? 0 : pos + 1;
        }
        const double out = clamp ? (acc < -1.0 ? -1.0 : (acc > 1.0 ? 1.0 : acc)) : acc;
        y[t * syt] = (T)out;
    }
}

template <typename T>
__device__ void ea_lfilter(const T *x, long long sxb, long long sxc, long long sxt, T *y,
                           long long syb, long long syc, long long syt, const T *a,
                           const T *b, long long n_batch, long long n_channel,
                           long long n_time, long long n, int clamp, double *work) {
    const long long row = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (row >= n_batch * n_channel) return;
    const long long bi = row / n_channel, c = row % n_channel;
    double *xh = work + row * 2 * (n - 1);
    ea_lfilter_row<T>(x + bi * sxb + c * sxc, sxt, y + bi * syb + c * syc, syt, a + c * n,
                      b + c * n, n_time, n, clamp, xh, xh + (n - 1));
}

extern "C" __global__ void em_audio_lfilter_f32(
    const float *x, long long sxb, long long sxc, long long sxt, float *y, long long syb,
    long long syc, long long syt, const float *a, const float *b, long long n_batch,
    long long n_channel, long long n_time, long long n, int clamp, double *work) {
    ea_lfilter<float>(x, sxb, sxc, sxt, y, syb, syc, syt, a, b, n_batch, n_channel, n_time, n,
                      clamp, work);
}

extern "C" __global__ void em_audio_lfilter_f64(
    const double *x, long long sxb, long long sxc, long long sxt, double *y, long long syb,
    long long syc, long long syt, const double *a, const double *b, long long n_batch,
    long long n_channel, long long n_time, long long n, int clamp, double *work) {
    ea_lfilter<double>(x, sxb, sxc, sxt, y, syb, syc, syt, a, b, n_batch, n_channel, n_time, n,
                       clamp, work);
}
