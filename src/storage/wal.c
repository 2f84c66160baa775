/* The per-rank write-ahead log: the caller's side (append, durability, compaction, crash). */
#include "storage/wal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "storage/crc32c.h"
#include "storage/internal.h"

#define DEFAULT_SEGMENT_BYTES (16u << 20)

static const char *const mode_names[] = {"memory", "write", "fsync"};

const char *bl_wal_mode_name(int mode)
{
        if (mode < 0 || mode > BL_WAL_FSYNC)
                return "?";
        return mode_names[mode];
}

int bl_wal_mode_parse(const char *name, int *mode)
{
        for (int i = 0; i <= BL_WAL_FSYNC; i++) {
                if (strcmp(name, mode_names[i]) == 0) {
                        *mode = i;
                        return 0;
                }
        }
        return BL_EINVAL;
}

static void put32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
        for (int i = 0; i < 8; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

void bl_wal_header(uint8_t *h, uint64_t seq, uint32_t group, int type, const void *buf,
                   uint32_t len)
{
        uint32_t crc;

        memset(h, 0, BL_WAL_HEADER);
        put32(h, len);
        put64(h + 8, seq);
        put32(h + 16, group);
        h[20] = (uint8_t)type;
        crc = bl_crc32c(0, h, 4);
        crc = bl_crc32c(crc, h + 8, BL_WAL_HEADER - 8);
        crc = bl_crc32c(crc, buf, len);
        put32(h + 4, crc);
}

int bl_wal_buf_reserve(struct wal_buf *b, size_t n)
{
        size_t cap = b->cap ? b->cap : 4096;
        uint8_t *p;

        if (b->cap - b->len >= n)
                return 0;
        while (cap - b->len < n)
                cap *= 2;
        p = bl_realloc(b->p, cap);
        if (p == NULL)
                return BL_ENOMEM;
        b->p = p;
        b->cap = cap;
        return 0;
}

uint64_t bl_wal_gmap_get(const struct wal_gmap *m, uint32_t group)
{
        for (size_t i = 0; i < m->n; i++)
                if (m->v[i].group == group)
                        return m->v[i].seq;
        return 0;
}

int bl_wal_gmap_raise(struct wal_gmap *m, uint32_t group, uint64_t seq)
{
        for (size_t i = 0; i < m->n; i++) {
                if (m->v[i].group == group) {
                        if (seq > m->v[i].seq)
                                m->v[i].seq = seq;
                        return 0;
                }
        }
        if (m->n == m->cap) {
                size_t cap = m->cap ? 2 * m->cap : 4;
                struct wal_gseq *v = bl_realloc(m->v, cap * sizeof(*v));

                if (v == NULL)
                        return BL_ENOMEM;
                m->v = v;
                m->cap = cap;
        }
        m->v[m->n].group = group;
        m->v[m->n].seq = seq;
        m->n++;
        return 0;
}

void bl_wal_seg_path(char *out, size_t size, const char *dir, uint64_t first_seq)
{
        snprintf(out, size, "%s/%016" PRIx64 ".wal", dir, first_seq);
}

void bl_wal_segs_clear(struct bl_wal *w)
{
        for (size_t i = 0; i < w->nsegs; i++)
                bl_free(w->segs[i].last.v);
        bl_free(w->segs);
        w->segs = NULL;
        w->nsegs = w->capsegs = 0;
        bl_free(w->compacted.v);
        memset(&w->compacted, 0, sizeof(w->compacted));
}

int bl_wal_recs_push(struct bl_wal *w, uint64_t seq, uint32_t group, int type, const void *buf,
                     uint32_t len)
{
        struct wal_rec *r;

        if (w->nrecs == w->caprecs) {
                size_t cap = w->caprecs ? 2 * w->caprecs : 64;
                struct wal_rec *v = bl_realloc(w->recs, cap * sizeof(*v));

                if (v == NULL)
                        return BL_ENOMEM;
                w->recs = v;
                w->caprecs = cap;
        }
        r = &w->recs[w->nrecs];
        r->data = bl_malloc(len ? len : 1);
        if (r->data == NULL)
                return BL_ENOMEM;
        if (len)
                memcpy(r->data, buf, len);
        r->seq = seq;
        r->group = group;
        r->type = (uint8_t)type;
        r->len = len;
        w->nrecs++;
        return 0;
}

void bl_wal_recs_filter(struct bl_wal *w, const struct wal_gmap *compacted)
{
        size_t keep = 0;

        for (size_t i = 0; i < w->nrecs; i++) {
                struct wal_rec *r = &w->recs[i];

                if (r->seq <= bl_wal_gmap_get(compacted, r->group)) {
                        bl_free(r->data);
                        continue;
                }
                w->recs[keep++] = *r;
        }
        w->nrecs = keep;
}

void bl_wal_recs_clear(struct bl_wal *w)
{
        for (size_t i = 0; i < w->nrecs; i++)
                bl_free(w->recs[i].data);
        bl_free(w->recs);
        w->recs = NULL;
        w->nrecs = w->caprecs = 0;
}

static int make_dir(const char *dir, struct bl_errbuf *eb)
{
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
                return bl_errf(eb, BL_EIO, "storage: cannot create %s: %s", dir, strerror(errno));
        return 0;
}

int bl_wal_open(struct bl_wal **out, const struct bl_wal_options *opt, struct bl_errbuf *eb)
{
        struct bl_wal *w;
        int rc;

        *out = NULL;
        if (opt->mode < BL_WAL_MEMORY || opt->mode > BL_WAL_FSYNC)
                return bl_errf(eb, BL_EINVAL, "storage: unknown mode %d", opt->mode);
        if (opt->mode != BL_WAL_MEMORY && (opt->dir == NULL || opt->dir[0] == '\0'))
                return bl_errf(eb, BL_EINVAL, "storage: mode %s needs a folder",
                               bl_wal_mode_name(opt->mode));
        w = bl_calloc(1, sizeof(*w));
        if (w == NULL)
                return bl_errf(eb, BL_ENOMEM, "storage: out of memory");
        w->mode = opt->mode;
        w->segment_bytes = opt->segment_bytes ? opt->segment_bytes : DEFAULT_SEGMENT_BYTES;
        w->next_seq = 1;
        w->fd = -1;
        w->dirfd = -1;
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->work, NULL);
        pthread_cond_init(&w->idle, NULL);
        if (w->mode == BL_WAL_MEMORY) {
                *out = w;
                return 0;
        }
        w->dir = bl_strdup(opt->dir);
        if (w->dir == NULL) {
                rc = bl_errf(eb, BL_ENOMEM, "storage: out of memory");
                goto out_free;
        }
        rc = make_dir(w->dir, eb);
        if (rc)
                goto out_free;
        w->dirfd = open(w->dir, O_RDONLY | O_DIRECTORY);
        if (w->dirfd < 0) {
                rc = bl_errf(eb, BL_EIO, "storage: cannot open %s: %s", w->dir, strerror(errno));
                goto out_free;
        }
        if (pthread_create(&w->thread, NULL, bl_wal_io_main, w) != 0) {
                rc = bl_errf(eb, BL_EIO, "storage: cannot start the I/O thread");
                goto out_free;
        }
        w->thread_started = 1;
        *out = w;
        return 0;
out_free:
        bl_wal_close(w);
        return rc;
}

