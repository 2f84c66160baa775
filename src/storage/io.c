/* The write-ahead log's I/O thread: writes queued records, one fdatasync per batch (group commit).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "storage/internal.h"

/*
 * The thread takes everything queued since its last batch, writes it with
 * one write() to the current segment, and in fsync mode makes it durable
 * with one fdatasync: every record appended while the previous sync ran,
 * from every group on the rank, shares the next one. Then it publishes the
 * batch's last sequence number as durable, applies the compaction markers
 * the batch made durable, and deletes the segments nobody needs any more.
 * Errors are sticky: the first one stops the log and names the file.
 */

struct io_err {
        char msg[BL_ERRMSG_SIZE];
};

static uint64_t mono_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t get32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
        return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static int io_fail(struct io_err *e, const char *what, const char *path)
{
        snprintf(e->msg, sizeof(e->msg), "%s %.320s: %s", what, path, strerror(errno));
        return BL_EIO;
}

/* Open a new segment named after the batch's first record. */
static int open_segment(struct bl_wal *w, uint64_t first_seq, struct bl_wal_stats *st,
                        struct io_err *e)
{
        char path[PATH_MAX];
        struct wal_seg *s;

        if (w->nsegs == w->capsegs) {
                size_t cap = w->capsegs ? 2 * w->capsegs : 8;
                struct wal_seg *v = bl_realloc(w->segs, cap * sizeof(*v));

                if (v == NULL) {
                        snprintf(e->msg, sizeof(e->msg), "out of memory for the segment table");
                        return BL_ENOMEM;
                }
                w->segs = v;
                w->capsegs = cap;
        }
        bl_wal_seg_path(path, sizeof(path), w->dir, first_seq);
        /* O_EXCL: a name that exists already would mean two logs in one
         * folder, or a recovery that missed a file; never overwrite it. */
        w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
        if (w->fd < 0)
                return io_fail(e, "cannot create", path);
        /* The new name must survive a power loss too. */
        if (w->mode == BL_WAL_FSYNC && fsync(w->dirfd) != 0)
                return io_fail(e, "cannot sync the folder of", path);
        s = &w->segs[w->nsegs++];
        s->first_seq = first_seq;
        memset(&s->last, 0, sizeof(s->last));
        w->seg_size = 0;
        st->segments_created++;
        return 0;
}

static int write_all(struct bl_wal *w, const uint8_t *p, size_t len, struct bl_wal_stats *st,
                     struct io_err *e)
{
        char path[PATH_MAX];

