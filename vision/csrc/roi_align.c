/* roi_align.c: RoIAlign forward and input gradient (torchvision.ops.roi_align semantics).
 *
 * A box's sample positions and bilinear weights depend on the box only, not on the channel,
 * so they are computed once per box (`taps`: four offsets and four weights per sample, in
 * bin order) and reused for every channel plane, as torchvision's CPU kernel does. The
 * arithmetic follows that kernel operation by operation in the tensor type (box corners,
 * bin sizes, sample coordinates, the edge clamping, the left-to-right sum of the four
 * weighted taps, the division by the sample count), so results agree bit for bit.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "embervision.h"

#define DEFINE_ROI_ALIGN(SUFFIX, T)                                                         \
    typedef struct {                                                                        \
        int64_t pos[4];                                                                     \
        T w[4];                                                                             \
    } tap_##SUFFIX;                                                                         \
                                                                                            \
    /* one box's geometry: where its samples read and with which weights */                 \
    typedef struct {                                                                        \
        int64_t batch, grid_h, grid_w;                                                      \
        T count;                                                                            \
    } box_##SUFFIX;                                                                         \
                                                                                            \
    /* geometry of one roi and its taps (ph * pw * grid_h * grid_w, bin by bin; `inside`   \
     * flags the samples on the map); EV_ERR_INDEX: bad batch index */                      \
    static int roi_taps_##SUFFIX(const T *roi, int64_t n, int64_t h, int64_t w, int64_t ph, \
                                 int64_t pw, T scale, int64_t sampling_ratio, int aligned,  \
                                 box_##SUFFIX *box, tap_##SUFFIX **taps, unsigned char **inside, \
                                 int64_t *capacity) {                                       \
        T b = roi[0];                                                                       \
        if (!(b > (T)-1 && b < (T)n))                                                       \
            return EV_ERR_INDEX;                                                            \
        box->batch = (int64_t)b;                                                            \
        T offset = aligned ? (T)0.5 : (T)0.0;                                               \
        T x1 = roi[1] * scale - offset, y1 = roi[2] * scale - offset;                       \
        T x2 = roi[3] * scale - offset, y2 = roi[4] * scale - offset;                       \
        T roi_w = x2 - x1, roi_h = y2 - y1;                                                 \
        if (!aligned) {                                                                     \
            roi_w = roi_w < (T)1 ? (T)1 : roi_w;                                            \
            roi_h = roi_h < (T)1 ? (T)1 : roi_h;                                            \
        }                                                                                   \
        T bin_h = roi_h / (T)ph, bin_w = roi_w / (T)pw;                                     \
        T gh = sampling_ratio > 0 ? (T)sampling_ratio : ceil(roi_h / (T)ph);                \
        T gw = sampling_ratio > 0 ? (T)sampling_ratio : ceil(roi_w / (T)pw);                \
        /* an empty, negative or NaN extent samples nothing (torchvision's loops do not run) */ \
        gh = gh > 0 ? gh : 0;                                                               \
        gw = gw > 0 ? gw : 0;                                                               \
        /* a huge box would ask for an absurd number of samples: refuse, do not allocate */  \
        if ((double)gh * (double)gw * (double)ph * (double)pw > 1e9)                        \
            return EV_ERR_NOMEM;                                                            \
        box->grid_h = (int64_t)gh;                                                          \
        box->grid_w = (int64_t)gw;                                                          \
        int64_t grid = box->grid_h * box->grid_w;                                           \
        box->count = (T)(grid > 1 ? grid : 1);                                              \
        int64_t need = ph * pw * grid;                                                      \
        if (need > *capacity) {                                                             \
            free(*taps);                                                                    \
            free(*inside);                                                                  \
            *taps = malloc((size_t)need * sizeof(tap_##SUFFIX));                            \
            *inside = malloc((size_t)need);                                                 \
            if (!*taps || !*inside) {                                                       \
                *capacity = 0;                                                              \
                return EV_ERR_NOMEM;                                                        \
            }                                                                               \
            *capacity = need;                                                               \
        }                                                                                   \
        int64_t t = 0;                                                                      \
        for (int64_t py = 0; py < ph; ++py)                                                 \
            for (int64_t px = 0; px < pw; ++px)                                             \
                for (int64_t iy = 0; iy < box->grid_h; ++iy) {                              \
                    T yy = y1 + (T)py * bin_h + (T)((double)iy + .5) * bin_h / gh;          \
                    for (int64_t ix = 0; ix < box->grid_w; ++ix, ++t) {                     \
                        T x = x1 + (T)px * bin_w + (T)((double)ix + .5) * bin_w / gw;       \
                        T y = yy;                                                           \
                        tap_##SUFFIX *tp = *taps + t;                                       \
                        /* outside (or NaN): no weight; the forward still reads pixel 0, \
                         * times 0, as torchvision does (an inf there gives NaN) */         \
                        if (!(y >= -1.0 && y <= h && x >= -1.0 && x <= w)) {                \
                            (*inside)[t] = 0;                                               \
                            for (int q = 0; q < 4; ++q) {                                   \
                                tp->pos[q] = 0;                                             \
                                tp->w[q] = 0;                                               \
                            }                                                               \
                            continue;                                                       \
                        }                                                                   \
                        (*inside)[t] = 1;                                                   \
                        if (y <= 0)                                                         \
                            y = 0;                                                          \
                        if (x <= 0)                                                         \
                            x = 0;                                                          \
                        int64_t y_lo = (int64_t)y, x_lo = (int64_t)x, y_hi, x_hi;           \
                        if (y_lo >= h - 1) {                                                \
                            y_hi = y_lo = h - 1;                                            \
                            y = (T)y_lo;                                                    \
                        } else {                                                            \
                            y_hi = y_lo + 1;                                                \
                        }                                                                   \
                        if (x_lo >= w - 1) {                                                \
                            x_hi = x_lo = w - 1;                                            \
                            x = (T)x_lo;                                                    \
                        } else {                                                            \
                            x_hi = x_lo + 1;                                                \
                        }                                                                   \
                        T ly = y - (T)y_lo, lx = x - (T)x_lo;                               \
                        T hy = (T)(1. - ly), hx = (T)(1. - lx);                             \
                        tp->w[0] = hy * hx;                                                 \
                        tp->w[1] = hy * lx;                                                 \
                        tp->w[2] = ly * hx;                                                 \
                        tp->w[3] = ly * lx;                                                 \
                        tp->pos[0] = y_lo * w + x_lo;                                       \
                        tp->pos[1] = y_lo * w + x_hi;                                       \
                        tp->pos[2] = y_hi * w + x_lo;                                       \
                        tp->pos[3] = y_hi * w + x_hi;                                       \
                    }                                                                       \
                }                                                                           \
        return EV_OK;                                                                       \
    }                                                                                       \
                                                                                            \
    static int check_##SUFFIX(const void *a, const void *b, const void *c_, int64_t n,      \
                              int64_t c, int64_t h, int64_t w, int64_t k, int64_t ph,       \
                              int64_t pw) {                                                 \
        if (n < 0 || c < 0 || h < 0 || w < 0 || k < 0 || ph <= 0 || pw <= 0)                \
            return EV_ERR_ARG;                                                              \
        if (k > 0 && (!a || !b || !c_))                                                     \
            return EV_ERR_ARG;                                                              \
        if (k > 0 && c > 0 && (n == 0 || h == 0 || w == 0))                                 \
            return EV_ERR_ARG;                                                              \
        return EV_OK;                                                                       \
    }                                                                                       \
                                                                                            \
    int ev_roi_align_##SUFFIX(const T *input, const T *rois, T *out, int64_t n, int64_t c,  \
                              int64_t h, int64_t w, int64_t k, int64_t ph, int64_t pw,      \
                              double spatial_scale, int64_t sampling_ratio, int aligned) {  \
        int status = check_##SUFFIX(input, rois, out, n, c, h, w, k, ph, pw);               \
        if (status != EV_OK)                                                                \
            return status;                                                                  \
        tap_##SUFFIX *taps = NULL;                                                          \
        unsigned char *inside = NULL;                                                       \
        int64_t capacity = 0;                                                               \
        for (int64_t r = 0; r < k && status == EV_OK; ++r) {                                \
            box_##SUFFIX box;                                                               \
            status = roi_taps_##SUFFIX(rois + 5 * r, n, h, w, ph, pw, (T)spatial_scale,     \
                                       sampling_ratio, aligned, &box, &taps, &inside,       \
                                       &capacity);                                          \
            if (status != EV_OK)                                                            \
                break;                                                                      \
            int64_t grid = box.grid_h * box.grid_w;                                         \
            for (int64_t ch = 0; ch < c; ++ch) {                                            \
                const T *plane = input + (box.batch * c + ch) * h * w;                      \
                T *o = out + (r * c + ch) * ph * pw;                                        \
                for (int64_t bin = 0; bin < ph * pw; ++bin) {                               \
                    T acc = 0;                                                              \
                    for (int64_t s = bin * grid; s < (bin + 1) * grid; ++s) {               \
                        const tap_##SUFFIX *tp = taps + s;                                  \
                        acc += tp->w[0] * plane[tp->pos[0]] + tp->w[1] * plane[tp->pos[1]]  \
                               + tp->w[2] * plane[tp->pos[2]] + tp->w[3] * plane[tp->pos[3]]; \
                    }                                                                       \
                    o[bin] = acc / box.count;                                               \
                }                                                                           \
            }                                                                               \
        }                                                                                   \
        free(taps);                                                                         \
        free(inside);                                                                       \
        return status;                                                                      \
    }                                                                                       \
                                                                                            \
    int ev_roi_align_backward_##SUFFIX(const T *grad_out, const T *rois, T *grad_input,     \
                                       int64_t n, int64_t c, int64_t h, int64_t w,          \
                                       int64_t k, int64_t ph, int64_t pw,                   \
                                       double spatial_scale, int64_t sampling_ratio,        \
                                       int aligned) {                                       \
        int status = check_##SUFFIX(grad_out, rois, grad_input, n, c, h, w, k, ph, pw);     \
        if (status != EV_OK)                                                                \
            return status;                                                                  \
        tap_##SUFFIX *taps = NULL;                                                          \
        unsigned char *inside = NULL;                                                       \
        int64_t capacity = 0;                                                               \
        for (int64_t r = 0; r < k && status == EV_OK; ++r) {                                \
            box_##SUFFIX box;                                                               \
            status = roi_taps_##SUFFIX(rois + 5 * r, n, h, w, ph, pw, (T)spatial_scale,     \
                                       sampling_ratio, aligned, &box, &taps, &inside,       \
                                       &capacity);                                          \
            if (status != EV_OK)                                                            \
                break;                                                                      \
            int64_t grid = box.grid_h * box.grid_w;                                         \
            /* torchvision divides by the plain sample count here (no max with 1) */        \
            T count = (T)grid;                                                              \
            for (int64_t ch = 0; ch < c; ++ch) {                                            \
                T *plane = grad_input + (box.batch * c + ch) * h * w;                       \
                const T *g = grad_out + (r * c + ch) * ph * pw;                             \
                for (int64_t bin = 0; bin < ph * pw; ++bin)                                 \
                    for (int64_t s = bin * grid; s < (bin + 1) * grid; ++s) {               \
                        if (!inside[s])                                                     \
                            continue;                                                       \
                        const tap_##SUFFIX *tp = taps + s;                                  \
                        for (int q = 0; q < 4; ++q)                                         \
                            plane[tp->pos[q]] += g[bin] * tp->w[q] / count;                 \
                    }                                                                       \
            }                                                                               \
        }                                                                                   \
        free(taps);                                                                         \
        free(inside);                                                                       \
        return status;                                                                      \
    }

DEFINE_ROI_ALIGN(f32, float)
DEFINE_ROI_ALIGN(f64, double)
