/*
 * The key-value state machine (see kv.h).
 *
 * Table: open addressing with linear probing over 16-byte slots {key, value};
 * key 0 marks an empty slot, so the real key 0 lives out of band. The home
 * slot is taken from the top bits of a salted mix of the key, not from
 * bl_mix64(key) itself: every key of a shard has the same bl_mix64(key) mod
 * nshards, and with low bits such keys would crowd 1/nshards of the slots.
 * Load stays at most 3/4 (a few probes per lookup at worst); the table
 * doubles when an insert would pass it. There is no delete, hence no
 * tombstones.
 *
 * Sessions: a second table maps a client id to an index in an array of
 * {client, last seq, last result}.
 *
 * Allocation happens before any change: apply and restore first reserve the
 * capacity they will need, so BL_ENOMEM always leaves the state as it was.
 */
#include "store/kv.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rng.h"
#include "common/wire.h"

#define MAP_MIN_BITS 4
#define HOME_SALT    0x5851f42d4c957f2dULL

#define PRELOAD_CHUNK       ((size_t)1 << 18) /* keys sorted at a time */
#define PRELOAD_BUCKET_BITS 16

#define SNAP_MAGIC   0x564b4c42u /* "BLKV" */
#define SNAP_VERSION 1u
#define SNAP_HEADER  (4 + 4 + 4 + 4 + 8 + 8 + 8)
#define SNAP_KEY     16u
#define SNAP_SESSION 21u /* u32 client, u64 seq, u8 status, u64 value */

struct slot {
        uint64_t key;
        uint64_t val;
};

struct map {
        struct slot *slots; /* cap slots; key 0 marks an empty one */
        size_t cap;         /* power of two */
        int shift;          /* 64 - log2(cap) */
        size_t used;        /* occupied slots */
        int has_zero;       /* key 0, kept out of band */
        uint64_t zero_val;
};

struct session {
        uint32_t client;
        uint8_t status;
        uint64_t seq;
        uint64_t value;
};

struct bl_kv {
        int shard;
        int nshards;
        uint64_t records;
        uint64_t npreload; /* keys preloaded into this shard */
        struct map data;
        struct map smap; /* client -> index into sessions */
        struct session *sessions;
        size_t nsess;
        size_t sess_cap;
        uint64_t digest;
        uint64_t applied;
        /* Digest checkpoints (see bl_kv_checkpoints): not state, an
         * observation of it, so snapshots do not carry them. */
        struct bl_kv_checkpoint *cps;
        size_t ncps;
        size_t cps_cap;
        uint64_t cp_every; /* a power of two */
};

int bl_shard_of(uint64_t key, int nshards)
{
        if (nshards <= 1)
                return 0;
        return (int)(bl_mix64(key) % (uint64_t)nshards);
}

/* ---- open-addressing map ---- */

static size_t map_home(const struct map *m, uint64_t key)
{
        return (size_t)(bl_mix64(key ^ HOME_SALT) >> m->shift);
}

static size_t map_count(const struct map *m)
{
        return m->used + (size_t)m->has_zero;
}

static int map_fits(size_t cap, size_t n)
{
        return n <= cap - cap / 4;
}

static int map_alloc(struct map *m, int bits)
{
        m->slots = bl_calloc((size_t)1 << bits, sizeof(struct slot));
        if (m->slots == NULL)
                return BL_ENOMEM;
        m->cap = (size_t)1 << bits;
        m->shift = 64 - bits;
        m->used = 0;
        return 0;
}

static int bits_for(size_t n)
{
        int bits = MAP_MIN_BITS;

        while (!map_fits((size_t)1 << bits, n))
                bits++;
        return bits;
}

static int map_init(struct map *m, size_t n)
{
        memset(m, 0, sizeof(*m));
        return map_alloc(m, bits_for(n));
}

static void map_free(struct map *m)
{
        bl_free(m->slots);
        m->slots = NULL;
}

