/*
 * The end of a run, collective over all ranks:
 *  1. merge measurements at rank 0 (histogram counts, errors and series by
 *     MPI_Reduce; replica states and histories by gather);
 *  2. judge correctness: replica digests, the counter (counter workload),
 *     linearizability (when the history is recorded);
 *  3. print the summary table on rank 0;
 *  4. write the HDF5 result collectively (temporary name, renamed at the
 *     end; see results/results.h).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check/lin.h"
#include "check/verdict.h"
#include "common/alloc.h"
#include "common/version.h"
#include "results/results.h"
#include "run/faults.h"
#include "run/clock.h"
#include "run/finish.h"
#include "run/txn.h"

#define MAX_VERDICTS 11

struct cfg_item;

struct finish {
        struct bl_rt *rt;
        /* merged at rank 0 */
        struct bl_hist lat[BL_OP__COUNT];
        uint64_t errors[BL_OP__COUNT];
        uint64_t unfinished[BL_OP__COUNT];
        struct bl_hist unserved_lat;
        /* ops: successful measured operations; the window's intended
         * operations are offered = ops + errors + unfinished + unserved. */
        uint64_t ops, completed, warmup_ops, unserved, lost, offered, achieved_ok, issued_measured;
        int deadline_hit;
        double duration_s;
        uint64_t total_msgs, total_bytes, mpi_msgs; /* measured window */
        uint64_t window_done;                       /* completions in that window */
        double window_s;
        double path_rtt_ns; /* the RTT unit of p50_rtt (path_rtt) */
        char *path_pairs;
        uint64_t counts[4];                 /* retries, timeouts, redirects, malformed */
        uint64_t wal_syncs, wal_disk_bytes; /* every rank's write-ahead log */
        uint64_t win_syncs, win_disk_bytes; /* the same in the measured window */
        uint64_t wal_sync_ns;               /* time in those fdatasync calls */
        struct bl_verdict v[MAX_VERDICTS];
        int nv;
        struct bl_txn_summary txn;               /* transaction runs (rank 0) */
        uint64_t lin_ops_checked, lin_ops_total; /* rank 0 */
        /* local rows */
        struct bl_replica_info *reps;
        struct bl_digest_rec *digests;
        size_t ndigests;
        struct bl_event_rec *events;
        struct bl_history_rec *hist;
        /* config dump */
        struct bl_cfg_entry *cfg;
        struct cfg_item *cfgitems;
        size_t ncfg, capcfg;
        int failed_alloc;
        /* faults (rank 0) */
        struct bl_fault_row *faults;
        size_t nfaults;
        char *fault_texts;
};

/* ---- merging ---------------------------------------------------------- */

static int cmp_dbl(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

/*
 * The round trip that latencies are expressed in (rank 0): the median over
 * the paths requests take, client rank -> the rank serving the shard (the
 * leader each client rank believed in at the end; for leaderless kernels
 * the member it sends to), one entry per (client rank, shard), from the
 * baseline matrix. Not the median over every pair, which includes pairs
 * that never talk. Paths within one rank have no round trip and are left
 * out; when every path is one, the median over all pairs stands in and
 * path_pairs says so. Collective.
 */
static int path_rtt(struct finish *f, const struct bl_baseline *base)
{
        struct bl_rt *rt = f->rt;
        int n = rt->size, shards = rt->cfg->cluster.shards;
        int *lead = bl_malloc(sizeof(int) * (size_t)shards), *all = NULL;
        double *m = NULL, *v = NULL;
        int err = lead == NULL, nv = 0;

        if (rt->rank == 0) {
                all = bl_malloc(sizeof(int) * (size_t)shards * (size_t)n);
                m = bl_malloc(sizeof(double) * (size_t)n * (size_t)n);
                v = bl_malloc(sizeof(double) * ((size_t)shards * (size_t)n + 1));
                f->path_pairs = bl_calloc((size_t)n * (size_t)n * 24 + 64, 1);
                err |= !all || !m || !v || !f->path_pairs;
        }
        MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPI_INT, MPI_MAX, rt->comm);
        if (err) {
                bl_free(lead);
                bl_free(all);
                bl_free(m);
                bl_free(v);
                return BL_ENOMEM;
        }
        for (int s = 0; s < shards; s++)
                lead[s] = rt->is_client ? rt->leader_rank[s] : -1;
        MPI_Gather(lead, shards, MPI_INT, all, shards, MPI_INT, 0, rt->comm);
        MPI_Gather(base->rtt_row, n, MPI_DOUBLE, m, n, MPI_DOUBLE, 0, rt->comm);
        if (rt->rank == 0) {
                size_t len = 0, cap = (size_t)n * (size_t)n * 24 + 64;
                unsigned char *seen = bl_calloc((size_t)n * (size_t)n, 1);
                for (int c = 0; c < n; c++) {
                        for (int s = 0; s < shards; s++) {
                                int l = all[c * shards + s];
                                if (l < 0 || l >= n || l == c || !(m[c * n + l] > 0))
                                        continue;
                                v[nv++] = m[c * n + l];
                                if (seen == NULL || seen[c * n + l])
                                        continue;
                                seen[c * n + l] = 1;
                                len += (size_t)snprintf(f->path_pairs + len, cap - len, "%s%d->%d",
                                                        len ? "," : "", c, l);
                        }
                }
                bl_free(seen);
                if (nv > 0) {
                        qsort(v, (size_t)nv, sizeof(double), cmp_dbl);
                        f->path_rtt_ns = nv % 2 ? v[nv / 2] : (v[nv / 2 - 1] + v[nv / 2]) / 2;
                } else {
                        f->path_rtt_ns = base->median_rtt_ns;
                        snprintf(f->path_pairs, cap,
                                 "none (every client shares its rank with the server): median "
                                 "over all pairs");
                }
        }
        bl_free(lead);
        bl_free(all);
        bl_free(m);
        bl_free(v);
        return 0;
}

static void merge_latency(struct finish *f)
{
        struct bl_rt *rt = f->rt;
        MPI_Comm c = rt->comm;

        for (int op = 0; op < BL_OP__COUNT; op++) {
                struct bl_hist *in = &rt->lat[op], *out = &f->lat[op];
                bl_hist_init(out);
                MPI_Reduce(in->counts, out->counts, BL_HIST_SUM_WORDS, MPI_UINT64_T, MPI_SUM, 0, c);
                MPI_Reduce(&in->min_ns, &out->min_ns, 1, MPI_UINT64_T, MPI_MIN, 0, c);
                MPI_Reduce(&in->max_ns, &out->max_ns, 1, MPI_UINT64_T, MPI_MAX, 0, c);
                MPI_Reduce(&in->sum_ns, &out->sum_ns, 1, MPI_DOUBLE, MPI_SUM, 0, c);
        }
        {
                struct bl_hist *in = &rt->lat_unserved, *out = &f->unserved_lat;
                bl_hist_init(out);
                MPI_Reduce(in->counts, out->counts, BL_HIST_SUM_WORDS, MPI_UINT64_T, MPI_SUM, 0, c);
                MPI_Reduce(&in->min_ns, &out->min_ns, 1, MPI_UINT64_T, MPI_MIN, 0, c);
                MPI_Reduce(&in->max_ns, &out->max_ns, 1, MPI_UINT64_T, MPI_MAX, 0, c);
                MPI_Reduce(&in->sum_ns, &out->sum_ns, 1, MPI_DOUBLE, MPI_SUM, 0, c);
        }
        MPI_Reduce(rt->errors, f->errors, BL_OP__COUNT, MPI_UINT64_T, MPI_SUM, 0, c);
        MPI_Reduce(rt->unfinished, f->unfinished, BL_OP__COUNT, MPI_UINT64_T, MPI_SUM, 0, c);
        uint64_t mine[6] = {rt->measured_ops, rt->warmup_ops,  rt->unserved,
                            rt->lost,         rt->achieved_ok, rt->issued_measured},
                 sum[6] = {0};
        MPI_Reduce(mine, sum, 6, MPI_UINT64_T, MPI_SUM, 0, c);
        f->issued_measured = sum[5];
        f->completed = sum[0];
        f->warmup_ops = sum[1];
        f->unserved = sum[2];
        f->lost = sum[3];
        f->achieved_ok = sum[4];
        f->ops = 0;
        for (int op = 0; op < BL_OP__COUNT; op++)
                f->ops += f->lat[op].total - f->unfinished[op];
        f->offered = f->completed + f->unserved + f->lost;
        for (int op = 0; op < BL_OP__COUNT; op++)
                f->offered += f->unfinished[op];
        MPI_Reduce(&rt->deadline_hit, &f->deadline_hit, 1, MPI_INT, MPI_MAX, 0, c);
        if (rt->cfg->experiment.ops > 0) {
                /* Until the last completion, or the deadline. */
                uint64_t last = rt->t_last_op;
                if (rt->is_client && rt->t_stop != UINT64_MAX && rt->t_stop > last)
                        last = rt->t_stop;
                double secs = last > rt->t_measure ? (double)(last - rt->t_measure) / 1e9 : 0;
                MPI_Reduce(&secs, &f->duration_s, 1, MPI_DOUBLE, MPI_MAX, 0, c);
        } else {
                f->duration_s = rt->cfg->experiment.duration_s;
        }
}

