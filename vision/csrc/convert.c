/* convert.c: the per-image conversions of the transform pipeline (ToTensor, Normalize).
 *
 * ev_u8_hwc_to_chw_*: torchvision's ToTensor of a uint8 image is four passes (copy out of
 * Pillow, permute to CHW, convert to float, divide by 255); here it is one pass from the
 * image bytes to the float planes, each value divided by 255 in the output type, which is
 * exactly torch's rounding. (A reciprocal multiply is not: 126 of the 256 float quotients
 * differ. A 256-entry table is exact too but scalar: 224x224 RGB 47 us against 18 us for
 * the vectorized division.)
 *
 * ev_normalize_*: (x - mean[c]) / std[c] per plane, two roundings in the tensor type as
 * torch's sub_ then div_ (compiled without fused multiply-add contraction), one pass
 * instead of two.
 *
 * Shape of the code: the row/slice loops are compiled twice (EV_HOT: baseline x86-64 and
 * x86-64-v3, picked by the loader from the CPU's features, so AVX2 divides 8 floats at
 * once) and called from the plain drivers, whose OpenMP regions split the rows or slices
 * over threads only above a size threshold (a team costs microseconds to wake; a loop
 * inside an OpenMP region would be outlined into a function target_clones does not copy).
 */
#include <stddef.h>
#include <stdint.h>

#include "embervision.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define EV_HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define EV_HOT
#endif

/* below this many output values one thread is faster than starting a team */
#define EV_PARALLEL_MIN 262144
/* values per task of the normalize loop: two threads share three planes evenly */
#define EV_BLOCK 16384

#define DEFINE_HWC_TO_CHW(NAME, T)                                                          \
    /* one image row: the packed layouts of 1, 3 or 4 bands get loops the compiler          \
     * vectorizes over the interleaved bytes; any other layout walks the strides */         \
    EV_HOT static void NAME##_row(const uint8_t *restrict row, T *restrict out, int64_t w,  \
                                  int64_t c, int64_t plane, int64_t stride_w,               \
                                  int64_t stride_c) {                                       \
        const T scale = 255;                                                                \
        if (stride_c == 1 && stride_w == c && c == 3) {                                     \
            T *restrict o0 = out, *restrict o1 = out + plane;                               \
            T *restrict o2 = out + 2 * plane;                                               \
            for (int64_t x = 0; x < w; ++x) {                                               \
                o0[x] = (T)row[3 * x] / scale;                                              \
                o1[x] = (T)row[3 * x + 1] / scale;                                          \
                o2[x] = (T)row[3 * x + 2] / scale;                                          \
            }                                                                               \
        } else if (stride_c == 1 && stride_w == 4 && c == 3) { /* Pillow's RGB memory */    \
            T *restrict o0 = out, *restrict o1 = out + plane;                               \
            T *restrict o2 = out + 2 * plane;                                               \
            for (int64_t x = 0; x < w; ++x) {                                               \
                o0[x] = (T)row[4 * x] / scale;                                              \
                o1[x] = (T)row[4 * x + 1] / scale;                                          \
                o2[x] = (T)row[4 * x + 2] / scale;                                          \
            }                                                                               \
        } else if (stride_c == 1 && stride_w == c && c == 4) {                              \
            T *restrict o0 = out, *restrict o1 = out + plane;                               \
            T *restrict o2 = out + 2 * plane, *restrict o3 = out + 3 * plane;               \
            for (int64_t x = 0; x < w; ++x) {                                               \
                o0[x] = (T)row[4 * x] / scale;                                              \
                o1[x] = (T)row[4 * x + 1] / scale;                                          \
                o2[x] = (T)row[4 * x + 2] / scale;                                          \
                o3[x] = (T)row[4 * x + 3] / scale;                                          \
            }                                                                               \
        } else if (stride_w == 1 && c == 1) {                                               \
            for (int64_t x = 0; x < w; ++x)                                                 \
                out[x] = (T)row[x] / scale;                                                 \
        } else {                                                                            \
            for (int64_t ch = 0; ch < c; ++ch) {                                            \
                const uint8_t *in = row + ch * stride_c;                                    \
                T *o = out + ch * plane;                                                    \
                for (int64_t x = 0; x < w; ++x)                                             \
                    o[x] = (T)in[x * stride_w] / scale;                                     \
            }                                                                               \
        }                                                                                   \
    }                                                                                       \
                                                                                            \
    int NAME(const uint8_t *src, int64_t h, int64_t w, int64_t c, int64_t stride_h,        \
             int64_t stride_w, int64_t stride_c, T *dst, int threads) {                     \
        if (src == NULL || dst == NULL || h < 0 || w < 0 || c < 1)                          \
            return EV_ERR_ARG;                                                              \
        const int64_t plane = h * w;                                                        \
        if (threads > 1 && plane * c >= EV_PARALLEL_MIN) {                                  \
            _Pragma("omp parallel for num_threads(threads) schedule(static)")               \
            for (int64_t y = 0; y < h; ++y)                                                 \
                NAME##_row(src + y * stride_h, dst + y * w, w, c, plane, stride_w,          \
                           stride_c);                                                       \
        } else {                                                                            \
            for (int64_t y = 0; y < h; ++y)                                                 \
                NAME##_row(src + y * stride_h, dst + y * w, w, c, plane, stride_w,          \
                           stride_c);                                                       \
        }                                                                                   \
        return EV_OK;                                                                       \
    }