static void map_clear(struct map *m)
{
        memset(m->slots, 0, m->cap * sizeof(struct slot));
        m->used = 0;
        m->has_zero = 0;
        m->zero_val = 0;
}

static uint64_t *map_find(const struct map *m, uint64_t key)
{
        size_t i;

        if (key == 0)
                return m->has_zero ? (uint64_t *)&m->zero_val : NULL;
        for (i = map_home(m, key);; i = (i + 1) & (m->cap - 1)) {
                struct slot *s = &m->slots[i];

                if (s->key == key)
                        return &s->val;
                if (s->key == 0)
                        return NULL;
        }
}

/* Insert or overwrite. The caller has made room (map_reserve) for a new key. */
static void map_put(struct map *m, uint64_t key, uint64_t val)
{
        size_t i;

        if (key == 0) {
                m->has_zero = 1;
                m->zero_val = val;
                return;
        }
        for (i = map_home(m, key);; i = (i + 1) & (m->cap - 1)) {
                struct slot *s = &m->slots[i];

                if (s->key == key) {
                        s->val = val;
                        return;
                }
                if (s->key == 0) {
                        s->key = key;
                        s->val = val;
                        m->used++;
                        return;
                }
        }
}

/* Make room for n keys in total. Returns 0 or BL_ENOMEM (map unchanged). */
static int map_reserve(struct map *m, size_t n)
{
        struct map old = *m;
        int bits;

        if (map_fits(m->cap, n))
                return 0;
        bits = 64 - m->shift;
        while (!map_fits((size_t)1 << bits, n))
                bits++;
        if (map_alloc(m, bits) != 0) {
                *m = old;
                return BL_ENOMEM;
        }
        for (size_t i = 0; i < old.cap; i++)
                if (old.slots[i].key != 0)
                        map_put(m, old.slots[i].key, old.slots[i].val);
        bl_free(old.slots);
        return 0;
}

/* ---- preload, create, reset ---- */

static int is_preloaded_key(const struct bl_kv *kv, uint64_t key)
{
        return key < kv->records && bl_shard_of(key, kv->nshards) == kv->shard;
}

static uint64_t count_preload(const struct bl_kv *kv)
{
        uint64_t n = 0;

        if (kv->nshards == 1)
                return kv->records;
        for (uint64_t k = 0; k < kv->records; k++)
                n += bl_shard_of(k, kv->nshards) == kv->shard;
        return n;
}

/* Insert the preloaded keys of [lo, hi) one by one, in key order. */
static void preload_range(struct bl_kv *kv, uint64_t lo, uint64_t hi)
{
        for (uint64_t k = lo; k < hi; k++)
                if (bl_shard_of(k, kv->nshards) == kv->shard)
                        map_put(&kv->data, k, k + 1);
}

/*
 * Fill an empty table presized for npreload keys. Inserting in key order
 * touches the table at random: one cache and TLB miss a key, seconds for 10^7
 * keys. So a chunk of keys is first counting-sorted by the top bits of its
 * home slot, which makes the inserts sweep the table from start to end (3x
 * faster at 10^7). Without memory for the chunk buffers it falls back to
 * key order: it cannot fail.
 */