/* Traffic of the measured window (see rt.h): data-plane frames, their
 * bytes and MPI messages, with the completions of the same window, so
 * warm-up, drain and settle traffic do not inflate the per-op figures. */
static void merge_messages(struct finish *f)
{
        struct bl_rt *rt = f->rt;
        uint64_t mine[5] = {rt->win_ctr[0], rt->win_ctr[1], rt->win_ctr[2], rt->window_done, 0},
                 sum[5] = {0};
        double win = rt->t_window_close > rt->t_measure
                         ? (double)(rt->t_window_close - rt->t_measure) / 1e9
                         : 0;

        MPI_Reduce(mine, sum, 5, MPI_UINT64_T, MPI_SUM, 0, rt->comm);
        MPI_Reduce(&win, &f->window_s, 1, MPI_DOUBLE, MPI_MAX, 0, rt->comm);
        uint64_t c[4] = {rt->retries, rt->timeouts, rt->redirects, rt->malformed};
        MPI_Reduce(c, f->counts, 4, MPI_UINT64_T, MPI_SUM, 0, rt->comm);
        f->total_msgs = sum[0];
        f->total_bytes = sum[1];
        f->mpi_msgs = sum[2];
        f->window_done = sum[3];
        struct bl_wal_stats ws = {0};
        if (rt->wal != NULL)
                bl_wal_stats(rt->wal, &ws);
        uint64_t w[5] = {ws.syncs, ws.disk_bytes, ws.sync_ns, rt->win_ctr[3], rt->win_ctr[4]},
                 wsum[5] = {0};
        MPI_Reduce(w, wsum, 5, MPI_UINT64_T, MPI_SUM, 0, rt->comm);
        f->wal_syncs = wsum[0];
        f->wal_disk_bytes = wsum[1];
        f->wal_sync_ns = wsum[2];
        f->win_syncs = wsum[3];
        f->win_disk_bytes = wsum[4];
}

/*
 * The merged and per-shard time series at rank 0. They cover the whole run,
 * to the end of the loop, not only to the last completion: when nothing
 * completes any more (a majority lost), the empty intervals are what shows
 * it.
 */
static int merge_series(struct bl_rt *rt)
{
        uint64_t n = bl_series_count(&rt->series), most = 0;
        size_t shards = (size_t)rt->cfg->cluster.shards;
        int err = 0;

        if (rt->t_run_end > rt->t0) {
                uint64_t end = bl_series_index(&rt->series, rt->t_run_end - rt->t0) + 1;
                n = n > end ? n : end;
        }
        MPI_Allreduce(&n, &most, 1, MPI_UINT64_T, MPI_MAX, rt->comm);
        err = bl_series_extend(&rt->series, (size_t)most) != 0 ||
              bl_rt_shard_grow(rt, (size_t)most) != 0;
        MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPI_INT, MPI_MAX, rt->comm);
        if (err)
                return BL_ENOMEM;
        uint64_t *data = bl_series_data(&rt->series);
        size_t words = bl_series_words(&rt->series);
        int cells = (int)(most * shards);
        if (rt->rank == 0) {
                MPI_Reduce(MPI_IN_PLACE, data, (int)words, MPI_UINT64_T, MPI_SUM, 0, rt->comm);
                MPI_Reduce(MPI_IN_PLACE, rt->shard_ok, cells, MPI_UINT32_T, MPI_SUM, 0, rt->comm);
        } else {
                MPI_Reduce(data, NULL, (int)words, MPI_UINT64_T, MPI_SUM, 0, rt->comm);
                MPI_Reduce(rt->shard_ok, NULL, cells, MPI_UINT32_T, MPI_SUM, 0, rt->comm);
        }
        return 0;
}

/* Gather variable-length byte arrays to rank 0. *all is bl_malloc'd there. */
static int gather_bytes(MPI_Comm comm, int rank, int size, const void *mine, int nbytes, void **all,
                        int *total)
{
        int *counts = bl_calloc((size_t)size, sizeof(int));
        int *displs = bl_calloc((size_t)size, sizeof(int));
        int rc = 0;

        *all = NULL;
        *total = 0;
        if (counts == NULL || displs == NULL) {
                rc = BL_ENOMEM;
                nbytes = -1;
        }
        MPI_Gather(&nbytes, 1, MPI_INT, counts, 1, MPI_INT, 0, comm);
        if (rank == 0 && rc == 0) {
                long long sum = 0;

                for (int i = 0; i < size; i++) {
                        if (counts[i] < 0)
                                rc = BL_ENOMEM;
                        displs[i] = (int)(sum < INT_MAX ? sum : INT_MAX);
                        sum += counts[i] > 0 ? counts[i] : 0;
                }
                /* Displacements are ints: more than INT_MAX bytes in all
                 * cannot be gathered (it used to wrap). */
                if (sum > INT_MAX)
                        rc = BL_ENOMEM;
                *total = rc == 0 ? (int)sum : 0;
                *all = rc == 0 ? bl_malloc((size_t)*total + 1) : NULL;
                if (*all == NULL)
                        rc = BL_ENOMEM;
        }
        MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
        if (rc == 0)
                MPI_Gatherv(mine, nbytes, MPI_BYTE, *all, counts, displs, MPI_BYTE, 0, comm);
        bl_free(counts);
        bl_free(displs);
        return rc;
}

int bl_rt_gather_bytes(struct bl_rt *rt, const void *mine, int nbytes, void **all, int *total)
{
        return gather_bytes(rt->comm, rt->rank, rt->size, mine, nbytes, all, total);
}

/* ---- verdicts --------------------------------------------------------- */

/* This rank's rows of /digests: every checkpoint of each hosted replica
 * (store/kv.h), then its final state unless that is the last checkpoint. */
static int digest_rows(struct finish *f)
{
        struct bl_rt *rt = f->rt;
        const struct bl_kv_checkpoint *cp;
        size_t n = 0;

        if (rt->txn != NULL) {
                /* Transaction stores: their final state, where the index of
                 * the last command applied is known (not right after a
                 * snapshot was installed). */
                f->digests = bl_calloc((size_t)rt->nreps + 1, sizeof(*f->digests));
                if (f->digests == NULL)
                        return BL_ENOMEM;
                for (int i = 0; i < rt->nreps; i++) {
                        const struct bl_replica *r = &rt->reps[i];
                        if (r->txs == NULL || r->txs_index == UINT64_MAX)
                                continue;
                        f->digests[f->ndigests++] = (struct bl_digest_rec){
                            r->shard, r->member, rt->rank, r->txs_index, bl_txs_digest(r->txs)};
                }
                return 0;
        }
        for (int i = 0; i < rt->nreps; i++)
                n += bl_kv_checkpoints(rt->reps[i].kv, &cp) + 1;
        f->digests = bl_calloc(n + 1, sizeof(*f->digests));
        if (f->digests == NULL)
                return BL_ENOMEM;
        for (int i = 0; i < rt->nreps; i++) {
                const struct bl_replica *r = &rt->reps[i];
                size_t ncp = bl_kv_checkpoints(r->kv, &cp);
                uint64_t applied = bl_kv_applied(r->kv);
                struct bl_digest_rec row = {r->shard, r->member, rt->rank, 0, 0};

                for (size_t j = 0; j < ncp; j++) {
                        row.applied = cp[j].applied;
                        row.digest = cp[j].digest;
                        f->digests[f->ndigests++] = row;
                }
                if (ncp > 0 && cp[ncp - 1].applied == applied)
                        continue;
                row.applied = applied;
                row.digest = bl_kv_digest(r->kv);
                f->digests[f->ndigests++] = row;
        }
        return 0;
}

