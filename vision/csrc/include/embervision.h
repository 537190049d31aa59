/* embervision.h: every C entry point of embervision._C.
 *
 * Plain C declarations only: _C_build.py feeds this file verbatim to cffi's cdef.
 * Every function returns EV_OK or a negative EV_ERR_* status and checks the sizes and
 * indices it is given (C never trusts its caller with bounds).
 */

#define EV_OK 0
#define EV_ERR_ARG -1
#define EV_ERR_INDEX -2
#define EV_ERR_NOMEM -3

/* Greedy non-maximum suppression over n boxes (contiguous (n, 4) rows x1, y1, x2, y2).
 *
 * `order` is a permutation of 0..n-1 by decreasing score. Walking it, a box is kept unless
 * an earlier kept box overlaps it with IoU > iou_threshold, the IoU computed in the box
 * type as torchvision does: inter / (area_i + area_j - inter), areas (x2 - x1) * (y2 - y1),
 * compared in double. With `labels` (n int64 categories, or NULL) only boxes of the same
 * category suppress each other. Writes the kept original indices, in `order`'s order, to
 * keep[0 .. *n_keep) (room for n). EV_ERR_INDEX: `order` is not a permutation of 0..n-1. */
int ev_nms_f32(const float *boxes, const int64_t *order, const int64_t *labels, int64_t n,
               double iou_threshold, int64_t *keep, int64_t *n_keep);
int ev_nms_f64(const double *boxes, const int64_t *order, const int64_t *labels, int64_t n,
               double iou_threshold, int64_t *keep, int64_t *n_keep);