static void preload(struct bl_kv *kv)
{
        struct map *m = &kv->data;
        int bits = 64 - m->shift, bbits = bits < PRELOAD_BUCKET_BITS ? bits : PRELOAD_BUCKET_BITS;
        uint64_t *keys = NULL, *sorted;
        size_t *cnt = NULL;

        if (kv->npreload >= PRELOAD_CHUNK) {
                keys = bl_malloc(2 * PRELOAD_CHUNK * sizeof(*keys));
                cnt = bl_malloc(((size_t)1 << bbits) * sizeof(*cnt));
        }
        if (keys == NULL || cnt == NULL) {
                preload_range(kv, 0, kv->records);
                goto out_free;
        }
        sorted = keys + PRELOAD_CHUNK;
        for (uint64_t k = 0; k < kv->records;) {
                size_t n = 0, pos = 0;

                for (; k < kv->records && n < PRELOAD_CHUNK; k++)
                        if (bl_shard_of(k, kv->nshards) == kv->shard)
                                keys[n++] = k;
                memset(cnt, 0, ((size_t)1 << bbits) * sizeof(*cnt));
                for (size_t i = 0; i < n; i++)
                        cnt[map_home(m, keys[i]) >> (bits - bbits)]++;
                for (size_t b = 0; b < (size_t)1 << bbits; b++) {
                        size_t c = cnt[b];

                        cnt[b] = pos;
                        pos += c;
                }
                for (size_t i = 0; i < n; i++)
                        sorted[cnt[map_home(m, keys[i]) >> (bits - bbits)]++] = keys[i];
                for (size_t i = 0; i < n; i++)
                        map_put(m, sorted[i], sorted[i] + 1);
        }
out_free:
        bl_free(keys);
        bl_free(cnt);
}

struct bl_kv *bl_kv_create(int shard, int nshards, uint64_t records)
{
        struct bl_kv *kv;

        if (nshards <= 0)
                nshards = 1;
        if (shard < 0 || shard >= nshards)
                return NULL;
        kv = bl_calloc(1, sizeof(*kv));
        if (kv == NULL)
                return NULL;
        kv->shard = shard;
        kv->nshards = nshards;
        kv->records = records;
        kv->cp_every = 1;
        kv->npreload = count_preload(kv);
        if (kv->npreload > SIZE_MAX / 2 / sizeof(struct slot))
                goto out_free_kv;
        if (map_init(&kv->data, (size_t)kv->npreload) != 0)
                goto out_free_kv;
        if (map_init(&kv->smap, 0) != 0)
                goto out_free_data;
        preload(kv);
        return kv;

out_free_data:
        map_free(&kv->data);
out_free_kv:
        bl_free(kv);
        return NULL;
}

void bl_kv_destroy(struct bl_kv *kv)
{
        if (kv == NULL)
                return;
        map_free(&kv->data);
        map_free(&kv->smap);
        bl_free(kv->sessions);
        bl_free(kv->cps);
        bl_free(kv);
}

static void reset_state(struct bl_kv *kv)
{
        map_clear(&kv->data);
        preload(kv);
        map_clear(&kv->smap);
        kv->nsess = 0;
        kv->digest = 0;
        kv->applied = 0;
}

int bl_kv_reset(struct bl_kv *kv)
{
        reset_state(kv);
        kv->ncps = 0;
        kv->cp_every = 1;
        return 0;
}

/* ---- digest checkpoints ---- */

/* Keep only the multiples of the doubled interval until at most
 * BL_KV_CHECKPOINTS multiples of it fit below `applied`. O(ncps). */
static void checkpoints_thin(struct bl_kv *kv, uint64_t applied)
{
        size_t j = 0;

        if (applied / kv->cp_every <= BL_KV_CHECKPOINTS)
                return;
        while (applied / kv->cp_every > BL_KV_CHECKPOINTS)
                kv->cp_every *= 2;
        for (size_t i = 0; i < kv->ncps; i++)
                if (kv->cps[i].applied % kv->cp_every == 0)
                        kv->cps[j++] = kv->cps[i];
        kv->ncps = j;
}

/* Room for the checkpoint the next mutation may record, before anything
 * changes (bl_kv_apply leaves the store unchanged on BL_ENOMEM). */
static int checkpoints_reserve(struct bl_kv *kv)
{
        size_t cap = kv->cps_cap < 16 ? 16 : kv->cps_cap * 2;
        struct bl_kv_checkpoint *p;

        if (kv->ncps < kv->cps_cap)
                return 0;
        if (cap > BL_KV_CHECKPOINTS + 1)
                cap = BL_KV_CHECKPOINTS + 1;
        p = bl_realloc(kv->cps, cap * sizeof(*p));
        if (p == NULL)
                return BL_ENOMEM;
        kv->cps = p;
        kv->cps_cap = cap;
        return 0;
}