static int verdict_digests(struct finish *f)
{
        struct bl_rt *rt = f->rt;
        struct bl_replica_state *st = NULL;
        void *all = NULL;
        int total = 0, rc;

        rc = digest_rows(f);
        /* Collective from here whatever happened above: gather_bytes agrees
         * on the error. */
        rc = gather_bytes(rt->comm, rt->rank, rt->size, f->digests,
                          rc == 0 ? (int)(sizeof(*f->digests) * f->ndigests) : -1, &all, &total);
        if (rc == 0 && rt->rank == 0) {
                const struct bl_digest_rec *d = all;
                size_t n = (size_t)total / sizeof(*d);

                st = bl_calloc(n + 1, sizeof(*st));
                if (st == NULL)
                        rc = BL_ENOMEM;
                for (size_t i = 0; rc == 0 && i < n; i++)
                        st[i] = (struct bl_replica_state){d[i].shard, d[i].member, d[i].rank,
                                                          d[i].applied, d[i].digest};
                if (rc == 0)
                        rc = bl_check_digests(st, n, &f->v[f->nv++]);
                /* A comparison that ran out of memory is inconclusive (the
                 * verdict says so); the run and its file are not lost. */
                if (rc == BL_ENOMEM && st != NULL)
                        rc = 0;
        }
        bl_free(st);
        bl_free(all);
        return rc;
}

/* The counter workload: each counter's final value is read from the
 * replica of its shard that applied most (MAXLOC), then summed at rank 0. */
static int verdict_counter(struct finish *f)
{
        struct bl_rt *rt = f->rt;
        int n = rt->cfg->workload.counters;
        struct {
                double applied;
                int rank;
        } *in = bl_malloc(sizeof(*in) * (size_t)n), *out = bl_malloc(sizeof(*out) * (size_t)n);
        uint64_t *vals = bl_calloc((size_t)n, sizeof(uint64_t));
        uint64_t local = 0, final = 0, acked = 0, unknown = 0;
        int rc = 0;

        if (in == NULL || out == NULL || vals == NULL) {
                rc = BL_ENOMEM;
                goto out_free;
        }
        for (int k = 0; k < n; k++) {
                int s = bl_shard_of((uint64_t)k, rt->cfg->cluster.shards);
                in[k].applied = -1;
                in[k].rank = rt->rank;
                if (rt->rep_of_shard[s] >= 0) {
                        struct bl_kv *kv = rt->reps[rt->rep_of_shard[s]].kv;
                        in[k].applied = (double)bl_kv_applied(kv);
                        if (bl_kv_get(kv, (uint64_t)k, &vals[k]) != 0)
                                vals[k] = 0;
                }
        }
        MPI_Allreduce(in, out, n, MPI_DOUBLE_INT, MPI_MAXLOC, rt->comm);
        for (int k = 0; k < n; k++)
                if (out[k].rank == rt->rank)
                        local += vals[k];
        MPI_Reduce(&local, &final, 1, MPI_UINT64_T, MPI_SUM, 0, rt->comm);
        MPI_Reduce(&rt->acked_incr, &acked, 1, MPI_UINT64_T, MPI_SUM, 0, rt->comm);
        MPI_Reduce(&rt->unknown_incr, &unknown, 1, MPI_UINT64_T, MPI_SUM, 0, rt->comm);
        if (rt->rank == 0) {
                /* Preloaded counters start at key + 1 (the store's preload). */
                uint64_t base = 0;
                for (int k = 0; k < n; k++)
                        base += (uint64_t)k < rt->cfg->store.records ? (uint64_t)k + 1 : 0;
                bl_check_counter(final - base, acked, unknown, &f->v[f->nv++]);
        }
out_free:
        bl_free(in);
        bl_free(out);
        bl_free(vals);
        return rc;
}

static int verdict_lin(struct finish *f)
{
        struct bl_rt *rt = f->rt;
        void *all = NULL;
        int total = 0, rc;
        uint64_t seen = 0;

        MPI_Reduce(&rt->hist_seen, &seen, 1, MPI_UINT64_T, MPI_SUM, 0, rt->comm);
        /* MPI counts are ints: a larger history cannot be gathered (-1 makes
         * every rank get BL_ENOMEM). */
        rc = gather_bytes(rt->comm, rt->rank, rt->size, rt->hist.ops,
                          rt->hist.n > (size_t)INT_MAX / sizeof(struct bl_hop)
                              ? -1
                              : (int)(sizeof(struct bl_hop) * rt->hist.n),
                          &all, &total);
        if (rc == BL_ENOMEM) {
                /* Agreed by every rank: the check could not run, which is
                 * inconclusive, and the run's file is still written. */
                rc = 0;
                if (rt->rank == 0) {
                        struct bl_verdict *v = &f->v[f->nv++];
                        memset(v, 0, sizeof(*v));
                        snprintf(v->name, sizeof(v->name), "linearizable");
                        v->pass = BL_VERDICT_INCONCLUSIVE;
                        snprintf(v->reason, sizeof(v->reason),
                                 "inconclusive: the history (%llu operations) could not be "
                                 "gathered at rank 0: more than 2 GiB, or out of memory",
                                 (unsigned long long)seen);
                }
        } else if (rc == 0 && rt->rank == 0) {
                struct bl_history h = {.ops = all, .n = (size_t)total / sizeof(struct bl_hop)};
                struct bl_lin_result res;
                char what[96];

                h.cap = h.n;
                f->lin_ops_checked = h.n;
                f->lin_ops_total = seen;
                bl_key_sample_describe(&rt->sample, what, sizeof(what));
                rc = bl_lin_check(&h, rt->cfg->store.records,
                                  rt->cfg->experiment.check_time_limit_s, &res);
                /* Out of memory while searching: res says inconclusive. */
                if (rc == BL_ENOMEM)
                        rc = 0;
                if (rc == 0) {
                        struct bl_verdict *v = &f->v[f->nv++];
                        size_t len;

                        bl_check_lin(&res, v);
                        if (h.n == 0) {
                                /* An empty history proves nothing. */
                                v->pass = BL_VERDICT_UNKNOWN;
                                snprintf(v->reason, sizeof(v->reason),
                                         "no operation to check (keys checked: %s)", what);
                        } else if (!rt->cfg->experiment.history) {
                                /* Keys are not equally busy: the share of
                                 * operations says how much was checked. */
                                len = strlen(v->reason);
                                snprintf(v->reason + len, sizeof(v->reason) - len,
                                         "; checked %s: %.1f%% of the operations (%llu of %llu)",
                                         what, seen ? 100.0 * (double)h.n / (double)seen : 0.0,
                                         (unsigned long long)h.n, (unsigned long long)seen);
                        }
                }
        }
        bl_free(all);
        return rc;
}

/*
 * Whether the run measured what it was asked to (rank 0): a run by ops
 * whose deadline passed did not reach its quota, and a run in which no
 * measured operation succeeded has no latency to report (its percentiles
 * are not 0 us). Either fails, with what was not reached.
 */
static void verdict_measured(struct finish *f)
{
        const struct bl_config *cfg = f->rt->cfg;

        if (f->rt->rank != 0)
                return;
        if (f->deadline_hit) {
                struct bl_verdict *v = &f->v[f->nv++];
                snprintf(v->name, sizeof(v->name), "ops");
                v->pass = 0;
                snprintf(v->reason, sizeof(v->reason),
                         "deadline passed: experiment.deadline_s = %g s ended the measured phase "
                         "after %llu of experiment.ops = %llu operations were issued (%llu "
                         "succeeded)",
                         cfg->experiment.deadline_s, (unsigned long long)f->issued_measured,
                         (unsigned long long)cfg->experiment.ops, (unsigned long long)f->ops);
        }
        if (f->ops == 0) {
                struct bl_verdict *v = &f->v[f->nv++];
                snprintf(v->name, sizeof(v->name), "measured");
                v->pass = 0;
                snprintf(v->reason, sizeof(v->reason),
                         "no measured operation succeeded: of %llu intended, %llu failed, %llu "
                         "unfinished (%llu never sent); nothing to report",
                         (unsigned long long)f->offered,
                         (unsigned long long)(f->completed + f->lost),
                         (unsigned long long)(f->offered - f->completed - f->lost),
                         (unsigned long long)f->unserved);
        }
}

