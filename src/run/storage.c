/*
 * The rank's write-ahead log in the runtime: the run's folder, durability
 * reports to the kernels, crash and recovery from what the log holds.
 *
 * Every server rank opens one log (src/storage/wal.h) shared by the
 * replicas it hosts; a record's group is its shard. In write and fsync mode
 * the log lives in <storage.dir>/ballot-<name>-<id>/rank-<R>/, a folder
 * every rank names alike (rank 0 picks the id and broadcasts it before
 * anything else in set-up can fail), removed at the end unless
 * storage.keep. The loop polls the log once per pass and tells each kernel
 * how far its records are durable; it never waits for the disk.
 *
 * A crash (the whole rank) discards what is not durable. Recovery reads the
 * log back from the files (write, fsync) or memory: a torn tail is cut and
 * recorded (event wal_torn); a corrupt log refuses recovery: the event
 * wal_corrupt is recorded, the message goes to stderr, the rank stays down
 * and the run's "storage" verdict fails.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "run/clock.h"
#include "run/rt.h"
#include "run/txn.h"
#include "storage/baseline.h"

_Static_assert((int)BL_STORAGE_MEMORY == (int)BL_WAL_MEMORY &&
                   (int)BL_STORAGE_WRITE == (int)BL_WAL_WRITE &&
                   (int)BL_STORAGE_FSYNC == (int)BL_WAL_FSYNC,
               "storage.mode follows enum bl_wal_mode");

#define BASELINE_SAMPLES  100
#define BASELINE_BW_BYTES (32u << 20)

static const char *base_dir(const struct bl_config *cfg)
{
        const char *t = getenv("TMPDIR");

        if (cfg->storage.dir[0] != '\0')
                return cfg->storage.dir;
        return t != NULL && t[0] != '\0' ? t : "/tmp";
}

int bl_rt_storage_name(struct bl_rt *rt)
{
        char name[BL_PATH_MAX];

        if (rt->cfg->storage.mode == BL_STORAGE_MEMORY)
                return 0;
        memset(name, 0, sizeof(name));
        if (rt->rank == 0)
                snprintf(name, sizeof(name), "%.380s/ballot-%.64s-%ld-%llx", base_dir(rt->cfg),
                         rt->cfg->experiment.name, (long)getpid(),
                         (unsigned long long)(bl_now_ns() & 0xffffffffffull));
        MPI_Bcast(name, (int)sizeof(name), MPI_CHAR, 0, rt->comm);
        snprintf(rt->storage_run_dir, sizeof(rt->storage_run_dir), "%s", name);
        return 0;
}

int bl_rt_storage_open(struct bl_rt *rt)
{
        struct bl_wal_options o = {.mode = (int)rt->cfg->storage.mode};
        int rc;

        if (rt->rank >= rt->nserver && rt->txn == NULL)
                return 0; /* client-only rank: no replica, no log (a 2PC coordinator has one) */
        if (o.mode != BL_WAL_MEMORY) {
                if (mkdir(rt->storage_run_dir, 0755) != 0 && errno != EEXIST)
                        return bl_errf(&rt->eb, BL_EIO,
                                       "storage.dir: cannot create %s: %s (storage.dir = '%s')",
                                       rt->storage_run_dir, strerror(errno), rt->cfg->storage.dir);
                snprintf(rt->storage_dir, sizeof(rt->storage_dir), "%s/rank-%d",
                         rt->storage_run_dir, rt->rank);
                if (mkdir(rt->storage_dir, 0755) != 0)
                        return bl_errf(&rt->eb, BL_EIO, "storage.dir: cannot create %s: %s",
                                       rt->storage_dir, strerror(errno));
                o.dir = rt->storage_dir;
        }
        rc = bl_wal_open(&rt->wal, &o, &rt->eb);
        if (rc != 0)
                return bl_errwrap(&rt->eb, rc, "rank %d", rt->rank);
        return 0;
}