/* After a mutation: record (applied, digest) at a multiple of the interval. */
static void checkpoints_record(struct bl_kv *kv)
{
        if (kv->applied % kv->cp_every != 0)
                return;
        kv->cps[kv->ncps++] = (struct bl_kv_checkpoint){kv->applied, kv->digest};
        checkpoints_thin(kv, kv->applied);
}

size_t bl_kv_checkpoints(const struct bl_kv *kv, const struct bl_kv_checkpoint **cps)
{
        *cps = kv->cps;
        return kv->ncps;
}

/* ---- sessions ---- */

static struct session *session_find(const struct bl_kv *kv, uint32_t client)
{
        const uint64_t *idx = map_find(&kv->smap, client);

        return idx == NULL ? NULL : &kv->sessions[*idx];
}

/* Room for n sessions in total. Returns 0 or BL_ENOMEM (nothing lost). */
static int session_reserve(struct bl_kv *kv, size_t n)
{
        if (n > kv->sess_cap) {
                size_t cap = kv->sess_cap < 16 ? 16 : kv->sess_cap;
                struct session *s;

                while (cap < n)
                        cap *= 2;
                s = bl_realloc(kv->sessions, cap * sizeof(*s));
                if (s == NULL)
                        return BL_ENOMEM;
                kv->sessions = s;
                kv->sess_cap = cap;
        }
        return map_reserve(&kv->smap, n);
}

/* Add a session; room was reserved. */
static struct session *session_add(struct bl_kv *kv, uint32_t client)
{
        struct session *s = &kv->sessions[kv->nsess];

        map_put(&kv->smap, client, kv->nsess);
        kv->nsess++;
        memset(s, 0, sizeof(*s));
        s->client = client;
        return s;
}

/* ---- apply ---- */

static uint64_t digest_fold(uint64_t digest, uint8_t op, uint64_t key, uint64_t value)
{
        uint64_t h = bl_mix64(key);

        h = bl_mix64(h ^ value);
        h = bl_mix64(h ^ op);
        return bl_mix64(digest ^ h);
}

static void apply_get(const struct bl_kv *kv, const struct bl_cmd *c, struct bl_result *res)
{
        const uint64_t *v = map_find(&kv->data, c->key);

        res->status = v != NULL ? BL_ST_OK : BL_ST_NOTFOUND;
        res->value = v != NULL ? *v : 0;
}

int bl_kv_apply(struct bl_kv *kv, const struct bl_cmd *c, struct bl_result *res)
{
        struct session *s;
        uint64_t *v;
        uint64_t old, nv;
        int present, rc;

        res->status = BL_ST_OK;
        res->value = 0;
        if (c->op >= BL_OP__COUNT) {
                res->status = BL_ST_ERROR;
                return BL_EPROTO;
        }
        if (c->op == BL_OP_GET) {
                apply_get(kv, c, res);
                return 0;
        }

        s = session_find(kv, c->client);
        if (s != NULL && c->seq == s->seq) { /* a retry of the last request */
                res->status = s->status;
                res->value = s->value;
                return 0;
        }
        if (s != NULL && c->seq < s->seq) { /* older than what was applied */
                res->status = BL_ST_ERROR;
                return 0;
        }
        if (s == NULL && (rc = session_reserve(kv, kv->nsess + 1)) != 0)
                return rc;
        v = map_find(&kv->data, c->key);
        if (v == NULL && (rc = map_reserve(&kv->data, map_count(&kv->data) + 1)) != 0)
                return rc;
        if ((rc = checkpoints_reserve(kv)) != 0)
                return rc;

        present = v != NULL;
        old = present ? *v : 0;
        switch (c->op) {
        case BL_OP_RMW:
                nv = c->value;
                res->status = present ? BL_ST_OK : BL_ST_NOTFOUND;
                res->value = old;
                break;
        case BL_OP_INCR:
                nv = old + c->value;
                res->value = nv;
                break;
        case BL_OP_PUT:
        case BL_OP_INSERT:
        default:
                nv = c->value;
                res->value = nv;
                break;
        }
        if (present)
                *v = nv;
        else
                map_put(&kv->data, c->key, nv);
        kv->digest = digest_fold(kv->digest, c->op, c->key, nv);
        kv->applied++;
        checkpoints_record(kv);

        if (s == NULL)
                s = session_add(kv, c->client);
        s->seq = c->seq;
        s->status = res->status;
        s->value = res->value;
        return 0;
}