void bl_wal_close(struct bl_wal *w)
{
        if (w == NULL)
                return;
        if (w->thread_started) {
                pthread_mutex_lock(&w->mu);
                w->stop = 1;
                w->hold = 0;
                pthread_cond_signal(&w->work);
                pthread_mutex_unlock(&w->mu);
                pthread_join(w->thread, NULL);
        }
        if (w->fd >= 0)
                close(w->fd);
        if (w->dirfd >= 0)
                close(w->dirfd);
        bl_wal_segs_clear(w);
        bl_wal_recs_clear(w);
        bl_free(w->pending.p);
        bl_free(w->batch.p);
        bl_free(w->dir);
        pthread_cond_destroy(&w->idle);
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->mu);
        bl_free(w);
}

static void fail(struct bl_wal *w, const char *msg)
{
        pthread_mutex_lock(&w->mu);
        if (!w->err) {
                snprintf(w->errmsg, sizeof(w->errmsg), "storage: %.480s", msg);
                __atomic_store_n(&w->err, BL_EIO, __ATOMIC_RELEASE);
        }
        pthread_mutex_unlock(&w->mu);
}

/* Queue one encoded record for the I/O thread. Returns 0 or an error. */
static int enqueue(struct bl_wal *w, uint64_t seq, uint32_t group, int type, const void *buf,
                   uint32_t len)
{
        int rc = 0;

        pthread_mutex_lock(&w->mu);
        if (w->err) {
                rc = w->err;
                goto out_unlock;
        }
        if (bl_wal_buf_reserve(&w->pending, BL_WAL_HEADER + (size_t)len) != 0) {
                rc = BL_ENOMEM;
                goto out_unlock;
        }
        bl_wal_header(w->pending.p + w->pending.len, seq, group, type, buf, len);
        if (len)
                memcpy(w->pending.p + w->pending.len + BL_WAL_HEADER, buf, len);
        w->pending.len += BL_WAL_HEADER + (size_t)len;
        w->pending_last = seq;
        pthread_cond_signal(&w->work);
out_unlock:
        pthread_mutex_unlock(&w->mu);
        return rc;
}

uint64_t bl_wal_append(struct bl_wal *w, uint32_t group, int type, const void *buf, size_t len)
{
        uint64_t seq = w->next_seq;
        int rc;

        if (w->crashed || type < 1 || type > 255 || len > BL_WAL_MAX_RECORD)
                return 0;
        if (w->mode == BL_WAL_MEMORY) {
                if (bl_wal_recs_push(w, seq, group, type, buf, (uint32_t)len) != 0) {
                        fail(w, "out of memory for the in-memory log");
                        return 0;
                }
                w->mem_durable = seq;
        } else {
                rc = enqueue(w, seq, group, type, buf, (uint32_t)len);
                if (rc == BL_ENOMEM)
                        fail(w, "out of memory for the append queue");
                if (rc)
                        return 0;
        }
        w->next_seq++;
        w->appends++;
        w->append_bytes += len;
        return seq;
}

