/* nms.c: greedy non-maximum suppression (torchvision.ops.nms semantics).
 *
 * Layout: the boxes are gathered in score order into separate x1/y1/x2/y2/area arrays, so
 * the inner loop over the later candidates reads memory sequentially. It has no branch: it
 * recomputes the IoU even of already suppressed boxes (suppression only ever goes from 0 to
 * 1, so the result is the same) and keeps the flags in the box type, which lets the
 * compiler vectorise it with plain SSE2 (an int64 or byte flag array mixes vector widths).
 * With categories, the boxes are grouped by category first (score order kept inside each
 * group): a category is then one contiguous run, NMS runs on each run alone, and no box is
 * ever compared with a box of another category.
 *
 * Arithmetic: operation by operation as torchvision's CPU kernel, so kept sets agree bit for
 * bit: max/min written as (a < b ? b : a), the IoU in the box type. torchvision compares
 * the IoU with the threshold in double; for a value v of the box type, v > t exactly when
 * v > t', t' the largest value of the box type not above t, so the loop compares in the
 * box type.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "embervision.h"

/* largest float not above t (t itself when representable; NaN stays NaN) */
static float float_floor(double t) {
    float f = (float)t;
    return (double)f > t ? nextafterf(f, -INFINITY) : f;
}

static double double_floor(double t) { return t; }

/* a box's category and its position in score order: sorting these groups the categories
 * and keeps score order inside each (the position breaks ties, so qsort is stable here) */
typedef struct {
    int64_t label;
    int64_t pos;
} slot_t;

static int slot_cmp(const void *pa, const void *pb) {
    const slot_t *a = pa, *b = pb;
    if (a->label != b->label)
        return a->label < b->label ? -1 : 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

#define DEFINE_NMS(NAME, T, FLOOR)                                                          \
    /* dead[j] = 1 for the candidates j < m whose IoU with box i is above thr */            \
    static void NAME##_row(const T *restrict x1, const T *restrict y1,                      \
                           const T *restrict x2, const T *restrict y2,                      \
                           const T *restrict area, T *restrict dead, int64_t m, T ix1,      \
                           T iy1, T ix2, T iy2, T iarea, T thr) {                           \
        for (int64_t j = 0; j < m; ++j) {                                                   \
            T xx1 = ix1 < x1[j] ? x1[j] : ix1;                                              \
            T yy1 = iy1 < y1[j] ? y1[j] : iy1;                                              \
            T xx2 = x2[j] < ix2 ? x2[j] : ix2;                                              \
            T yy2 = y2[j] < iy2 ? y2[j] : iy2;                                              \
            T w = xx2 - xx1, h = yy2 - yy1;                                                 \
            w = (T)0 < w ? w : (T)0;                                                        \
            h = (T)0 < h ? h : (T)0;                                                        \
            T inter = w * h;                                                                \
            T ovr = inter / (iarea + area[j] - inter);                                      \
            dead[j] = ovr > thr ? (T)1 : dead[j];                                           \
        }                                                                                   \
    }                                                                                       \
                                                                                            \
    int NAME(const T *boxes, const int64_t *order, const int64_t *labels, int64_t n,        \
             double iou_threshold, int64_t *keep, int64_t *n_keep) {                        \
        if (!n_keep || n < 0 || (n > 0 && (!boxes || !order || !keep)))                     \
            return EV_ERR_ARG;                                                              \
        *n_keep = 0;                                                                        \
        if (n == 0)                                                                         \
            return EV_OK;                                                                   \
        if ((uint64_t)n > SIZE_MAX / (6 * sizeof(T) + sizeof(slot_t) + 1))                  \
            return EV_ERR_NOMEM;                                                            \
        size_t un = (size_t)n;                                                              \
        T *soa = malloc(6 * un * sizeof(T));                                                \
        slot_t *slots = malloc(un * sizeof(slot_t));                                        \
        unsigned char *kept = calloc(un, 1);                                                \
        int status = EV_OK;                                                                 \
        if (!soa || !slots || !kept) {                                                      \
            status = EV_ERR_NOMEM;                                                          \
            goto done;                                                                      \
        }                                                                                   \
        /* `kept` first marks the indices seen, to check that order is a permutation */     \
        for (int64_t i = 0; i < n; ++i) {                                                   \
            int64_t k = order[i];                                                           \
            if (k < 0 || k >= n || kept[k]) {                                               \
                status = EV_ERR_INDEX;                                                      \
                goto done;                                                                  \
            }                                                                               \
            kept[k] = 1;                                                                    \
            slots[i].label = labels ? labels[k] : 0;                                        \
            slots[i].pos = i;                                                               \
        }                                                                                   \
        for (int64_t i = 0; i < n; ++i)                                                     \
            kept[i] = 0;                                                                    \
        if (labels)                                                                         \
            qsort(slots, un, sizeof(slot_t), slot_cmp);                                     \
        T *x1 = soa, *y1 = soa + un, *x2 = soa + 2 * un, *y2 = soa + 3 * un;                \
        T *area = soa + 4 * un, *dead = soa + 5 * un;                                       \
        for (int64_t t = 0; t < n; ++t) {                                                   \
            const T *b = boxes + 4 * order[slots[t].pos];                                   \
            x1[t] = b[0];                                                                   \
            y1[t] = b[1];                                                                   \
            x2[t] = b[2];                                                                   \
            y2[t] = b[3];                                                                   \
            area[t] = (b[2] - b[0]) * (b[3] - b[1]);                                        \
            dead[t] = 0;                                                                    \
        }                                                                                   \
        const T thr = FLOOR(iou_threshold);                                                 \
        for (int64_t start = 0, end; start < n; start = end) {                              \
            for (end = start + 1; end < n && slots[end].label == slots[start].label; ++end) \
                ;                                                                           \
            for (int64_t t = start; t < end; ++t) {                                         \
                if (dead[t] != 0)                                                           \
                    continue;                                                               \
                kept[slots[t].pos] = 1;                                                     \
                int64_t s = t + 1;                                                          \
                NAME##_row(x1 + s, y1 + s, x2 + s, y2 + s, area + s, dead + s, end - s,     \
                           x1[t], y1[t], x2[t], y2[t], area[t], thr);                       \
            }                                                                               \
        }                                                                                   \
        int64_t count = 0;                                                                  \
        for (int64_t i = 0; i < n; ++i)                                                     \
            if (kept[i])                                                                    \
                keep[count++] = order[i];                                                   \
        *n_keep = count;                                                                    \
    done:                                                                                   \
        free(soa);                                                                          \
        free(slots);                                                                        \
        free(kept);                                                                         \
        return status;                                                                      \
    }

DEFINE_NMS(ev_nms_f32, float, float_floor)
DEFINE_NMS(ev_nms_f64, double, double_floor)