/* Storage (write, fsync mode): every recovery read its log back. A log
 * that refused recovery (corrupt, not a torn tail) fails the run; the first
 * refusing rank's message is the reason. */
static void verdict_storage(struct finish *f)
{
        struct bl_rt *rt = f->rt;
        char why[BL_ERRMSG_SIZE];
        int mine = rt->storage_refused[0] ? rt->rank : rt->size, first = rt->size;
        uint64_t counts[2] = {0, 0}, all[2] = {0, 0}; /* recoveries, crashes */
        uint64_t all_recoveries;

        if (rt->cfg->storage.mode == BL_STORAGE_MEMORY)
                return;
        for (size_t i = 0; i < bl_evlog_count(&rt->ev); i++) {
                counts[0] += bl_evlog_get(&rt->ev, i)->type == BL_EV_RECOVER;
                counts[1] += bl_evlog_get(&rt->ev, i)->type == BL_EV_CRASH;
        }
        MPI_Reduce(counts, all, 2, MPI_UINT64_T, MPI_SUM, 0, rt->comm);
        all_recoveries = all[0];
        MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, rt->comm);
        if (first < rt->size) {
                memcpy(why, rt->storage_refused, sizeof(why));
                MPI_Bcast(why, (int)sizeof(why), MPI_CHAR, first, rt->comm);
        }
        if (rt->rank != 0)
                return;
        struct bl_verdict *v = &f->v[f->nv++];
        snprintf(v->name, sizeof(v->name), "storage");
        v->pass = first < rt->size ? BL_VERDICT_FAIL : BL_VERDICT_PASS;
        if (first < rt->size)
                snprintf(v->reason, sizeof(v->reason), "rank %d refused recovery: %.200s", first,
                         why);
        else
                snprintf(v->reason, sizeof(v->reason),
                         "%s mode: %llu recoveries read their log back, none refused",
                         bl_storage_mode_name(rt->cfg->storage.mode),
                         (unsigned long long)all_recoveries);
        /* No recovery read a log: "none refused" would prove nothing. */
        if (first == rt->size && all_recoveries == 0) {
                v->pass = BL_VERDICT_UNKNOWN;
                snprintf(v->reason, sizeof(v->reason),
                         "%s mode: no rank recovered from its log (%llu crashes, none "
                         "recovered before the end): nothing to check",
                         bl_storage_mode_name(rt->cfg->storage.mode), (unsigned long long)all[1]);
        }
}

static int judge(struct finish *f)
{
        int rc = verdict_digests(f);

        if (rc == 0 && f->rt->txn != NULL) {
                rc = bl_rt_txn_finish(f->rt, f->v, &f->nv, MAX_VERDICTS, &f->txn, f->duration_s);
                /* A transaction run's operations are its transactions. */
                f->ops = f->txn.committed;
                f->completed = f->txn.committed + f->txn.aborted;
                f->offered = f->completed + f->txn.unknown;
        }
        verdict_measured(f);
        verdict_storage(f);

        if (rc == 0 && f->rt->cfg->workload.type == BL_WL_COUNTER)
                rc = verdict_counter(f);
        if (rc == 0 && f->rt->txn == NULL &&
            (f->rt->cfg->experiment.history || f->rt->cfg->experiment.history_sample ||
             f->rt->cfg->experiment.history_hot))
                rc = verdict_lin(f);
        return rc;
}

/* ---- availability ----------------------------------------------------- */

/* The plan index a fault event refers to, or -1 for events that do not
 * start a fault. */
static int64_t fault_index(const struct bl_event *e)
{
        switch (e->type) {
        case BL_EV_CRASH:
        case BL_EV_PAUSE:
        case BL_EV_TRANSFER_ASK:
                return e->b;
        case BL_EV_PARTITION:
        case BL_EV_LINK_FAULT:
        case BL_EV_FAULT_SKIPPED:
                return e->a;
        default:
                return -1;
        }
}

/* Successful completions in interval i: of every shard (shard < 0), or of
 * one shard from the per-shard series. */
struct okseries {
        const struct bl_series *ser;
        const uint32_t *shard_ok; /* [intervals][shards] */
        size_t shards;
};

static double ok_at(const struct okseries *o, int shard, size_t i)
{
        if (shard < 0)
                return (double)bl_series_row(o->ser, i)->ok;
        return (double)o->shard_ok[i * o->shards + (size_t)shard];
}

/* Longest run of intervals in [i0, end) without a completion. */
static size_t longest_gap(const struct okseries *o, int shard, size_t i0, size_t end)
{
        size_t run = 0, best = 0;

        for (size_t i = i0; i < end; i++) {
                run = ok_at(o, shard, i) == 0 ? run + 1 : 0;
                if (run > best)
                        best = run;
        }
        return best;
}

/* Mean completions per interval over the second before i0 (k intervals). */
static double before(const struct okseries *o, int shard, size_t i0, size_t k)
{
        double pre = 0;

        for (size_t i = i0 > k ? i0 - k : 0; i < i0; i++)
                pre += ok_at(o, shard, i);
        return i0 > 0 ? pre / (double)(i0 > k ? k : i0) : 0;
}

/*
 * What one fault cost (rank 0), from the time series, which cover the whole
 * run:
 *  - unavailable: the longest run of intervals without a completed
 *    operation, from the fault's interval to the next fault (or the end of
 *    the measured phase);
 *  - shard_unavailable, shard: the same for the worst single shard among
 *    those that completed operations in the second before the fault (-1,
 *    0 when none did), so a one-shard outage shows;
 *  - recovery: from the fault until an interval reaches 90% of the mean
 *    throughput of the second before the fault, after the first interval
 *    below it; 0 when throughput never dipped, NaN when it never came back
 *    (not -1, which would poison averages).
 * Resolution: one time-series interval.
 */
static void availability(const struct okseries *o, double ival, size_t i0, size_t end,
                         struct bl_fault_row *r)
{
        size_t k = (size_t)(1.0 / ival + 0.5), dip = SIZE_MAX;
        size_t nts = bl_series_count(o->ser);
        double target;

        if (k == 0)
                k = 1;
        r->unavailable_s = (double)longest_gap(o, -1, i0, end) * ival;
        r->shard = -1;
        r->shard_unavailable_s = 0;
        for (size_t sh = 0; o->shard_ok != NULL && sh < o->shards; sh++) {
                if (before(o, (int)sh, i0, k) <= 0)
                        continue;
                double u = (double)longest_gap(o, (int)sh, i0, end) * ival;
                if (r->shard < 0 || u > r->shard_unavailable_s) {
                        r->shard = (int32_t)sh;
                        r->shard_unavailable_s = u;
                }
        }
        target = 0.9 * before(o, -1, i0, k);
        r->recovery_s = 0;
        for (size_t i = i0; i < end && i <= i0 + k && dip == SIZE_MAX; i++)
                if (ok_at(o, -1, i) < target)
                        dip = i;
        if (dip == SIZE_MAX)
                return;
        r->recovery_s = NAN;
        for (size_t i = dip + 1; i < nts; i++) {
                if (ok_at(o, -1, i) >= target) {
                        r->recovery_s = (double)(i - i0) * ival;
                        return;
                }
        }
}