uint64_t bl_kv_digest(const struct bl_kv *kv)
{
        return kv->digest;
}

uint64_t bl_kv_applied(const struct bl_kv *kv)
{
        return kv->applied;
}

int bl_kv_get(const struct bl_kv *kv, uint64_t key, uint64_t *value)
{
        const uint64_t *v = map_find(&kv->data, key);

        if (v == NULL)
                return BL_ENOTFOUND;
        *value = *v;
        return 0;
}

size_t bl_kv_mem_bytes(const struct bl_kv *kv)
{
        return sizeof(*kv) + (kv->data.cap + kv->smap.cap) * sizeof(struct slot) +
               kv->sess_cap * sizeof(struct session) + kv->cps_cap * sizeof(*kv->cps);
}

size_t bl_kv_size(const struct bl_kv *kv)
{
        return map_count(&kv->data);
}

/* ---- snapshot ---- */

/* Checksum of a byte string: 8-byte little-endian words chained through
 * bl_mix64, the length folded in. Catches truncation and corruption. */
static uint64_t checksum(const uint8_t *p, size_t len)
{
        uint64_t h = bl_mix64(len ^ SNAP_MAGIC);
        size_t i = 0;

        for (; i + 8 <= len; i += 8) {
                uint64_t w = 0;

                for (int b = 0; b < 8; b++)
                        w |= (uint64_t)p[i + b] << (8 * b);
                h = bl_mix64(h ^ w);
        }
        if (i < len) {
                uint64_t w = 0;

                for (int b = 0; i + (size_t)b < len; b++)
                        w |= (uint64_t)p[i + b] << (8 * b);
                h = bl_mix64(h ^ w ^ 0x80);
        }
        return h;
}

static void sort_small(struct slot *a, size_t n)
{
        for (size_t i = 1; i < n; i++) {
                struct slot x = a[i];
                size_t j = i;

                while (j > 0 && a[j - 1].key > x.key) {
                        a[j] = a[j - 1];
                        j--;
                }
                a[j] = x;
        }
}

/* Sort by key: LSD radix, one byte a pass, skipping bytes all keys share
 * (the high bytes of small keys). Returns 0 or BL_ENOMEM (a unchanged). */
static int sort_slots(struct slot *a, size_t n)
{
        struct slot *tmp, *src = a, *dst;

        if (n < 64) {
                sort_small(a, n);
                return 0;
        }
        tmp = bl_malloc(n * sizeof(*tmp));
        if (tmp == NULL)
                return BL_ENOMEM;
        dst = tmp;
        for (int shift = 0; shift < 64; shift += 8) {
                size_t cnt[256] = {0}, pos = 0;
                struct slot *t;

                for (size_t i = 0; i < n; i++)
                        cnt[(src[i].key >> shift) & 0xff]++;
                if (cnt[(src[0].key >> shift) & 0xff] == n)
                        continue;
                for (int b = 0; b < 256; b++) {
                        size_t c = cnt[b];

                        cnt[b] = pos;
                        pos += c;
                }
                for (size_t i = 0; i < n; i++)
                        dst[cnt[(src[i].key >> shift) & 0xff]++] = src[i];
                t = src;
                src = dst;
                dst = t;
        }
        if (src != a)
                memcpy(a, src, n * sizeof(*a));
        bl_free(tmp);
        return 0;
}

