/* bpe.c: byte-level BPE with tiktoken's merge rule.
 *
 * A piece is first looked up whole (most words are single tokens). Otherwise it starts as
 * single bytes and, repeatedly, the adjacent pair whose concatenation has the lowest rank
 * is merged, the leftmost one on ties, until no adjacent pair forms a known token. The
 * parts form a linked list and candidate pairs sit in a binary min-heap keyed by
 * (rank, start offset), with stale entries dropped when popped: O(n log n) per piece, so a
 * megabyte without a space costs no more than a megabyte of words.
 */
#include <stdlib.h>

#include "internal.h"

struct et_bpe {
    char *blob;
    et_table table;
    /* decoding: id -> blob[dec_off[id] : dec_off[id] + dec_len[id]], dec_len -1 if absent */
    uint32_t *dec_off;
    int32_t *dec_len;
    size_t n_ids;
};

void et_bpe_free(et_bpe *m) {
    if (!m) return;
    et_table_free(&m->table);
    free(m->blob);
    free(m->dec_off);
    free(m->dec_len);
    free(m);
}

int et_bpe_new(const char *blob, size_t blob_len, const int64_t *offsets, const int32_t *ranks,
               const int32_t *ids, size_t n, et_bpe **out) {
    if (!out || (!blob && blob_len) || !ranks || !ids) return ET_ERR_ARG;
    *out = NULL;
    int st = et_check_offsets(blob_len, offsets, n);
    if (st != ET_OK) return st;
    int32_t max_id = -1;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ranks[i] < -1) return ET_ERR_ARG;
        if (ids[i] > max_id) max_id = ids[i];
    }
    et_bpe *m = calloc(1, sizeof(et_bpe));
    if (!m) return ET_ERR_NOMEM;
    m->blob = malloc(blob_len ? blob_len : 1);
    m->n_ids = (size_t)max_id + 1;
    m->dec_off = malloc(m->n_ids * sizeof(uint32_t) + 1);
    m->dec_len = malloc(m->n_ids * sizeof(int32_t) + 1);
    if (!m->blob || !m->dec_off || !m->dec_len) { et_bpe_free(m); return ET_ERR_NOMEM; }
    if (blob_len) memcpy(m->blob, blob, blob_len);
    for (size_t i = 0; i < m->n_ids; i++) m->dec_len[i] = -1;
    st = et_table_init(&m->table, m->blob, n);
    if (st != ET_OK) { et_bpe_free(m); return st; }
    for (size_t i = 0; i < n; i++) {
        uint32_t off = (uint32_t)offsets[i], len = (uint32_t)(offsets[i + 1] - offsets[i]);
        if (m->dec_len[ids[i]] != -1) { et_bpe_free(m); return ET_ERR_DUPLICATE; }
        m->dec_off[ids[i]] = off;
        m->dec_len[ids[i]] = (int32_t)len;
        if (ranks[i] < 0) continue; /* decode-only token */
        st = et_table_insert(&m->table, off, len, ranks[i], ids[i]);
        if (st != ET_OK) { et_bpe_free(m); return st; }
    }
    /* every byte must be encodable, or the merge loop could strand a byte */
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        if (!et_table_find(&m->table, &c, 1)) { et_bpe_free(m); return ET_ERR_ARG; }
    }
    *out = m;
    return ET_OK;
}

typedef struct {
    int32_t rank;
    uint32_t left;  /* start of the left part */
    uint32_t right; /* start of the right part */
    uint32_t end;   /* end of the right part when the entry was pushed */
} heap_item;

static inline int item_less(const heap_item *a, const heap_item *b) {
    return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static void heap_push(heap_item *h, size_t *n, heap_item it) {
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!item_less(&it, &h[p])) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = it;
}

static heap_item heap_pop(heap_item *h, size_t *n) {
    heap_item top = h[0], last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && item_less(&h[c + 1], &h[c])) c++;
        if (!item_less(&h[c], &last)) break;
        h[i] = h[c];
        i = c;
    }
    if (*n) h[i] = last;
    return top;
}

/* Scratch space for the merge loop, grown as needed and owned by one encode call (so
 * concurrent calls on one model share nothing mutable). */
typedef struct {
    uint32_t *next; /* next[start] = start of the following part (len at the end) */
    uint32_t *prev;
    uint8_t *alive;
    heap_item *heap;
    size_t cap;
} scratch;

static int scratch_reserve(scratch *w, size_t len) {
    if (len <= w->cap) return ET_OK;
    if (len > UINT32_MAX / 4) return ET_ERR_ARG;
    free(w->next); free(w->prev); free(w->alive); free(w->heap);
    w->next = malloc((len + 1) * sizeof(uint32_t));
    w->prev = malloc((len + 1) * sizeof(uint32_t));
    w->alive = malloc(len + 1);
    w->heap = malloc(3 * (len + 1) * sizeof(heap_item));
    w->cap = (w->next && w->prev && w->alive && w->heap) ? len : 0;
    return w->cap ? ET_OK : ET_ERR_NOMEM;
}

static void scratch_free(scratch *w) {
    free(w->next); free(w->prev); free(w->alive); free(w->heap);
}

static inline void push_pair(const et_bpe *m, const uint8_t *s, const scratch *w, heap_item *heap,
                             size_t *nh, uint32_t left, uint32_t len) {
    uint32_t right = w->next[left];
    if (right >= len) return;
    uint32_t end = w->next[right];
    const et_entry *e = et_table_find(&m->table, (const char *)s + left, end - left);
    if (e) heap_push(heap, nh, (heap_item){e->rank, left, right, end});
}