static void remove_flat_dir(const char *dir)
{
        char path[BL_PATH_MAX + 300];
        struct dirent *de;
        DIR *d = opendir(dir);

        if (d == NULL)
                return;
        while ((de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                unlink(path);
        }
        closedir(d);
        rmdir(dir);
}

void bl_rt_storage_close(struct bl_rt *rt)
{
        bl_wal_close(rt->wal);
        rt->wal = NULL;
        if (rt->storage_dir[0] == '\0' || rt->cfg->storage.keep)
                return;
        remove_flat_dir(rt->storage_dir);
        /* The last rank of the node to get here empties the run's folder. */
        rmdir(rt->storage_run_dir);
}

void bl_rt_storage_step(struct bl_rt *rt)
{
        uint64_t d;

        if (rt->wal == NULL || rt->crashed)
                return;
        if (bl_wal_error(rt->wal, &rt->eb) != 0) {
                bl_rt_fail(rt, BL_EIO, "writing the write-ahead log");
                return;
        }
        d = bl_wal_durable(rt->wal);
        for (int i = 0; i < rt->nreps; i++) {
                struct bl_replica *r = &rt->reps[i];
                uint64_t upto = d < r->persisted ? d : r->persisted;

                if (r->crashed || r->k == NULL || upto <= r->durable)
                        continue;
                r->durable = upto;
                if (rt->kern->durable != NULL)
                        rt->kern->durable(r->k, upto);
        }
        bl_rt_txn_durable(rt);
}

uint64_t bl_rt_storage_persist(struct bl_rt *rt, struct bl_replica *r, int type, const void *buf,
                               size_t len)
{
        uint64_t seq = bl_wal_append(rt->wal, (uint32_t)r->shard, type, buf, len);

        if (seq == 0) {
                if (bl_wal_error(rt->wal, &rt->eb) == 0)
                        bl_errf(&rt->eb, BL_EINVAL,
                                "shard %d: kernel %s persisted a bad record (type %d, %zu bytes)",
                                r->shard, rt->kern->name, type, len);
                bl_rt_fail(rt, BL_EIO, "persisting a record");
                return 0;
        }
        r->persisted = seq;
        return seq;
}

void bl_rt_storage_crash(struct bl_rt *rt)
{
        if (rt->wal != NULL)
                bl_wal_crash(rt->wal);
}

int bl_rt_storage_recover(struct bl_rt *rt)
{
        struct bl_wal_recovery info;
        struct bl_errbuf eb = {{0}};
        int rc;

        if (rt->wal == NULL)
                return 0;
        rc = bl_wal_recover(rt->wal, &info, &eb);
        if (rc != 0) {
                /* Never serve a log with a hole: this replica stays down. */
                snprintf(rt->storage_refused, sizeof(rt->storage_refused), "%s", eb.msg);
                fprintf(stderr, "ballot: rank %d: %s; the replica stays down\n", rt->rank, eb.msg);
                bl_rt_event(rt, BL_EV_WAL_CORRUPT, rt->rank, rc);
                return rc;
        }
        if (info.torn) {
                fprintf(stderr,
                        "ballot: rank %d: storage: torn tail in %s (%s): %llu bytes cut at offset "
                        "%llu\n",
                        rt->rank, info.torn_file, info.torn_why,
                        (unsigned long long)info.torn_bytes, (unsigned long long)info.torn_offset);
                bl_rt_event(rt, BL_EV_WAL_TORN, rt->rank, (int64_t)info.torn_bytes);
        }
        return 0;
}

static int replay_one(void *arg, uint64_t seq, int type, const void *buf, size_t len)
{
        struct bl_replica *r = arg;
        int rc = r->rt->kern->replay(r->k, seq, type, buf, len);

        if (rc != 0)
                bl_errf(&r->rt->eb, rc,
                        "shard %d member %d: kernel %s refused persisted record %llu (type %d, "
                        "%zu bytes) on recovery",
                        r->shard, r->member, r->rt->kern->name, (unsigned long long)seq, type, len);
        r->persisted = seq;
        return rc;
}

int bl_rt_storage_replay(struct bl_rt *rt, struct bl_replica *r)
{
        r->persisted = 0;
        if (rt->wal == NULL || rt->kern->replay == NULL)
                return 0;
        return bl_wal_replay(rt->wal, (uint32_t)r->shard, replay_one, r);
}

void bl_rt_storage_replay_done(struct bl_rt *rt)
{
        if (rt->wal != NULL)
                bl_wal_replay_done(rt->wal);
}

int bl_rt_storage_baseline(struct bl_rt *rt, struct bl_storage_baseline *out)
{
        struct bl_errbuf eb = {{0}};
        int rc = 0;
        double v[3] = {0, 0, 0};

        memset(out, 0, sizeof(*out));
        if (rt->cfg->storage.mode == BL_STORAGE_MEMORY)
                return 0;
        /* Rank 0 measures alone, in its own folder, while the others wait:
         * ranks writing at once would measure each other. */
        if (rt->rank == 0) {
                rc = bl_storage_baseline(rt->storage_dir, BASELINE_SAMPLES, BASELINE_BW_BYTES, out,
                                         &eb);
                v[0] = rc == 0 ? out->fsync_p50_us : -1;
                v[1] = out->fsync_p99_us;
                v[2] = out->write_mbps;
                if (rc != 0)
                        fprintf(stderr, "ballot: %s\n", eb.msg);
        }
        MPI_Bcast(v, 3, MPI_DOUBLE, 0, rt->comm);
        if (v[0] < 0)
                return bl_errf(&rt->eb, BL_EIO,
                               "storage baseline failed on rank 0 (see its message)");
        out->fsync_p50_us = v[0];
        out->fsync_p99_us = v[1];
        out->write_mbps = v[2];
        out->samples = BASELINE_SAMPLES;
        out->bw_bytes = BASELINE_BW_BYTES;
        return 0;
}
