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

/* RoIAlign (torchvision.ops.roi_align semantics) over contiguous input (n, c, h, w) and
 * rois (k, 5) rows (batch_index, x1, y1, x2, y2): out (k, c, pooled_h, pooled_w) gets the
 * average of each bin's grid of bilinear samples; sampling_ratio <= 0 sizes each box's grid
 * as ceil(roi size / pooled size). The arithmetic is torchvision's CPU kernel's, in the
 * tensor type. EV_ERR_INDEX: a batch index (truncated toward zero) is outside [0, n). */
int ev_roi_align_f32(const float *input, const float *rois, float *out, int64_t n, int64_t c,
                     int64_t h, int64_t w, int64_t k, int64_t pooled_h, int64_t pooled_w,
                     double spatial_scale, int64_t sampling_ratio, int aligned);
int ev_roi_align_f64(const double *input, const double *rois, double *out, int64_t n,
                     int64_t c, int64_t h, int64_t w, int64_t k, int64_t pooled_h,
                     int64_t pooled_w, double spatial_scale, int64_t sampling_ratio,
                     int aligned);

/* Gradient of ev_roi_align with respect to its input: adds each bin's gradient, spread over
 * the bilinear taps of its samples, into grad_input (n, c, h, w), which the caller zeroes.
 * grad_out is contiguous (k, c, pooled_h, pooled_w). */
int ev_roi_align_backward_f32(const float *grad_out, const float *rois, float *grad_input,
                              int64_t n, int64_t c, int64_t h, int64_t w, int64_t k,
                              int64_t pooled_h, int64_t pooled_w, double spatial_scale,
                              int64_t sampling_ratio, int aligned);
int ev_roi_align_backward_f64(const double *grad_out, const double *rois, double *grad_input,
                              int64_t n, int64_t c, int64_t h, int64_t w, int64_t k,
                              int64_t pooled_h, int64_t pooled_w, double spatial_scale,
                              int64_t sampling_ratio, int aligned);

/* ToTensor of a uint8 image: src (h, w, c) addressed by byte strides (any sign) from its
 * element [0, 0, 0] -> dst (c, h, w) contiguous, each value x as x / 255 in the output
 * type (exactly torch's float division). threads > 1 allows that many OpenMP threads on
 * large images. */
int ev_u8_hwc_to_chw_f32(const uint8_t *src, int64_t h, int64_t w, int64_t c,
                         int64_t stride_h, int64_t stride_w, int64_t stride_c, float *dst,
                         int threads);
int ev_u8_hwc_to_chw_f64(const uint8_t *src, int64_t h, int64_t w, int64_t c,
                         int64_t stride_h, int64_t stride_w, int64_t stride_c, double *dst,
                         int threads);

/* Normalize: dst = (src - mean[ch]) / std[ch] over contiguous (n, c, plane) values, rounded
 * after the subtraction and after the division as torch's sub_ then div_. mean and std hold
 * 1 (broadcast) or c values; dst may be src (in place). */
int ev_normalize_f32(const float *src, float *dst, int64_t n, int64_t c, int64_t plane,
                     const float *mean, int64_t mean_len, const float *std, int64_t std_len,
                     int threads);
int ev_normalize_f64(const double *src, double *dst, int64_t n, int64_t c, int64_t plane,
                     const double *mean, int64_t mean_len, const double *std,
                     int64_t std_len, int threads);

/* The structs of the Arrow C data interface (a stable ABI), through which Pillow (11.2 and
 * later) exports an image's pixel memory without copying it. */
struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};

struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};

/* The pixel bytes of an exported image of `pixels` pixels: one uint8 per pixel (format "C")
 * or four (a fixed-size list "+w:4" of "C", Pillow's layout of 3- and 4-band images), with
 * no offset and no nulls. Sets *data and *pixel_bytes (1 or 4); EV_ERR_ARG for any other
 * layout or length (the caller then copies the bytes out instead). */
int ev_arrow_pixels(const struct ArrowSchema *schema, const struct ArrowArray *array,
                    int64_t pixels, const uint8_t **data, int64_t *pixel_bytes);
