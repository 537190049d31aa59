/* table.c: the byte-string -> (rank, id) hash table behind BPE and WordPiece lookups. */
#include <stdlib.h>

#include "internal.h"

uint64_t et_hash_bytes(const char *p, size_t n) {
    /* A multiply-xorshift hash over 8-byte words: keys are short token strings, so a
     * cheap mix that touches each word once beats byte-at-a-time FNV. */
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)n * 0xFF51AFD7ED558CCDull);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t v = 0;
        memcpy(&v, p, n);
        h = (h ^ v) * 0x94D049BB133111EBull;
        h ^= h >> 31;
    }
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 32);
}

int et_table_init(et_table *t, const char *blob, size_t n) {
    size_t cap = 16;
    while (cap < 2 * n + 2) {
        if (cap > ((size_t)1 << 40)) return ET_ERR_ARG;
        cap <<= 1;
    }
    t->slots = malloc(cap * sizeof(et_entry));
    if (!t->slots) return ET_ERR_NOMEM;
    for (size_t i = 0; i < cap; i++) t->slots[i].len = ET_SLOT_EMPTY;
    t->mask = cap - 1;
    t->count = 0;
    t->blob = blob;
    return ET_OK;
}

int et_table_insert(et_table *t, uint32_t off, uint32_t len, int32_t rank, int32_t id) {
    if (len == ET_SLOT_EMPTY || 2 * (t->count + 1) > t->mask + 1) return ET_ERR_ARG;
    const char *key = t->blob + off;
    uint64_t h = et_hash_bytes(key, len);
    size_t i = (size_t)h & t->mask;
    for (;;) {
        et_entry *e = &t->slots[i];
        if (e->len == ET_SLOT_EMPTY) {
            e->hash = h;
            e->off = off;
            e->len = len;
            e->rank = rank;
            e->id = id;
            t->count++;
            return ET_OK;
        }
        if (e->hash == h && e->len == len && memcmp(t->blob + e->off, key, len) == 0)
            return ET_ERR_DUPLICATE;
        i = (i + 1) & t->mask;
    }
}

const et_entry *et_table_find(const et_table *t, const char *key, size_t len) {
    uint64_t h = et_hash_bytes(key, len);
    size_t i = (size_t)h & t->mask;
    for (;;) {
        const et_entry *e = &t->slots[i];
        if (e->len == ET_SLOT_EMPTY) return NULL;
        if (e->hash == h && e->len == len && memcmp(t->blob + e->off, key, len) == 0) return e;
        i = (i + 1) & t->mask;
    }
}

void et_table_free(et_table *t) {
    free(t->slots);
    t->slots = NULL;
}

int et_check_offsets(size_t blob_len, const int64_t *offsets, size_t n) {
    if (!offsets || blob_len >= (size_t)UINT32_MAX) return ET_ERR_ARG;
    if (offsets[0] != 0) return ET_ERR_ARG;
    for (size_t i = 0; i < n; i++) {
        if (offsets[i + 1] < offsets[i] || (uint64_t)offsets[i + 1] > blob_len) return ET_ERR_ARG;
    }
    return ET_OK;
}

int et_check_ends(size_t blob_len, const int64_t *ends, size_t n) {
    if (!ends && n) return ET_ERR_ARG;
    int64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        if (ends[i] < prev || (uint64_t)ends[i] > blob_len) return ET_ERR_ARG;
        prev = ends[i];
    }
    return ET_OK;
}