DEFINE_HWC_TO_CHW(ev_u8_hwc_to_chw_f32, float)
DEFINE_HWC_TO_CHW(ev_u8_hwc_to_chw_f64, double)

#define DEFINE_NORMALIZE(NAME, T)                                                           \
    EV_HOT static void NAME##_slice(const T *in, T *out, int64_t n, T m, T s) {             \
        for (int64_t i = 0; i < n; ++i)                                                     \
            out[i] = (in[i] - m) / s;                                                       \
    }                                                                                       \
                                                                                            \
    /* slice b: values [start, stop) of plane b / per (in and out may be one buffer) */     \
    static void NAME##_block(const T *src, T *dst, int64_t b, int64_t per, int64_t c,       \
                             int64_t plane, const T *mean, int64_t mean_len, const T *std,  \
                             int64_t std_len) {                                             \
        const int64_t p = b / per, ch = p % c, start = (b % per) * EV_BLOCK;                \
        const int64_t stop = start + EV_BLOCK < plane ? start + EV_BLOCK : plane;           \
        const int64_t at = p * plane + start;                                               \
        NAME##_slice(src + at, dst + at, stop - start, mean[mean_len == 1 ? 0 : ch],        \
                     std[std_len == 1 ? 0 : ch]);                                           \
    }                                                                                       \
                                                                                            \
    int NAME(const T *src, T *dst, int64_t n, int64_t c, int64_t plane, const T *mean,      \
             int64_t mean_len, const T *std, int64_t std_len, int threads) {                \
        if (src == NULL || dst == NULL || mean == NULL || std == NULL || n < 0 || c < 1 ||  \
            plane < 0 || (mean_len != 1 && mean_len != c) ||                                \
            (std_len != 1 && std_len != c))                                                 \
            return EV_ERR_ARG;                                                              \
        const int64_t per = (plane + EV_BLOCK - 1) / EV_BLOCK;                              \
        const int64_t blocks = n * c * per;                                                 \
        if (threads > 1 && n * c * plane >= EV_PARALLEL_MIN) {                              \
            _Pragma("omp parallel for num_threads(threads) schedule(static)")               \
            for (int64_t b = 0; b < blocks; ++b)                                            \
                NAME##_block(src, dst, b, per, c, plane, mean, mean_len, std, std_len);     \
        } else {                                                                            \
            for (int64_t b = 0; b < blocks; ++b)                                            \
                NAME##_block(src, dst, b, per, c, plane, mean, mean_len, std, std_len);     \
        }                                                                                   \
        return EV_OK;                                                                       \
    }

DEFINE_NORMALIZE(ev_normalize_f32, float)
DEFINE_NORMALIZE(ev_normalize_f64, double)

/* the format string of an Arrow schema is exactly `want` */
static int format_is(const struct ArrowSchema *schema, const char *want) {
    const char *f = schema->format;
    if (f == NULL) return 0;
    while (*want != '\0' && *f == *want) ++f, ++want;
    return *f == '\0' && *want == '\0';
}

/* one uint8 buffer of n values, no nulls, no offset */
static int u8_buffer_ok(const struct ArrowArray *a, int64_t n) {
    return a != NULL && a->length == n && a->offset == 0 && a->null_count == 0 &&
           a->n_buffers == 2 && a->buffers != NULL && a->buffers[1] != NULL;
}

int ev_arrow_pixels(const struct ArrowSchema *schema, const struct ArrowArray *array,
                    int64_t pixels, const uint8_t **data, int64_t *pixel_bytes) {
    if (schema == NULL || array == NULL || data == NULL || pixel_bytes == NULL || pixels < 0)
        return EV_ERR_ARG;
    if (format_is(schema, "C") && u8_buffer_ok(array, pixels)) {
        *data = array->buffers[1];
        *pixel_bytes = 1;
        return EV_OK;
    }
    if (format_is(schema, "+w:4") && schema->n_children == 1 && schema->children != NULL &&
        format_is(schema->children[0], "C") && array->length == pixels &&
        array->offset == 0 && array->null_count == 0 && array->n_children == 1 &&
        array->children != NULL && u8_buffer_ok(array->children[0], 4 * pixels)) {
        *data = array->children[0]->buffers[1];
        *pixel_bytes = 4;
        return EV_OK;
    }
    return EV_ERR_ARG;
}
