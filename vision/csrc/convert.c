/* convert.c: the per-image conversions of the transform pipeline (ToTensor, Normalize).
 *
 * ev_u8_hwc_to_chw_*: torchvision's ToTensor of a uint8 image is four passes (copy out of
 * Pillow, permute to CHW, convert to float, divide by 255); here it is one pass from the
 * image bytes to the float planes. The division is exact: x / 255 for the 256 possible
 * bytes is a table built once per call in the output type (float(x) / 255 rounds exactly
 * as torch's division does), so every output is a table load, with no division per value.
 *
 * ev_normalize_*: (x - mean[c]) / std[c] per plane, two roundings in the tensor type as
 * torch's sub_ then div_ (compiled without fused multiply-add contraction), one pass
 * instead of two.
 *
 * Both take an optional thread count; the work splits into whole rows or planes over
 * OpenMP threads only above a size threshold (a team costs microseconds to wake).
 */
#include <stddef.h>
#include <stdint.h>

#include "embervision.h"

/* below this many output values one thread is faster than starting a team */
#define EV_PARALLEL_MIN 262144
/* values per task of the normalize loop */
#define EV_BLOCK 16384

#define DEFINE_HWC_TO_CHW(NAME, T)                                                          \
    int NAME(const uint8_t *src, int64_t h, int64_t w, int64_t c, int64_t stride_h,        \
             int64_t stride_w, int64_t stride_c, T *dst, int threads) {                     \
        if (src == NULL || dst == NULL || h < 0 || w < 0 || c < 1)                          \
            return EV_ERR_ARG;                                                              \
        T table[256];                                                                       \
        for (int v = 0; v < 256; ++v)                                                       \
            table[v] = (T)v / (T)255;                                                       \
        const int64_t plane = h * w;                                                        \
        const int team = threads > 1 && plane * c >= EV_PARALLEL_MIN ? threads : 1;         \
        /* the common layouts (packed rows of 1, 3 or 4 bands) get loops the compiler       \
         * unrolls over the bands; any other layout walks the strides */                    \
        const int packed = stride_c == 1 && stride_w == c && (c == 1 || c == 3 || c == 4);  \
        _Pragma("omp parallel for if(team > 1) num_threads(team)")                          \
        for (int64_t y = 0; y < h; ++y) {                                                   \
            const uint8_t *row = src + y * stride_h;                                        \
            T *out = dst + y * w;                                                           \
            if (packed && c == 3) {                                                         \
                T *o0 = out, *o1 = out + plane, *o2 = out + 2 * plane;                      \
                for (int64_t x = 0; x < w; ++x) {                                           \
                    o0[x] = table[row[3 * x]];                                              \
                    o1[x] = table[row[3 * x + 1]];                                          \
                    o2[x] = table[row[3 * x + 2]];                                          \
                }                                                                           \
            } else if (packed && c == 4) {                                                  \
                T *o0 = out, *o1 = out + plane, *o2 = out + 2 * plane;                      \
                T *o3 = out + 3 * plane;                                                    \
                for (int64_t x = 0; x < w; ++x) {                                           \
                    o0[x] = table[row[4 * x]];                                              \
                    o1[x] = table[row[4 * x + 1]];                                          \
                    o2[x] = table[row[4 * x + 2]];                                          \
                    o3[x] = table[row[4 * x + 3]];                                          \
                }                                                                           \
            } else if (packed) {                                                            \
                for (int64_t x = 0; x < w; ++x)                                             \
                    out[x] = table[row[x]];                                                 \
            } else {                                                                        \
                for (int64_t ch = 0; ch < c; ++ch) {                                        \
                    const uint8_t *in = row + ch * stride_c;                                \
                    T *o = out + ch * plane;                                                \
                    for (int64_t x = 0; x < w; ++x)                                         \
                        o[x] = table[in[x * stride_w]];                                     \
                }                                                                           \
            }                                                                               \
        }                                                                                   \
        return EV_OK;                                                                       \
    }

DEFINE_HWC_TO_CHW(ev_u8_hwc_to_chw_f32, float)
DEFINE_HWC_TO_CHW(ev_u8_hwc_to_chw_f64, double)

#define DEFINE_NORMALIZE(NAME, T)                                                           \
    int NAME(const T *src, T *dst, int64_t n, int64_t c, int64_t plane, const T *mean,      \
             int64_t mean_len, const T *std, int64_t std_len, int threads) {                \
        if (src == NULL || dst == NULL || mean == NULL || std == NULL || n < 0 || c < 1 ||  \
            plane < 0 || (mean_len != 1 && mean_len != c) || (std_len != 1 && std_len != c))\
            return EV_ERR_ARG;                                                              \
        /* blocks of whole planes' slices, so two threads share three planes evenly */     \
        const int64_t planes = n * c, per = (plane + EV_BLOCK - 1) / EV_BLOCK;              \
        const int team = threads > 1 && planes * plane >= EV_PARALLEL_MIN ? threads : 1;    \
        _Pragma("omp parallel for if(team > 1) num_threads(team)")                          \
        for (int64_t b = 0; b < planes * per; ++b) {                                        \
            const int64_t p = b / per, ch = p % c, start = (b % per) * EV_BLOCK;            \
            const int64_t stop = start + EV_BLOCK < plane ? start + EV_BLOCK : plane;       \
            const T m = mean[mean_len == 1 ? 0 : ch], s = std[std_len == 1 ? 0 : ch];      \
            const T *in = src + p * plane;                                                  \
            T *out = dst + p * plane;                                                       \
            for (int64_t i = start; i < stop; ++i)                                          \
                out[i] = (in[i] - m) / s;                                                   \
        }                                                                                   \
        return EV_OK;                                                                       \
    }

DEFINE_NORMALIZE(ev_normalize_f32, float)
DEFINE_NORMALIZE(ev_normalize_f64, double)