        while (len > 0) {
                ssize_t n = write(w->fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        bl_wal_seg_path(path, sizeof(path), w->dir,
                                        w->segs[w->nsegs - 1].first_seq);
                        if (n == 0)
                                errno = ENOSPC;
                        return io_fail(e, "cannot write", path);
                }
                st->writes++;
                st->disk_bytes += (uint64_t)n;
                w->seg_size += (uint64_t)n;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

/* Note which groups the batch wrote into the current segment. */
static int index_batch(struct bl_wal *w, const struct wal_buf *b, struct io_err *e)
{
        struct wal_seg *s = &w->segs[w->nsegs - 1];

        for (size_t off = 0; off < b->len;) {
                uint32_t len = get32(b->p + off);
                uint64_t seq = get64(b->p + off + 8);
                uint32_t group = get32(b->p + off + 16);
                int type = b->p[off + 20];
                int rc;

                if (type == WAL_MARKER)
                        rc = bl_wal_gmap_raise(&w->compacted, group,
                                               get64(b->p + off + BL_WAL_HEADER));
                else
                        rc = bl_wal_gmap_raise(&s->last, group, seq);
                if (rc) {
                        snprintf(e->msg, sizeof(e->msg), "out of memory for the segment index");
                        return rc;
                }
                off += BL_WAL_HEADER + len;
        }
        return 0;
}

static int segment_needed(const struct bl_wal *w, const struct wal_seg *s)
{
        for (size_t i = 0; i < s->last.n; i++)
                if (s->last.v[i].seq > bl_wal_gmap_get(&w->compacted, s->last.v[i].group))
                        return 1;
        return 0;
}

/* Delete the oldest segments while nobody needs them; never the current. */
static int delete_segments(struct bl_wal *w, struct bl_wal_stats *st, struct io_err *e)
{
        char path[PATH_MAX];
        size_t n = 0;

        while (n + 1 < w->nsegs && !segment_needed(w, &w->segs[n])) {
                bl_wal_seg_path(path, sizeof(path), w->dir, w->segs[n].first_seq);
                if (unlink(path) != 0 && errno != ENOENT)
                        return io_fail(e, "cannot delete", path);
                bl_free(w->segs[n].last.v);
                st->segments_deleted++;
                n++;
        }
        if (n > 0) {
                memmove(w->segs, w->segs + n, (w->nsegs - n) * sizeof(*w->segs));
                w->nsegs -= n;
        }
        return 0;
}

static int write_batch(struct bl_wal *w, struct bl_wal_stats *st, struct io_err *e)
{
        const struct wal_buf *b = &w->batch;
        int rc;

        if (w->fd < 0 || w->seg_size >= w->segment_bytes) {
                if (w->fd >= 0)
                        close(w->fd); /* everything in it is durable already */
                w->fd = -1;
                rc = open_segment(w, get64(b->p + 8), st, e);
                if (rc)
                        return rc;
        }
        rc = write_all(w, b->p, b->len, st, e);
        if (rc)
                return rc;
        if (w->mode == BL_WAL_FSYNC) {
                uint64_t t0 = mono_ns();
                char path[PATH_MAX];

                if (fdatasync(w->fd) != 0) {
                        bl_wal_seg_path(path, sizeof(path), w->dir,
                                        w->segs[w->nsegs - 1].first_seq);
                        return io_fail(e, "cannot fdatasync", path);
                }
                st->syncs++;
                st->sync_ns += mono_ns() - t0;
        }
        rc = index_batch(w, b, e);
        if (rc)
                return rc;
        return delete_segments(w, st, e);
}

static void swap_bufs(struct wal_buf *a, struct wal_buf *b)
{
        struct wal_buf t = *a;

        *a = *b;
        *b = t;
}

void *bl_wal_io_main(void *arg)
{
        struct bl_wal *w = arg;

        pthread_mutex_lock(&w->mu);
        for (;;) {
                struct bl_wal_stats st = {0};
                struct io_err e = {{0}};
                uint64_t last;
                int rc;

                while (!w->stop && (w->pending.len == 0 || w->hold || w->err))
                        pthread_cond_wait(&w->work, &w->mu);
                if (w->pending.len == 0 || w->err)
                        break; /* stopping, and nothing (more) can be written */
                swap_bufs(&w->pending, &w->batch);
                w->pending.len = 0;
                last = w->pending_last;
                w->busy = 1;
                pthread_mutex_unlock(&w->mu);

                rc = write_batch(w, &st, &e);

                pthread_mutex_lock(&w->mu);
                w->batch.len = 0;
                w->io_stats.writes += st.writes;
                w->io_stats.syncs += st.syncs;
                w->io_stats.sync_ns += st.sync_ns;
                w->io_stats.disk_bytes += st.disk_bytes;
                w->io_stats.segments_created += st.segments_created;
                w->io_stats.segments_deleted += st.segments_deleted;
                if (rc) {
                        snprintf(w->errmsg, sizeof(w->errmsg), "storage: %.480s", e.msg);
                        __atomic_store_n(&w->err, BL_EIO, __ATOMIC_RELEASE);
                } else {
                        __atomic_store_n(&w->durable, last, __ATOMIC_RELEASE);
                }
                w->busy = 0;
                pthread_cond_broadcast(&w->idle);
        }
        pthread_mutex_unlock(&w->mu);
        return NULL;
}
