/* Reading the write-ahead log back after a crash: torn tails are cut, corrupt middles refused. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "storage/crc32c.h"
#include "storage/internal.h"

/*
 * A write that a crash interrupts leaves at most a damaged end of the last
 * segment: a record cut short, garbage or zeros where the last record should
 * be. That is a torn tail: the log is cut at the last valid record, which is
 * all the writer had been told was durable (the damaged write never
 * finished). Damage anywhere else is not explained by a crash: a bad record
 * with valid-looking data after it, in an older segment, or a gap in the
 * sequence numbers (a lost segment) means the medium lost data the log had
 * promised. Then recovery refuses, names the file, the offset and the
 * reason, and leaves the files for inspection: serving a log with a hole
 * would break the protocol's guarantees silently.
 */

struct seg_file {
        uint64_t first_seq;
        char path[PATH_MAX];
};

static uint32_t get32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
        return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static int cmp_seg(const void *a, const void *b)
{
        const struct seg_file *x = a, *y = b;

        return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

/* "<16 hex digits>.wal" -> first sequence number. Returns 1 on a match. */
static int parse_name(const char *name, uint64_t *seq)
{
        uint64_t v = 0;

        if (strlen(name) != 20 || strcmp(name + 16, ".wal") != 0)
                return 0;
        for (int i = 0; i < 16; i++) {
                int c = name[i], d;

                if (c >= '0' && c <= '9')
                        d = c - '0';
                else if (c >= 'a' && c <= 'f')
                        d = c - 'a' + 10;
                else
                        return 0;
                v = v << 4 | (uint64_t)d;
        }
        *seq = v;
        return 1;
}

static int list_segments(const char *dir, struct seg_file **out, size_t *n, struct bl_errbuf *eb)
{
        struct seg_file *v = NULL;
        size_t cap = 0;
        struct dirent *de;
        DIR *d = opendir(dir);

        *out = NULL;
        *n = 0;
        if (d == NULL)
                return bl_errf(eb, BL_EIO, "storage: cannot open %s: %s", dir, strerror(errno));
        while ((de = readdir(d)) != NULL) {
                uint64_t seq;

                if (!parse_name(de->d_name, &seq))
                        continue;
                if (*n == cap) {
                        struct seg_file *nv;

                        cap = cap ? 2 * cap : 16;
                        nv = bl_realloc(v, cap * sizeof(*nv));
                        if (nv == NULL) {
                                bl_free(v);
                                closedir(d);
                                return bl_errf(eb, BL_ENOMEM, "storage: out of memory");
                        }
                        v = nv;
                }
                v[*n].first_seq = seq;
                snprintf(v[*n].path, sizeof(v[*n].path), "%s/%s", dir, de->d_name);
                (*n)++;
        }
        closedir(d);
        if (*n > 1)
                qsort(v, *n, sizeof(*v), cmp_seg);
        *out = v;
        return 0;
}

static int read_file(const char *path, uint8_t **buf, size_t *len, struct bl_errbuf *eb)
{
        struct stat sb;
        size_t got = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        *buf = NULL;
        *len = 0;
        if (fd < 0 || fstat(fd, &sb) != 0) {
                int rc = bl_errf(eb, BL_EIO, "storage: cannot read %s: %s", path, strerror(errno));

                if (fd >= 0)
                        close(fd);
                return rc;
        }
        *buf = bl_malloc((size_t)sb.st_size + 1);
        if (*buf == NULL) {
                close(fd);
                return bl_errf(eb, BL_ENOMEM, "storage: out of memory reading %s", path);
        }
        while (got < (size_t)sb.st_size) {
                ssize_t r = read(fd, *buf + got, (size_t)sb.st_size - got);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                got += (size_t)r;
        }
        close(fd);
        *len = got;
        return 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (p[i])
                        return 0;
        return 1;
}

/*
 * Check the record at off of a file of size len. Returns NULL when valid,
 * else why not; *tail is set when the damage reaches the end of the file
 * (the record is cut short, or it is the last one), as a torn write leaves.
 */
static const char *check_record(const uint8_t *p, size_t len, size_t off, int *tail)
{
        size_t left = len - off;
        uint32_t n, crc;

        *tail = 0;
        if (left < BL_WAL_HEADER) {
                *tail = 1;
                return "truncated header";
        }
        if (all_zero(p + off, left)) {
                *tail = 1;
                return "zeros instead of a record";
        }
        n = get32(p + off);
        if ((uint64_t)n > left - BL_WAL_HEADER) {
                *tail = 1;
                return n > BL_WAL_MAX_RECORD ? "bad length" : "truncated record";
        }
        *tail = (BL_WAL_HEADER + (size_t)n == left);
        crc = bl_crc32c(0, p + off, 4);
        crc = bl_crc32c(crc, p + off + 8, BL_WAL_HEADER - 8);
        crc = bl_crc32c(crc, p + off + BL_WAL_HEADER, n);
        if (crc != get32(p + off + 4))
                return "bad CRC";
        if (p[off + 21] || p[off + 22] || p[off + 23])
                return "bad header padding";
        if (p[off + 20] == WAL_MARKER && n != 8)
                return "bad compaction marker";
        return NULL;
}

static int cut_tail(struct bl_wal *w, const struct seg_file *f, size_t off, size_t len,
                    const char *why, struct bl_wal_recovery *info, struct bl_errbuf *eb)
{
        info->torn = 1;
        snprintf(info->torn_file, sizeof(info->torn_file), "%s", f->path);
        info->torn_offset = off;
        info->torn_bytes = len - off;
        snprintf(info->torn_why, sizeof(info->torn_why), "%s", why);
        if (off == 0) {
                /* Nothing valid in it: a segment whose first write tore. */
                if (unlink(f->path) != 0)
                        return bl_errf(eb, BL_EIO, "storage: cannot delete %s: %s", f->path,
                                       strerror(errno));
        } else if (truncate(f->path, (off_t)off) != 0) {
                return bl_errf(eb, BL_EIO, "storage: cannot truncate %s: %s", f->path,
                               strerror(errno));
        }
        if (w->mode == BL_WAL_FSYNC) {
                int fd = open(off ? f->path : w->dir, O_RDONLY | O_CLOEXEC);

                if (fd >= 0) {
                        fsync(fd);
                        close(fd);
                }
        }
        return 0;
}

/* Read one segment into w->recs and the segment table. *stop: torn tail cut. */
static int read_segment(struct bl_wal *w, const struct seg_file *f, int last, uint64_t *expect,
                        struct bl_wal_recovery *info, struct bl_errbuf *eb)
{
        struct wal_seg seg = {f->first_seq, {0}};
        uint8_t *p;
        size_t len, off = 0;
        int rc = read_file(f->path, &p, &len, eb);

        if (rc)
                return rc;
        while (off < len) {
                int tail;
                const char *why = check_record(p, len, off, &tail);
                uint64_t seq;
                uint32_t n, group;
                int type;

                if (why != NULL) {
                        if (last && tail) {
                                rc = cut_tail(w, f, off, len, why, info, eb);
                                goto out;
                        }
                        rc = bl_errf(eb, BL_EIO,
                                     "storage: %s: offset %zu: %s, with %zu more bytes after it: "
                                     "the log has a hole, recovery refused",
                                     f->path, off, why, len - off);
                        goto out;
                }
                n = get32(p + off);
                seq = get64(p + off + 8);
                group = get32(p + off + 16);
                type = p[off + 20];
                if (off == 0 && seq != f->first_seq) {
                        rc =
                            bl_errf(eb, BL_EIO,
                                    "storage: %s: offset 0: first record has sequence number "
                                    "%" PRIu64 ", the file name says %" PRIu64 ", recovery refused",
                                    f->path, seq, f->first_seq);
                        goto out;
                }
                if (*expect && seq != *expect) {
                        rc = bl_errf(eb, BL_EIO,
                                     "storage: %s: offset %zu: sequence number %" PRIu64
                                     " where %" PRIu64 " was expected: records are missing, "
                                     "recovery refused",
                                     f->path, off, seq, *expect);
                        goto out;
                }
                *expect = seq + 1;
                info->last_seq = seq;
                if (type == WAL_MARKER)
                        rc =
                            bl_wal_gmap_raise(&w->compacted, group, get64(p + off + BL_WAL_HEADER));
                else
                        rc = bl_wal_gmap_raise(&seg.last, group, seq);
                if (rc == 0)
                        rc = bl_wal_recs_push(w, seq, group, type, p + off + BL_WAL_HEADER, n);
                if (rc) {
                        rc = bl_errf(eb, BL_ENOMEM, "storage: out of memory reading %s", f->path);
                        goto out;
                }
                off += BL_WAL_HEADER + n;
        }
out:
        bl_free(p);
        if (rc == 0 && off > 0) {
                /* The I/O thread's table, for deleting it later. */
                if (w->nsegs == w->capsegs) {
                        size_t cap = w->capsegs ? 2 * w->capsegs : 8;
                        struct wal_seg *v = bl_realloc(w->segs, cap * sizeof(*v));

                        if (v == NULL) {
                                bl_free(seg.last.v);
                                return bl_errf(eb, BL_ENOMEM, "storage: out of memory");
                        }
                        w->segs = v;
                        w->capsegs = cap;
                }
                w->segs[w->nsegs++] = seg;
                return 0;
        }
        bl_free(seg.last.v);
        return rc;
}

int bl_wal_recover_disk(struct bl_wal *w, struct bl_wal_recovery *info, struct bl_errbuf *eb)
{
        struct seg_file *files;
        size_t n;
        uint64_t expect = 0;
        int rc = list_segments(w->dir, &files, &n, eb);

        if (rc)
                return rc;
        for (size_t i = 0; i < n && rc == 0; i++) {
                if (i > 0 && info->torn)
                        break;
                rc = read_segment(w, &files[i], i + 1 == n, &expect, info, eb);
        }
        bl_free(files);
        if (rc)
                return rc;
        /* Records that a durable marker hides are not replayed. */
        bl_wal_recs_filter(w, &w->compacted);
        for (size_t i = 0; i < w->nrecs; i++)
                info->records += w->recs[i].type != WAL_MARKER;
        return 0;
}

int bl_wal_corrupt_tail(const char *dir, struct bl_errbuf *eb)
{
        struct seg_file *files;
        size_t n, len, off = 0, last = SIZE_MAX, cut;
        uint8_t *p;
        int rc = list_segments(dir, &files, &n, eb);

        if (rc)
                return rc;
        if (n == 0) {
                bl_free(files);
                return bl_errf(eb, BL_ENOTFOUND, "storage: no segment in %s", dir);
        }
        rc = read_file(files[n - 1].path, &p, &len, eb);
        if (rc)
                goto out;
        while (len - off >= BL_WAL_HEADER && len - off - BL_WAL_HEADER >= get32(p + off)) {
                last = off;
                off += BL_WAL_HEADER + get32(p + off);
        }
        if (last == SIZE_MAX) {
                rc = bl_errf(eb, BL_ENOTFOUND, "storage: no record in %s", files[n - 1].path);
                goto out_free;
        }
        /* Cut the last record in the middle, as a write interrupted by the
         * crash would: its header stays, half its bytes go (half the header
         * when it has fewer than two). */
        if (get32(p + last) >= 2)
                cut = last + BL_WAL_HEADER + get32(p + last) / 2;
        else
                cut = last + BL_WAL_HEADER / 2;
        if (truncate(files[n - 1].path, (off_t)cut) != 0)
                rc = bl_errf(eb, BL_EIO, "storage: cannot truncate %s: %s", files[n - 1].path,
                             strerror(errno));
out_free:
        bl_free(p);
out:
        bl_free(files);
        return rc;
}

int bl_wal_corrupt_middle(const char *dir, struct bl_errbuf *eb)
{
        struct seg_file *files;
        size_t n;
        int rc = list_segments(dir, &files, &n, eb);

        if (rc)
                return rc;
        rc = bl_errf(eb, BL_ENOTFOUND, "storage: no segment in %s holds two records", dir);
        for (size_t i = 0; i < n; i++) {
                uint8_t *p, b;
                size_t len, first;
                int fd;

                if (read_file(files[i].path, &p, &len, eb) != 0) {
                        rc = BL_EIO;
                        break;
                }
                first = len >= BL_WAL_HEADER ? BL_WAL_HEADER + (size_t)get32(p) : SIZE_MAX;
                /* The first record and a whole header after it. */
                if (first == SIZE_MAX || len < first + BL_WAL_HEADER) {
                        bl_free(p);
                        continue;
                }
                /* The byte in the middle of the record: payload if any, else
                 * the sequence number in the header. */
                b = p[first / 2 < 8 ? 8 : first / 2] ^ 0x5a;
                bl_free(p);
                fd = open(files[i].path, O_WRONLY | O_CLOEXEC);
                if (fd < 0 || pwrite(fd, &b, 1, (off_t)(first / 2 < 8 ? 8 : first / 2)) != 1)
                        rc = bl_errf(eb, BL_EIO, "storage: cannot write %s: %s", files[i].path,
                                     strerror(errno));
                else
                        rc = 0;
                if (fd >= 0)
                        close(fd);
                break;
        }
        bl_free(files);
        return rc;
}