static int cmp_session(const void *x, const void *y)
{
        const struct session *a = x, *b = y;

        return (a->client > b->client) - (a->client < b->client);
}

/* Entries that differ from the preload, sorted. Returns 0 or BL_ENOMEM. */
static int collect_written(const struct bl_kv *kv, struct slot **out, size_t *n)
{
        const struct map *m = &kv->data;
        size_t cap = map_count(m) + 1, k = 0;
        struct slot *a;
        int rc;

        a = bl_malloc(cap * sizeof(*a));
        if (a == NULL)
                return BL_ENOMEM;
        if (m->has_zero && !(is_preloaded_key(kv, 0) && m->zero_val == 1))
                a[k++] = (struct slot){0, m->zero_val};
        for (size_t i = 0; i < m->cap; i++) {
                const struct slot *s = &m->slots[i];

                if (s->key == 0)
                        continue;
                if (s->val == s->key + 1 && is_preloaded_key(kv, s->key))
                        continue;
                a[k++] = *s;
        }
        rc = sort_slots(a, k);
        if (rc != 0) {
                bl_free(a);
                return rc;
        }
        *out = a;
        *n = k;
        return 0;
}

int bl_kv_snapshot(const struct bl_kv *kv, void **buf, size_t *len)
{
        struct slot *keys = NULL;
        struct session *sess = NULL;
        size_t nkeys = 0, size;
        struct bl_wbuf w;
        uint8_t *out;
        int rc;

        *buf = NULL;
        *len = 0;
        rc = collect_written(kv, &keys, &nkeys);
        if (rc != 0)
                return rc;
        if (kv->nsess > 0) {
                sess = bl_malloc(kv->nsess * sizeof(*sess));
                if (sess == NULL)
                        goto out_nomem;
                memcpy(sess, kv->sessions, kv->nsess * sizeof(*sess));
                qsort(sess, kv->nsess, sizeof(*sess), cmp_session);
        }
        size = SNAP_HEADER + 8 + nkeys * SNAP_KEY + 8 + kv->nsess * SNAP_SESSION + 8;
        out = bl_malloc(size);
        if (out == NULL)
                goto out_nomem;

        bl_wbuf_init(&w, out, size);
        bl_put_u32(&w, SNAP_MAGIC);
        bl_put_u32(&w, SNAP_VERSION);
        bl_put_u32(&w, (uint32_t)kv->shard);
        bl_put_u32(&w, (uint32_t)kv->nshards);
        bl_put_u64(&w, kv->records);
        bl_put_u64(&w, kv->digest);
        bl_put_u64(&w, kv->applied);
        bl_put_u64(&w, nkeys);
        for (size_t i = 0; i < nkeys; i++) {
                bl_put_u64(&w, keys[i].key);
                bl_put_u64(&w, keys[i].val);
        }
        bl_put_u64(&w, kv->nsess);
        for (size_t i = 0; i < kv->nsess; i++) {
                bl_put_u32(&w, sess[i].client);
                bl_put_u64(&w, sess[i].seq);
                bl_put_u8(&w, sess[i].status);
                bl_put_u64(&w, sess[i].value);
        }
        bl_put_u64(&w, checksum(out, w.len));
        /* The size was computed from the same counts: w.ok holds. */
        bl_free(keys);
        bl_free(sess);
        *buf = out;
        *len = w.len;
        return 0;

out_nomem:
        bl_free(keys);
        bl_free(sess);
        return BL_ENOMEM;
}

/* What a validated snapshot holds; pointers into the buffer. */
struct snap_view {
        uint64_t digest;
        uint64_t applied;
        uint64_t nkeys;
        const uint8_t *keys;
        uint64_t extra; /* keys outside the preload: new table entries */
        uint64_t nsess;
        const uint8_t *sess;
};

