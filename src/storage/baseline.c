/* The storage baseline: what one durable append and sequential writing cost in storage.dir. */
#include "storage/baseline.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"

#define APPEND_BYTES 4096u
#define BW_CHUNK     (1u << 20)

static uint64_t mono_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

static int write_full(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

/* Nearest-rank percentile of sorted samples. */
static double pct_us(const uint64_t *v, int n, double q)
{
        int i = (int)(q * n + 0.999999) - 1;

        if (i < 0)
                i = 0;
        if (i >= n)
                i = n - 1;
        return (double)v[i] / 1000.0;
}

int bl_storage_baseline(const char *dir, int samples, uint64_t bw_bytes,
                        struct bl_storage_baseline *out, struct bl_errbuf *eb)
{
        char path[PATH_MAX];
        uint64_t *lat = NULL, t0, written = 0;
        char *buf = NULL;
        int fd = -1, rc = 0;

        memset(out, 0, sizeof(*out));
        if (samples < 1)
                return bl_errf(eb, BL_EINVAL, "storage baseline: samples must be >= 1");
        snprintf(path, sizeof(path), "%s/baseline-%ld.tmp", dir, (long)getpid());
        lat = bl_malloc((size_t)samples * sizeof(*lat));
        buf = bl_malloc(BW_CHUNK);
        if (lat == NULL || buf == NULL) {
                rc = bl_errf(eb, BL_ENOMEM, "storage baseline: out of memory");
                goto out_free;
        }
        /* Not zeros: a file system that compresses or dedups would cheat. */
        for (size_t i = 0; i < BW_CHUNK; i++)
                buf[i] = (char)(i * 131 + 7);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
                rc = bl_errf(eb, BL_EIO, "storage baseline: cannot create %.300s: %s", path,
                             strerror(errno));
                goto out_free;
        }
        for (int i = 0; i < samples; i++) {
                t0 = mono_ns();
                if (write_full(fd, buf + (i % 64) * 16, APPEND_BYTES) != 0 || fdatasync(fd) != 0) {
                        rc = bl_errf(eb, BL_EIO, "storage baseline: cannot write %.300s: %s", path,
                                     strerror(errno));
                        goto out_close;
                }
                lat[i] = mono_ns() - t0;
        }
        qsort(lat, (size_t)samples, sizeof(*lat), cmp_u64);
        out->fsync_p50_us = pct_us(lat, samples, 0.50);
        out->fsync_p99_us = pct_us(lat, samples, 0.99);
        out->samples = samples;
        if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
                rc = bl_errf(eb, BL_EIO, "storage baseline: cannot truncate %.300s: %s", path,
                             strerror(errno));
                goto out_close;
        }
        t0 = mono_ns();
        while (written < bw_bytes) {
                size_t n = bw_bytes - written < BW_CHUNK ? (size_t)(bw_bytes - written) : BW_CHUNK;

                if (write_full(fd, buf, n) != 0) {
                        rc = bl_errf(eb, BL_EIO, "storage baseline: cannot write %.300s: %s", path,
                                     strerror(errno));
                        goto out_close;
                }
                written += n;
        }
        if (written > 0) {
                uint64_t dt;

                if (fdatasync(fd) != 0) {
                        rc = bl_errf(eb, BL_EIO, "storage baseline: cannot sync %.300s: %s", path,
                                     strerror(errno));
                        goto out_close;
                }
                dt = mono_ns() - t0;
                out->write_mbps = (double)written * 1000.0 / (double)(dt ? dt : 1);
        }
        out->bw_bytes = written;
out_close:
        close(fd);
        unlink(path);
out_free:
        bl_free(buf);
        bl_free(lat);
        return rc;
}