static int fault_rows(struct finish *f, struct bl_fault_row **rows, size_t *nrows, char **texts)
{
        struct bl_rt *rt = f->rt;
        void *all = NULL;
        int total = 0, rc;

        *rows = NULL;
        *nrows = 0;
        *texts = NULL;
        if (rt->faults == NULL || rt->faults->n == 0)
                return 0;
        rc = gather_bytes(rt->comm, rt->rank, rt->size, rt->ev.ev,
                          (int)(sizeof(struct bl_event) * bl_evlog_count(&rt->ev)), &all, &total);
        if (rc != 0 || rt->rank != 0) {
                bl_free(all);
                return rc;
        }
        size_t nev = (size_t)total / sizeof(struct bl_event);
        struct bl_event *ev = all;
        double ival = rt->cfg->metrics.interval_ms / 1e3;
        size_t nts = bl_series_count(&rt->series);
        /* The measured phase: by time its length, by ops until the last
         * completion or the deadline (f->duration_s either way). */
        size_t measured_end = (size_t)((rt->cfg->experiment.warmup_s + f->duration_s) / ival + 0.5);
        struct okseries o = {&rt->series, rt->shard_ok, (size_t)rt->cfg->cluster.shards};
        *rows = bl_calloc(nev + 1, sizeof(**rows));
        *texts = bl_calloc(nev + 1, 160);
        if (*rows == NULL || *texts == NULL) {
                bl_free(all);
                return BL_ENOMEM;
        }
        /* Time order; events of one fault from several ranks are kept apart
         * by rank. */
        struct bl_evlog log = {.ev = ev, .count = nev, .cap = nev};
        rc = bl_evlog_sort(&log);
        ev = log.ev;
        for (size_t i = 0; rc == 0 && i < nev; i++) {
                int64_t idx = fault_index(&ev[i]);
                if (idx < 0 || (size_t)idx >= rt->faults->n)
                        continue;
                struct bl_fault_row *r = &(*rows)[*nrows];
                char *text = *texts + 160 * *nrows;
                size_t i0 = (size_t)((double)ev[i].t_ns / 1e9 / ival);
                size_t end = measured_end < nts ? measured_end : nts;
                for (size_t j = i + 1; j < nev; j++) {
                        if (fault_index(&ev[j]) >= 0) {
                                size_t e = (size_t)((double)ev[j].t_ns / 1e9 / ival);
                                if (e > i0 && e < end)
                                        end = e;
                                break;
                        }
                }
                bl_faults_describe(&rt->faults->f[idx], text, 160);
                r->t_s = (double)ev[i].t_ns / 1e9 - rt->cfg->experiment.warmup_s;
                r->rank = ev[i].type == BL_EV_CRASH || ev[i].type == BL_EV_PAUSE ||
                                  ev[i].type == BL_EV_TRANSFER_ASK
                              ? ev[i].rank
                              : -1;
                r->description = text;
                r->shard = -1;
                r->applied = ev[i].type != BL_EV_FAULT_SKIPPED;
                if (!r->applied) {
                        /* Scheduled after the end of the run: it cost nothing
                         * measurable. */
                        r->unavailable_s = NAN;
                        r->recovery_s = NAN;
                        r->shard_unavailable_s = NAN;
                } else if (i0 < end)
                        availability(&o, ival, i0, end, r);
                (*nrows)++;
        }
        bl_free(ev);
        return rc;
}

/* ---- summary ---------------------------------------------------------- */

static const char *overall(const struct finish *f)
{
        return bl_verdict_name(bl_verdict_overall(f->v, (size_t)f->nv));
}

/* Transaction runs: outcomes, abort reasons, commit latency (also in round
 * trips of the request paths) and the blocking window. */
static void print_txn(const struct finish *f)
{
        const struct bl_txn_summary *t = &f->txn;
        uint64_t done = t->committed + t->aborted;
        double rtt_us = f->path_rtt_ns / 1e3;

        printf("# transactions: %llu committed (%.0f txn/s), %llu aborted (%.1f%%: lock %llu, "
               "vote %llu, timeout %llu, failure %llu), %llu outcome unknown\n",
               (unsigned long long)t->committed, t->txn_per_s, (unsigned long long)t->aborted,
               done ? 100.0 * (double)t->aborted / (double)done : 0.0,
               (unsigned long long)t->aborted_by[BL_TXA_LOCK],
               (unsigned long long)t->aborted_by[BL_TXA_VOTE],
               (unsigned long long)t->aborted_by[BL_TXA_TIMEOUT],
               (unsigned long long)t->aborted_by[BL_TXA_FAILURE], (unsigned long long)t->unknown);
        /* No commit, no window: say so rather than print NaN figures. */
        if (t->committed == 0)
                printf("# commit latency: none (no transaction committed in the measured phase)\n");
        else
                printf("# commit latency: mean %.1f us, p50 %.1f us (%.2f RTT), p99 %.1f us, max "
                       "%.1f us\n",
                       t->commit_mean_us, t->commit_p50_us,
                       rtt_us > 0 ? t->commit_p50_us / rtt_us : NAN, t->commit_p99_us,
                       t->commit_max_us);
        if (t->block_n == 0)
                printf("# blocking window (participant prepared, no decision): none");
        else
                printf("# blocking window (participant prepared, no decision): %llu windows, mean "
                       "%.1f us, p99 %.1f us, max %.1f us",
                       (unsigned long long)t->block_n, t->block_mean_us, t->block_p99_us,
                       t->block_max_us);
        printf("; in doubt: at most %llu at once, %llu at the end (per participant)\n",
               (unsigned long long)t->in_doubt_max, (unsigned long long)t->in_doubt_end);
}

static void print_summary(const struct finish *f, const struct bl_baseline *base,
                          const struct bl_op_summary *rows, int nrows, const char *path)
{
        const struct bl_config *cfg = f->rt->cfg;
        double rtt_us = f->path_rtt_ns / 1e3;

        printf("# ballot %s: experiment %s, kernel %s, %d ranks, %d shards x %d replicas per "
               "shard, workload %s\n",
               bl_version(), cfg->experiment.name, cfg->experiment.kernel, f->rt->size,
               cfg->cluster.shards, cfg->cluster.replicas, bl_workload_name(cfg->workload.type));
        uint64_t err = rows[nrows - 1].errors, unf = rows[nrows - 1].unfinished;
        double win = f->window_s > 0 ? f->window_s : f->duration_s;

        printf("# measured %.2f s: %llu ops ok, %.0f ops/s; %llu errors, %llu unfinished\n",
               f->duration_s, (unsigned long long)f->ops,
               f->duration_s > 0 ? (double)f->ops / f->duration_s : 0.0, (unsigned long long)err,
               (unsigned long long)unf);
        printf("# offered %llu ops, %.0f ops/s; achieved %.0f ops/s\n",
               (unsigned long long)f->offered,
               f->duration_s > 0 ? (double)f->offered / f->duration_s : 0.0,
               win > 0 ? (double)f->achieved_ok / win : 0.0);
        if (unf > 0 && f->rt->txn == NULL)
                printf("# %llu operations unfinished at the end (%llu sent without an answer, %llu "
                       "never sent: no free session); the time they waited is in the latency "
                       "percentiles as a lower bound\n",
                       (unsigned long long)unf, (unsigned long long)(unf - f->unserved),
                       (unsigned long long)f->unserved);
        printf("# traffic per completion (measured window): %.2f frames, %.2f MPI messages, %.0f "
               "bytes\n",
               f->window_done ? (double)f->total_msgs / (double)f->window_done : 0.0,
               f->window_done ? (double)f->mpi_msgs / (double)f->window_done : 0.0,
               f->window_done ? (double)f->total_bytes / (double)f->window_done : 0.0);
        printf("# round trip of the request paths %.2f us (p50_rtt unit; paths %s); median over "
               "all pairs %.2f us\n",
               rtt_us, f->path_pairs ? f->path_pairs : "?", base->median_rtt_ns / 1e3);
        printf("# %-9s %10s %7s %10s %10s %9s %9s %9s %9s %9s %9s %8s\n", "op", "count", "errors",
               "unfinished", "ops/s", "mean_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us",
               "p50_rtt");
        for (int i = 0; i < nrows; i++) {
                const struct bl_op_summary *r = &rows[i];
                printf("  %-9s %10llu %7llu %10llu %10.0f %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f "
                       "%8.2f\n",
                       r->op, (unsigned long long)r->count, (unsigned long long)r->errors,
                       (unsigned long long)r->unfinished,
                       f->duration_s > 0 ? (double)r->count / f->duration_s : 0.0, r->mean_us,
                       r->p50_us, r->p90_us, r->p99_us, r->p999_us, r->max_us,
                       rtt_us > 0 ? r->p50_us / rtt_us : NAN);
        }
        if (f->rt->txn != NULL)
                print_txn(f);
        printf("# clients: %llu retries, %llu timeouts, %llu redirects; %llu malformed frames "
               "dropped\n",
               (unsigned long long)f->counts[0], (unsigned long long)f->counts[1],
               (unsigned long long)f->counts[2], (unsigned long long)f->counts[3]);
        if (cfg->storage.mode != BL_STORAGE_MEMORY) {
                uint64_t n = f->window_done; /* the measured window, as frames per op */

                printf("# storage: %s mode, %.3f fdatasync/op (mean %.0f us in this run), %.1f "
                       "disk bytes/op; baseline fdatasync p50 %.0f us, p99 %.0f us\n",
                       bl_storage_mode_name(cfg->storage.mode),
                       n ? (double)f->win_syncs / (double)n : NAN,
                       f->wal_syncs ? (double)f->wal_sync_ns / (double)f->wal_syncs / 1e3 : NAN,
                       n ? (double)f->win_disk_bytes / (double)n : NAN, base->fsync_p50_us,
                       base->fsync_p99_us);
        }
        for (int i = 0; i < f->nv; i++)
                printf("# verdict %-13s %-12s %s\n", f->v[i].name, bl_verdict_word(f->v[i].pass),
                       f->v[i].reason);
        printf("# verdict %-13s %s\n", "overall", overall(f));
        for (size_t i = 0; i < f->nfaults; i++) {
                const struct bl_fault_row *r = &f->faults[i];
                if (!r->applied) {
                        printf("# fault %7.3f s  not applied (after the end of the run)  %s\n",
                               r->t_s, r->description);
                        continue;
                }
                printf("# fault %7.3f s  rank %2d  unavailable %7.3f s (worst shard %d: %.3f s)  "
                       "recovery ",
                       r->t_s, r->rank, r->unavailable_s, r->shard, r->shard_unavailable_s);
                if (isnan(r->recovery_s))
                        printf("  never");
                else
                        printf("%7.3f s", r->recovery_s);
                printf("  %s\n", r->description);
        }
        if (path != NULL)
                printf("# result %s\n", path);
        fflush(stdout);
}