/* Check everything: checksum, header, identity, order, exact length. */
static int snap_parse(const struct bl_kv *kv, const uint8_t *p, size_t len, struct snap_view *v)
{
        struct bl_rbuf r;
        uint64_t prev = 0;

        if (p == NULL || len < SNAP_HEADER + 8 + 8 + 8)
                return BL_EPROTO;
        bl_rbuf_init(&r, p + len - 8, 8);
        if (bl_get_u64(&r) != checksum(p, len - 8))
                return BL_EPROTO;

        bl_rbuf_init(&r, p, len - 8);
        if (bl_get_u32(&r) != SNAP_MAGIC || bl_get_u32(&r) != SNAP_VERSION)
                return BL_EPROTO;
        if (bl_get_u32(&r) != (uint32_t)kv->shard || bl_get_u32(&r) != (uint32_t)kv->nshards ||
            bl_get_u64(&r) != kv->records)
                return BL_EPROTO;
        v->digest = bl_get_u64(&r);
        v->applied = bl_get_u64(&r);
        v->nkeys = bl_get_u64(&r);
        if (!r.ok || v->nkeys > (r.len - r.off) / SNAP_KEY)
                return BL_EPROTO;
        v->keys = p + r.off;
        v->extra = 0;
        for (uint64_t i = 0; i < v->nkeys; i++) {
                uint64_t key = bl_get_u64(&r);

                (void)bl_get_u64(&r);
                if (i > 0 && key <= prev)
                        return BL_EPROTO;
                prev = key;
                v->extra += !is_preloaded_key(kv, key);
        }
        v->nsess = bl_get_u64(&r);
        if (!r.ok || v->nsess > (r.len - r.off) / SNAP_SESSION)
                return BL_EPROTO;
        v->sess = p + r.off;
        for (uint64_t i = 0; i < v->nsess; i++) {
                uint32_t client = bl_get_u32(&r);
                uint8_t status;

                (void)bl_get_u64(&r);
                status = bl_get_u8(&r);
                (void)bl_get_u64(&r);
                if ((i > 0 && client <= prev) || status > BL_ST_ERROR)
                        return BL_EPROTO;
                prev = client;
        }
        return bl_rbuf_done(&r) ? 0 : BL_EPROTO;
}

int bl_kv_restore(struct bl_kv *kv, const void *buf, size_t len)
{
        struct snap_view v;
        struct bl_rbuf r;
        int rc;

        rc = snap_parse(kv, buf, len, &v);
        if (rc != 0)
                return rc;
        if (v.extra > SIZE_MAX / 2 / sizeof(struct slot) - kv->npreload)
                return BL_ENOMEM;
        rc = map_reserve(&kv->data, (size_t)(kv->npreload + v.extra));
        if (rc == 0)
                rc = session_reserve(kv, (size_t)v.nsess);
        if (rc != 0)
                return rc;

        /* Nothing below allocates or fails. */
        reset_state(kv);
        bl_rbuf_init(&r, v.keys, v.nkeys * SNAP_KEY);
        for (uint64_t i = 0; i < v.nkeys; i++) {
                uint64_t key = bl_get_u64(&r);

                map_put(&kv->data, key, bl_get_u64(&r));
        }
        bl_rbuf_init(&r, v.sess, v.nsess * SNAP_SESSION);
        for (uint64_t i = 0; i < v.nsess; i++) {
                struct session *s = session_add(kv, bl_get_u32(&r));

                s->seq = bl_get_u64(&r);
                s->status = bl_get_u8(&r);
                s->value = bl_get_u64(&r);
        }
        kv->digest = v.digest;
        kv->applied = v.applied;
        /* Checkpoints this replica recorded itself below the snapshot stay
         * true of its history; later ones would be of a state it left. */
        while (kv->ncps > 0 && kv->cps[kv->ncps - 1].applied > v.applied)
                kv->ncps--;
        checkpoints_thin(kv, v.applied);
        return 0;
}