uint64_t bl_wal_durable(const struct bl_wal *w)
{
        if (w->mode == BL_WAL_MEMORY)
                return w->mem_durable;
        return __atomic_load_n(&w->durable, __ATOMIC_ACQUIRE);
}

void bl_wal_compact(struct bl_wal *w, uint32_t group, uint64_t seq)
{
        uint8_t b[8];

        if (w->crashed || seq == 0)
                return;
        if (w->mode == BL_WAL_MEMORY) {
                struct wal_gseq one = {group, seq};
                struct wal_gmap m = {&one, 1, 1};

                bl_wal_recs_filter(w, &m);
                return;
        }
        put64(b, seq);
        if (enqueue(w, w->next_seq, group, WAL_MARKER, b, sizeof(b)) == 0)
                w->next_seq++;
        else
                fail(w, "cannot queue a compaction marker");
}

int bl_wal_error(struct bl_wal *w, struct bl_errbuf *eb)
{
        int rc;

        /* The loop asks on every pass: no lock while all is well. */
        if (__atomic_load_n(&w->err, __ATOMIC_ACQUIRE) == 0)
                return 0;
        pthread_mutex_lock(&w->mu);
        rc = w->err;
        if (rc && eb != NULL)
                snprintf(eb->msg, sizeof(eb->msg), "%s", w->errmsg);
        pthread_mutex_unlock(&w->mu);
        return rc;
}

void bl_wal_stats(struct bl_wal *w, struct bl_wal_stats *out)
{
        pthread_mutex_lock(&w->mu);
        *out = w->io_stats;
        pthread_mutex_unlock(&w->mu);
        out->appends = w->appends;
        out->append_bytes = w->append_bytes;
}

void bl_wal_hold(struct bl_wal *w, int on)
{
        pthread_mutex_lock(&w->mu);
        w->hold = on;
        pthread_cond_signal(&w->work);
        pthread_mutex_unlock(&w->mu);
}

void bl_wal_crash(struct bl_wal *w)
{
        w->crashed = 1;
        if (w->mode == BL_WAL_MEMORY)
                return;
        bl_wal_recs_clear(w);
        pthread_mutex_lock(&w->mu);
        /* What the thread has not taken is lost; what it is writing now
         * completes (a power loss just after the sync). */
        w->pending.len = 0;
        while (w->busy)
                pthread_cond_wait(&w->idle, &w->mu);
        if (w->fd >= 0)
                close(w->fd);
        w->fd = -1;
        w->seg_size = 0;
        bl_wal_segs_clear(w);
        __atomic_store_n(&w->durable, 0, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&w->mu);
}

int bl_wal_recover(struct bl_wal *w, struct bl_wal_recovery *info, struct bl_errbuf *eb)
{
        int rc;

        memset(info, 0, sizeof(*info));
        if (w->mode == BL_WAL_MEMORY) {
                w->crashed = 0;
                info->records = w->nrecs;
                info->last_seq = w->mem_durable;
                return 0;
        }
        bl_wal_recs_clear(w);
        pthread_mutex_lock(&w->mu);
        w->pending.len = 0;
        while (w->busy)
                pthread_cond_wait(&w->idle, &w->mu);
        if (w->fd >= 0)
                close(w->fd);
        w->fd = -1;
        w->seg_size = 0;
        bl_wal_segs_clear(w);
        /* The thread is idle and pending is empty: it touches nothing until
         * the next append, which cannot come from another thread. */
        pthread_mutex_unlock(&w->mu);
        rc = bl_wal_recover_disk(w, info, eb);
        if (rc) {
                bl_wal_recs_clear(w);
                bl_wal_segs_clear(w);
                return rc;
        }
        w->next_seq = info->last_seq + 1;
        __atomic_store_n(&w->durable, info->last_seq, __ATOMIC_RELEASE);
        w->crashed = 0;
        return 0;
}

int bl_wal_replay(const struct bl_wal *w, uint32_t group,
                  int (*fn)(void *arg, uint64_t seq, int type, const void *buf, size_t len),
                  void *arg)
{
        for (size_t i = 0; i < w->nrecs; i++) {
                const struct wal_rec *r = &w->recs[i];
                int rc;

                if (r->group != group || r->type == WAL_MARKER)
                        continue;
                rc = fn(arg, r->seq, r->type, r->data, r->len);
                if (rc)
                        return rc;
        }
        return 0;
}

void bl_wal_replay_done(struct bl_wal *w)
{
        if (w->mode != BL_WAL_MEMORY)
                bl_wal_recs_clear(w);
}