/* A summary row; h holds the successful operations and the unfinished ones
 * (their wait until the end, a lower bound). No latency at all: NaN. */
static void summarize(const struct bl_hist *h, uint64_t errors, uint64_t unfinished,
                      const char *name, struct bl_op_summary *r)
{
        if (h->total == 0) {
                *r = (struct bl_op_summary){
                    .op = name,
                    .errors = errors,
                    .mean_us = NAN,
                    .p50_us = NAN,
                    .p90_us = NAN,
                    .p99_us = NAN,
                    .p999_us = NAN,
                    .max_us = NAN,
                };
                return;
        }
        *r = (struct bl_op_summary){
            .op = name,
            .count = h->total - unfinished,
            .errors = errors,
            .unfinished = unfinished,
            .mean_us = bl_hist_mean(h) / 1e3,
            .p50_us = bl_hist_percentile(h, 50) / 1e3,
            .p90_us = bl_hist_percentile(h, 90) / 1e3,
            .p99_us = bl_hist_percentile(h, 99) / 1e3,
            .p999_us = bl_hist_percentile(h, 99.9) / 1e3,
            .max_us = h->total ? (double)h->max_ns / 1e3 : 0,
        };
}

/*
 * A transaction run's summary rows (rank 0): one per class of transaction
 * that occurred (count = committed, errors = aborted, unfinished = outcome
 * unknown; latencies of committed ones), then "all" is added by the caller
 * from *all. Returns the rows written.
 */
static int txn_rows(struct finish *f, struct bl_op_summary *rows, uint64_t *hcounts,
                    struct bl_hist *all, uint64_t *err, uint64_t *unf)
{
        struct bl_rt *rt = f->rt;
        struct bl_hist h;
        int n = 0;

        for (int c = 0; c < BL_TXN_CLASSES; c++) {
                uint64_t ab = 0, tot[2 + BL_TXA__COUNT], mine[2 + BL_TXA__COUNT];
                mine[0] = rt->txn->cls[c].committed;
                mine[1] = rt->txn->cls[c].unknown;
                for (int a = 0; a < BL_TXA__COUNT; a++)
                        mine[2 + a] = rt->txn->cls[c].aborted[a];
                MPI_Reduce(mine, tot, 2 + BL_TXA__COUNT, MPI_UINT64_T, MPI_SUM, 0, rt->comm);
                bl_hist_init(&h);
                MPI_Reduce(rt->txn->cls[c].lat.counts, h.counts, BL_HIST_SUM_WORDS, MPI_UINT64_T,
                           MPI_SUM, 0, rt->comm);
                MPI_Reduce(&rt->txn->cls[c].lat.min_ns, &h.min_ns, 1, MPI_UINT64_T, MPI_MIN, 0,
                           rt->comm);
                MPI_Reduce(&rt->txn->cls[c].lat.max_ns, &h.max_ns, 1, MPI_UINT64_T, MPI_MAX, 0,
                           rt->comm);
                MPI_Reduce(&rt->txn->cls[c].lat.sum_ns, &h.sum_ns, 1, MPI_DOUBLE, MPI_SUM, 0,
                           rt->comm);
                for (int a = 0; a < BL_TXA__COUNT; a++)
                        ab += tot[2 + a];
                if (rt->rank != 0 || tot[0] + tot[1] + ab == 0)
                        continue;
                summarize(&h, ab, 0, bl_txn_class_name(c), &rows[n]);
                rows[n].unfinished = tot[1];
                memcpy(&hcounts[(size_t)n * BL_HIST_BUCKETS], h.counts, sizeof(h.counts));
                bl_hist_merge(all, &h);
                *err += ab;
                *unf += tot[1];
                n++;
        }
        return n;
}

/* ---- result file ------------------------------------------------------ */

/* One resolved option, copied: the visitor's strings are its own. */
struct cfg_item {
        char section[BL_NAME_MAX];
        char key[BL_NAME_MAX];
        char value[BL_PATH_MAX];
};

static void visit_cfg(void *arg, const char *section, const char *key, const char *value)
{
        struct finish *f = arg;

        if (f->ncfg == f->capcfg) {
                f->failed_alloc = 1; /* more options than counted: cannot happen */
                return;
        }
        struct cfg_item *it = &f->cfgitems[f->ncfg];
        snprintf(it->section, sizeof(it->section), "%s", section);
        snprintf(it->key, sizeof(it->key), "%s", key);
        snprintf(it->value, sizeof(it->value), "%s", value);
        f->cfg[f->ncfg] = (struct bl_cfg_entry){it->section, it->key, it->value};
        f->ncfg++;
}

static void count_cfg(void *arg, const char *section, const char *key, const char *value)
{
        (void)section;
        (void)key;
        (void)value;
        ++*(size_t *)arg;
}

static int config_dump(struct finish *f)
{
        size_t n = 0;

        bl_config_visit(f->rt->cfg, count_cfg, &n);
        f->cfg = bl_calloc(n + 1, sizeof(*f->cfg));
        f->cfgitems = bl_calloc(n + 1, sizeof(*f->cfgitems));
        if (f->cfg == NULL || f->cfgitems == NULL)
                return BL_ENOMEM;
        f->capcfg = n;
        bl_config_visit(f->rt->cfg, visit_cfg, f);
        return f->failed_alloc ? BL_ENOMEM : 0;
}