/* Merges one piece s[0:len] and appends its ids at out[*n] (counting past cap). */
static int merge_piece(const et_bpe *m, const uint8_t *s, size_t len, scratch *w, int32_t *out,
                       size_t cap, size_t *n) {
    const et_entry *whole = et_table_find(&m->table, (const char *)s, len);
    if (whole) {
        if (*n < cap) out[*n] = whole->id;
        (*n)++;
        return ET_OK;
    }
    int st = scratch_reserve(w, len);
    if (st != ET_OK) return st;
    uint32_t L = (uint32_t)len;
    for (uint32_t i = 0; i < L; i++) {
        w->next[i] = i + 1;
        w->prev[i] = i ? i - 1 : 0;
        w->alive[i] = 1;
    }
    size_t nh = 0;
    for (uint32_t i = 0; i + 1 < L; i++) push_pair(m, s, w, w->heap, &nh, i, L);
    while (nh) {
        heap_item it = heap_pop(w->heap, &nh);
        if (!w->alive[it.left] || !w->alive[it.right] || w->next[it.left] != it.right ||
            w->next[it.right] != it.end)
            continue; /* stale: one side has merged since this entry was pushed */
        w->alive[it.right] = 0;
        w->next[it.left] = it.end;
        if (it.end < L) w->prev[it.end] = it.left;
        if (it.left > 0) push_pair(m, s, w, w->heap, &nh, w->prev[it.left], L);
        push_pair(m, s, w, w->heap, &nh, it.left, L);
    }
    for (uint32_t i = 0; i < L; i = w->next[i]) {
        const et_entry *e = et_table_find(&m->table, (const char *)s + i, w->next[i] - i);
        if (!e) return ET_ERR_ARG; /* unreachable: parts are bytes or merged tokens */
        if (*n < cap) out[*n] = e->id;
        (*n)++;
    }
    return ET_OK;
}

int et_bpe_encode_bytes(const et_bpe *m, const char *bytes, size_t len, int32_t *out, size_t cap,
                        size_t *n_out) {
    if (!m || (!bytes && len) || (!out && cap) || !n_out) return ET_ERR_ARG;
    *n_out = 0;
    if (!len) return ET_OK;
    scratch w = {0};
    size_t n = 0;
    int st = merge_piece(m, (const uint8_t *)bytes, len, &w, out, cap, &n);
    scratch_free(&w);
    *n_out = n;
    if (st != ET_OK) return st;
    return n > cap ? ET_ERR_CAPACITY : ET_OK;
}

/* Encodes s[0:len] appending at out[*n] (counting past cap), reusing the scratch. */
static int encode_text(const et_bpe *m, const uint8_t *s, size_t len, scratch *w, int32_t *out,
                       size_t cap, size_t *n) {
    size_t i = 0;
    while (i < len) {
        size_t e;
        int st = et_gpt2_next(s, len, i, &e);
        if (st != ET_OK) return st;
        st = merge_piece(m, s + i, e - i, w, out, cap, n);
        if (st != ET_OK) return st;
        i = e;
    }
    return ET_OK;
}

int et_bpe_encode(const et_bpe *m, const char *text, size_t len, int32_t *out, size_t cap,
                  size_t *n_out) {
    if (!m || (!text && len) || (!out && cap) || !n_out) return ET_ERR_ARG;
    scratch w = {0};
    size_t n = 0;
    int st = encode_text(m, (const uint8_t *)text, len, &w, out, cap, &n);
    scratch_free(&w);
    *n_out = n;
    if (st != ET_OK) return st;
    return n > cap ? ET_ERR_CAPACITY : ET_OK;
}

int et_bpe_encode_many(const et_bpe *m, const char *blob, size_t blob_len,
                       const int64_t *text_ends, size_t n_texts, int32_t *out, size_t cap,
                       int64_t *out_ends, size_t *n_out) {
    if (!m || (!blob && blob_len) || (!out && cap) || (!out_ends && n_texts) || !n_out)
        return ET_ERR_ARG;
    int st = et_check_ends(blob_len, text_ends, n_texts);
    if (st != ET_OK) return st;
    scratch w = {0};
    size_t n = 0, start = 0;
    for (size_t t = 0; t < n_texts && st == ET_OK; t++) {
        size_t end = (size_t)text_ends[t];
        st = encode_text(m, (const uint8_t *)blob + start, end - start, &w, out, cap, &n);
        out_ends[t] = (int64_t)n;
        start = end;
    }
    scratch_free(&w);
    *n_out = n;
    if (st != ET_OK) return st;
    return n > cap ? ET_ERR_CAPACITY : ET_OK;
}

int et_bpe_decode(const et_bpe *m, const int32_t *ids, size_t n, char *out, size_t cap,
                  size_t *n_out) {
    if (!m || (!ids && n) || (!out && cap) || !n_out) return ET_ERR_ARG;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || (size_t)id >= m->n_ids || m->dec_len[id] < 0) {
            *n_out = i;
            return ET_ERR_RANGE;
        }
        size_t l = (size_t)m->dec_len[id];
        if (total + l <= cap) memcpy(out + total, m->blob + m->dec_off[id], l);
        total += l;
    }
    *n_out = total;
    return total > cap ? ET_ERR_CAPACITY : ET_OK;
}