/* Rank 0 picks the file name and creates the directory; every rank gets it. */
static int result_path(struct bl_rt *rt, const struct bl_run_opts *opts, char *path, size_t cap,
                       char *start_time, struct bl_errbuf *eb)
{
        int rc = 0;
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;

        gmtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
        strftime(start_time, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (rt->rank == 0) {
                if (opts->out_path != NULL) {
                        snprintf(path, cap, "%s", opts->out_path);
                } else {
                        const char *dir = rt->cfg->experiment.output_dir;
                        if (mkdir(dir, 0777) != 0 && errno != EEXIST)
                                rc = bl_errf(eb, BL_EIO, "cannot create output directory %s: %s",
                                             dir, strerror(errno));
                        snprintf(path, cap, "%s/%s-%s.h5", dir, rt->cfg->experiment.name, stamp);
                        for (int i = 2; rc == 0 && access(path, F_OK) == 0 && i < 1000; i++)
                                snprintf(path, cap, "%s/%s-%s-%d.h5", dir, rt->cfg->experiment.name,
                                         stamp, i);
                }
        }
        MPI_Bcast(&rc, 1, MPI_INT, 0, rt->comm);
        MPI_Bcast(path, (int)cap, MPI_CHAR, 0, rt->comm);
        MPI_Bcast(start_time, 32, MPI_CHAR, 0, rt->comm);
        if (rc != 0 && rt->rank != 0)
                bl_errf(eb, rc, "rank 0 could not create the output directory");
        return rc;
}

static int local_rows(struct finish *f)
{
        struct bl_rt *rt = f->rt;
        size_t nev = bl_evlog_count(&rt->ev);

        f->reps = bl_calloc((size_t)rt->nreps + 1, sizeof(*f->reps));
        f->events = bl_calloc(nev + 1, sizeof(*f->events));
        /* Only the full history goes into the file; a sampled one is only
         * checked. */
        size_t nhist = rt->cfg->experiment.history ? rt->hist.n : 0;

        f->hist = bl_calloc(nhist + 1, sizeof(*f->hist));
        if (!f->reps || !f->events || !f->hist)
                return BL_ENOMEM;
        for (int i = 0; i < rt->nreps; i++) {
                struct bl_kernel_stats st = {0};
                struct bl_replica *r = &rt->reps[i];
                if (rt->kern->stats != NULL && r->k != NULL)
                        rt->kern->stats(r->k, &st);
                f->reps[i] = (struct bl_replica_info){
                    .shard = r->shard,
                    .member = r->member,
                    .rank = rt->rank,
                    .applied = r->txs != NULL ? r->txs_index : bl_kv_applied(r->kv),
                    .digest = r->txs != NULL ? bl_txs_digest(r->txs) : bl_kv_digest(r->kv),
                    .term = st.term,
                    .commit = st.commit,
                    .mem_bytes = st.mem_bytes + (r->kv != NULL ? bl_kv_mem_bytes(r->kv) : 0),
                };
        }
        for (size_t i = 0; i < nev; i++) {
                const struct bl_event *e = bl_evlog_get(&rt->ev, i);
                f->events[i] =
                    (struct bl_event_rec){(int64_t)e->t_ns, e->rank, e->type, e->a, e->b};
        }
        for (size_t i = 0; i < nhist; i++) {
                const struct bl_hop *h = &rt->hist.ops[i];
                f->hist[i] = (struct bl_history_rec){
                    .client = h->client,
                    .op = h->op,
                    .outcome = h->outcome,
                    .key = h->key,
                    .arg = h->arg,
                    .ret = h->ret,
                    .ret_status = h->ret_status,
                    .invoke_ns = (int64_t)h->invoke_ns,
                    .return_ns = h->return_ns == UINT64_MAX ? -1 : (int64_t)h->return_ns,
                };
        }
        return 0;
}

static uint64_t rank_memory(const struct finish *f)
{
        uint64_t m = 0;

        for (int i = 0; i < f->rt->nreps; i++)
                m += f->reps[i].mem_bytes;
        return m;
}

int bl_rt_finish(struct bl_rt *rt, const struct bl_baseline *base, const struct bl_run_opts *opts,
                 struct bl_errbuf *eb)
{
        struct finish *f = bl_calloc(1, sizeof(*f));
        struct bl_op_summary rows[BL_OP__COUNT + 1];
        struct bl_verdict_row vrows[MAX_VERDICTS];
        uint64_t *hcounts = NULL, *lows = NULL, *highs = NULL, *ts_ops = NULL, *ts_err = NULL;
        double *ts_t = NULL, *ts_p99 = NULL;
        const char **names = NULL;
        char path[BL_PATH_MAX + BL_NAME_MAX + 64], start_time[32];
        int nrows = 0, rc = 0, err = 0;
        uint64_t mem = 0, mem_max = 0;

        if (f == NULL)
                return bl_errf(eb, BL_ENOMEM, "out of memory");
        f->rt = rt;
        merge_latency(f);
        merge_messages(f);
        err = merge_series(rt);
        err = err ? err : path_rtt(f, base);
        err = err ? err : judge(f);
        err = err ? err : fault_rows(f, &f->faults, &f->nfaults, &f->fault_texts);
        err = err ? err : config_dump(f);
        err = err ? err : local_rows(f);
        MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPI_INT, MPI_MIN, rt->comm);
        if (err != 0) {
                rc = bl_errf(eb, err, "finishing the run: %s", bl_strerror(err));
                goto out_free;
        }
        mem = rank_memory(f);
        MPI_Reduce(&mem, &mem_max, 1, MPI_UINT64_T, MPI_MAX, 0, rt->comm);

        /* Summary rows: one per op type that occurred, then "all". */
        struct bl_hist *all = bl_malloc(sizeof(*all));
        hcounts = bl_calloc((size_t)(BL_OP__COUNT + 1) * BL_HIST_BUCKETS, sizeof(uint64_t));
        lows = bl_malloc(sizeof(uint64_t) * BL_HIST_BUCKETS);
        highs = bl_malloc(sizeof(uint64_t) * BL_HIST_BUCKETS);
        size_t nts = bl_series_count(&rt->series);
        ts_t = bl_calloc(nts + 1, sizeof(double));
        ts_p99 = bl_calloc(nts + 1, sizeof(double));
        ts_ops = bl_calloc(nts + 1, sizeof(uint64_t));
        ts_err = bl_calloc(nts + 1, sizeof(uint64_t));
        names = bl_calloc((size_t)bl_net_nclasses(rt->net), sizeof(char *));
        err =
            !all || !hcounts || !lows || !highs || !ts_t || !ts_p99 || !ts_ops || !ts_err || !names;
        MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPI_INT, MPI_MAX, rt->comm);
        if (err) {
                bl_free(all);
                rc = bl_errf(eb, BL_ENOMEM, "finishing the run: out of memory");
                goto out_free;
        }
        bl_hist_init(all);
        /* "all" also holds the arrivals that never got a session (open
         * loop), with their wait until the end: an overloaded run shows its
         * latency, not nothing. */
        uint64_t all_err = f->lost, all_unfinished = f->unserved;
        if (rt->txn != NULL)
                nrows = txn_rows(f, rows, hcounts, all, &all_err, &all_unfinished);
        for (int op = 0; rt->txn == NULL && op < BL_OP__COUNT; op++) {
                if (f->lat[op].total == 0 && f->errors[op] == 0)
                        continue;
                summarize(&f->lat[op], f->errors[op], f->unfinished[op], bl_op_name(op),
                          &rows[nrows]);
                memcpy(&hcounts[(size_t)nrows * BL_HIST_BUCKETS], f->lat[op].counts,
                       sizeof(f->lat[op].counts));
                bl_hist_merge(all, &f->lat[op]);
                all_err += f->errors[op];
                all_unfinished += f->unfinished[op];
                nrows++;
        }
        bl_hist_merge(all, &f->unserved_lat);
        summarize(all, all_err, all_unfinished, "all", &rows[nrows]);
        /* A transaction of unknown outcome has no latency (the classes'
         * histograms hold committed ones only): "all" counts the commits,
         * as the class rows and "transactions: N committed" do. */
        if (rt->txn != NULL && all->total >= f->unserved)
                rows[nrows].count = all->total - f->unserved;
        memcpy(&hcounts[(size_t)nrows * BL_HIST_BUCKETS], all->counts, sizeof(all->counts));
        nrows++;
        for (int i = 0; i < BL_HIST_BUCKETS; i++) {
                lows[i] = bl_hist_bucket_low(i);
                highs[i] = bl_hist_bucket_high(i);
        }
        double ival = rt->cfg->metrics.interval_ms / 1e3;
        for (size_t i = 0; i < nts; i++) {
                const struct bl_series_row *r = bl_series_row(&rt->series, i);
                ts_t[i] = (double)(i + 1) * ival - rt->cfg->experiment.warmup_s;
                ts_ops[i] = r->ok;
                ts_err[i] = r->errors;
                ts_p99[i] = bl_series_p99(&rt->series, i) / 1e3;
        }
        for (int c = 0; c < bl_net_nclasses(rt->net); c++) {
                int k = c - BL_NET_FIXED_CLASSES, x = k - rt->kern->n_msg_types;
                names[c] = bl_net_fixed_class_name(c);
                if (names[c] == NULL && x < 0)
                        names[c] = rt->kern->msg_names[k];
                else if (names[c] == NULL && x < BL_NET_TXN_FIXED)
                        names[c] = bl_net_txn_class_name(x);
                else if (names[c] == NULL)
                        names[c] = bl_kernel_find(rt->cfg->experiment.commit)
                                       ->msg_names[x - BL_NET_TXN_FIXED];
        }
        for (int i = 0; i < f->nv; i++)
                vrows[i] = (struct bl_verdict_row){f->v[i].name, f->v[i].pass, f->v[i].reason};

        rc = result_path(rt, opts, path, sizeof(path), start_time, eb);
        if (rc != 0) {
                bl_free(all);
                goto out_free;
        }
        const struct bl_net_counters *ctr = bl_net_counters(rt->net);
        double rtt_us = f->path_rtt_ns / 1e3;
        double win = f->window_s > 0 ? f->window_s : f->duration_s;
        int in_memory = rt->cfg->storage.mode == BL_STORAGE_MEMORY;
        struct bl_run_result res =
            {
                .prov =
                    {
                        .name = rt->cfg->experiment.name,
                        .kernel = rt->cfg->experiment.kernel,
                        .repl_kernel = rt->cfg->experiment.repl,
                        .commit_kernel = rt->cfg->experiment.commit,
                        .workload = bl_workload_name(rt->cfg->workload.type),
                        .command_line = opts->command_line,
                        .seed = rt->cfg->experiment.seed,
                        .start_time = start_time,
                        .idle_policy = rt->idle_yield == 1   ? "yield"
                                       : rt->idle_yield == 2 ? "sleep"
                                                             : "busy",
                        .pinning_policy = bl_pinning_name(rt->cfg->cluster.pinning),
                        .hwloc_version = rt->hwloc_version,
                        .history = rt->cfg->experiment.history,
                        .n_config = f->ncfg,
                        .config = f->cfg,
                    },
                .local =
                    {
                        .hostname = rt->bind.host,
                        .binding = {.cpuset = rt->bind.cpuset,
                                    .numa_node = rt->bind.numa_node,
                                    .package = rt->bind.package,
                                    .cores = rt->bind.cores},
                        .n_msg_types = (size_t)bl_net_nclasses(rt->net),
                        .msg_type_names = names,
                        .sent_count = ctr->sent,
                        .sent_bytes = ctr->sent_bytes,
                        .recv_count = ctr->recv,
                        .recv_bytes = ctr->recv_bytes,
                        .rtt_ns = base->rtt_row,
                        .clock_offset_ns = rt->clock_offset_ns,
                        .clock_error_ns = rt->clock_err_ns,
                        .clock_offset_end_ns = rt->clock_synced ? rt->clock_fit.o_b : 0,
                        .clock_drift_ppm = rt->clock_synced ? rt->clock_fit.drift_ppm : 0,
                        .n_replicas = (size_t)rt->nreps,
                        .replicas = f->reps,
                        .n_digests = f->ndigests,
                        .digests = f->digests,
                        .n_events = bl_evlog_count(&rt->ev),
                        .events = f->events,
                        .n_history = rt->cfg->experiment.history ? rt->hist.n : 0,
                        .history = f->hist,
                        .txn_history = rt->txn != NULL && rt->rank == 0 &&
                                               rt->cfg->workload.type == BL_WL_LIST_APPEND
                                           ? &rt->txn->merged
                                           : NULL,
                        .n_blocks = rt->txn != NULL ? rt->txn->nblocks : 0,
                        .blocks = rt->txn != NULL ? rt->txn->blocks : NULL,
                    },
                .global =
                    {
                        .n_ops = (size_t)nrows,
                        .summary = rows,
                        .n_buckets = BL_HIST_BUCKETS,
                        .hist_counts = hcounts,
                        .bucket_low_ns = lows,
                        .bucket_high_ns = highs,
                        .ops = f->ops,
                        .errors = all_err,
                        .ops_per_s = f->duration_s > 0 ? (double)f->ops / f->duration_s : 0,
                        .duration_s = f->duration_s,
                        .warmup_ops = f->warmup_ops,
                        .offered = f->offered,
                        .unfinished = all_unfinished,
                        .unserved = f->unserved,
                        .offered_per_s =
                            f->duration_s > 0 ? (double)f->offered / f->duration_s : NAN,
                        .achieved_per_s = win > 0 ? (double)f->achieved_ok / win : NAN,
                        .mpi_msgs_per_op =
                            f->window_done ? (double)f->mpi_msgs / (double)f->window_done : NAN,
                        .deadline_hit = f->deadline_hit,
                        .median_rtt_ns = base->median_rtt_ns,
                        .rtt_p50_ns = base->median_rtt_ns,
                        .rtt_p90_ns = base->p90_rtt_ns,
                        .rtt_p99_ns = base->p99_rtt_ns,
                        .rtt_max_ns = base->max_rtt_ns,
                        .msg_rate_per_s = base->msg_rate,
                        .path_rtt_ns = f->path_rtt_ns,
                        .path_pairs = f->path_pairs,
                        .p50_rtt = rtt_us > 0 ? rows[nrows - 1].p50_us / rtt_us : NAN,
                        .msgs_per_op =
                            f->window_done ? (double)f->total_msgs / (double)f->window_done : NAN,
                        .bytes_per_op =
                            f->window_done ? (double)f->total_bytes / (double)f->window_done : NAN,
                        .fsync_p50_us = in_memory ? NAN : base->fsync_p50_us,
                        .fsync_p99_us = in_memory ? NAN : base->fsync_p99_us,
                        .write_mbps = in_memory ? NAN : base->write_mbps,
                        .storage_io = "thread",
                        .syncs_per_op =
                            f->window_done ? (double)f->win_syncs / (double)f->window_done : NAN,
                        .sync_mean_us =
                            f->wal_syncs ? (double)f->wal_sync_ns / (double)f->wal_syncs / 1e3
                                         : NAN,
                        .disk_bytes_per_op =
                            f->window_done ? (double)f->win_disk_bytes / (double)f->window_done
                                           : NAN,
                        .interval_s = ival,
                        .n_intervals = nts,
                        .ts_t_s = ts_t,
                        .ts_ops = ts_ops,
                        .ts_errors = ts_err,
                        .ts_p99_us = ts_p99,
                        .n_verdicts = (size_t)f->nv,
                        .verdicts = vrows,
                        .verdict = overall(f),
                        .lin_ops_checked = f->lin_ops_checked,
                        .lin_ops_total = f->lin_ops_total,
                        .n_faults = f->nfaults,
                        .faults = f->faults,
                        .mem_max_bytes = mem_max,
                        .retries = f->counts[0],
                        .timeouts = f->counts[1],
                        .redirects = f->counts[2],
                        .malformed = f->counts[3],
                        .txn = f->txn,
                    },
            };
        rc = bl_results_write(rt->comm, path, &res, eb);
        if (rt->rank == 0 && !opts->no_summary)
                print_summary(f, base, rows, nrows, rc == 0 ? path : NULL);
        bl_free(all);
        if (rc == 0 && bl_verdict_overall(f->v, (size_t)f->nv) == BL_VERDICT_FAIL)
                rc = bl_errf(eb, BL_ECHECK, "a correctness verdict failed");
        else if (rc == 0 && bl_verdict_overall(f->v, (size_t)f->nv) == BL_VERDICT_INCONCLUSIVE)
                rc = bl_errf(eb, BL_EINCONCLUSIVE, "a correctness check was inconclusive");
        /* Every rank must agree on the verdict exit status. */
        MPI_Bcast(&rc, 1, MPI_INT, 0, rt->comm);
out_free:
        bl_free(hcounts);
        bl_free(lows);
        bl_free(highs);
        bl_free(ts_t);
        bl_free(ts_p99);
        bl_free(ts_ops);
        bl_free(ts_err);
        bl_free(names);
        bl_free(f->reps);
        bl_free(f->digests);
        bl_free(f->events);
        bl_free(f->hist);
        bl_free(f->cfg);
        bl_free(f->cfgitems);
        bl_free(f->faults);
        bl_free(f->fault_texts);
        bl_free(f->path_pairs);
        bl_free(f);
        return rc;
}
