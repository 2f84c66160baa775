/*
 * The end of a transaction run (collective; see run/txn.h):
 *  - merge the clients' per-class counters and commit latencies, the
 *    participants' blocking windows and the in-doubt series at rank 0;
 *  - atomicity: every client's outcomes (txn, outcome, shards written) and,
 *    per shard, the commit log and in-doubt list of its most advanced live
 *    replica (the digest verdict says whether replicas agree), judged by
 *    bl_check_atomicity;
 *  - bank: the audits each client judged as they committed, and the final
 *    balances of every account (same replicas), by bl_check_bank;
 *  - list-append: every rank's transactions gathered at rank 0 into one
 *    history, checked by bl_ser_check (serializable, strict-serializable);
 *    a check that ran out of time is inconclusive, never a pass.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check/txnverdict.h"
#include "common/alloc.h"
#include "common/wire.h"
#include "run/clock.h"
#include "run/finish.h"
#include "run/txn.h"

static void reduce_hist(MPI_Comm c, const struct bl_hist *in, struct bl_hist *out)
{
        bl_hist_init(out);
        MPI_Reduce(in->counts, out->counts, BL_HIST_SUM_WORDS, MPI_UINT64_T, MPI_SUM, 0, c);
        MPI_Reduce(&in->min_ns, &out->min_ns, 1, MPI_UINT64_T, MPI_MIN, 0, c);
        MPI_Reduce(&in->max_ns, &out->max_ns, 1, MPI_UINT64_T, MPI_MAX, 0, c);
        MPI_Reduce(&in->sum_ns, &out->sum_ns, 1, MPI_DOUBLE, MPI_SUM, 0, c);
}

static double us(double ns)
{
        return ns / 1e3;
}

static int leads(const struct bl_rt *rt, const struct bl_replica *r)
{
        return !r->crashed && r->k != NULL && rt->kern->leader(r->k) == r->member;
}

/* Growable byte buffer for the gathers. */
struct obuf {
        uint8_t *p;
        size_t len, cap;
        int err;
};

static void oput(struct obuf *o, const void *src, size_t n)
{
        if (o->err || n == 0)
                return;
        if (o->len + n > o->cap) {
                size_t cap = o->cap ? o->cap : 4096;
                while (cap < o->len + n)
                        cap *= 2;
                uint8_t *p = bl_realloc(o->p, cap);
                if (p == NULL) {
                        o->err = 1;
                        return;
                }
                o->p = p;
                o->cap = cap;
        }
        memcpy(o->p + o->len, src, n);
        o->len += n;
}

static void o64(struct obuf *o, uint64_t v)
{
        uint8_t b[8];
        struct bl_wbuf w;

        bl_wbuf_init(&w, b, 8);
        bl_put_u64(&w, v);
        oput(o, b, 8);
}

static int gather(struct bl_rt *rt, const struct obuf *o, void **all, int *total)
{
        int n = o->err || o->len > (size_t)INT_MAX ? -1 : (int)o->len;

        return bl_rt_gather_bytes(rt, o->p, n, all, total);
}

/* ---- counters and windows ---------------------------------------------- */

static void merge_counts(struct bl_rt *rt, struct bl_txn_summary *sum, double duration_s)
{
        struct bl_rt_txn *t = rt->txn;
        MPI_Comm c = rt->comm;
        struct bl_hist h, all;
        uint64_t mine[BL_TXN_CLASSES][2 + BL_TXA__COUNT], tot[BL_TXN_CLASSES][2 + BL_TXA__COUNT];

        for (int k = 0; k < BL_TXN_CLASSES; k++) {
                mine[k][0] = t->cls[k].committed;
                mine[k][1] = t->cls[k].unknown;
                for (int a = 0; a < BL_TXA__COUNT; a++)
                        mine[k][2 + a] = t->cls[k].aborted[a];
        }
        MPI_Reduce(mine, tot, (int)(sizeof(mine) / sizeof(uint64_t)), MPI_UINT64_T, MPI_SUM, 0, c);
        sum->n_classes = 0;
        for (int k = 0; k < BL_TXN_CLASSES; k++) {
                uint64_t aborted = 0;
                reduce_hist(c, &t->cls[k].lat, &h);
                if (rt->rank != 0)
                        continue;
                for (int a = 0; a < BL_TXA__COUNT; a++) {
                        aborted += tot[k][2 + a];
                        sum->aborted_by[a] += tot[k][2 + a];
                }
                sum->committed += tot[k][0];
                sum->unknown += tot[k][1];
                sum->aborted += aborted;
                if (tot[k][0] + tot[k][1] + aborted == 0)
                        continue;
                t->rows[sum->n_classes++] = (struct bl_txn_class_row){
                    .cls = bl_txn_class_name(k),
                    .committed = tot[k][0],
                    .aborted = aborted,
                    .unknown = tot[k][1],
                    .commit_p50_us = h.total ? us(bl_hist_percentile(&h, 50)) : NAN,
                    .commit_p99_us = h.total ? us(bl_hist_percentile(&h, 99)) : NAN,
                };
        }
        reduce_hist(c, &t->lat_all, &all);
        reduce_hist(c, &t->block, &h);
        if (rt->rank != 0)
                return;
        sum->classes = t->rows;
        sum->txn_per_s = duration_s > 0 ? (double)sum->committed / duration_s : NAN;
        sum->commit_mean_us = all.total ? us(bl_hist_mean(&all)) : NAN;
        sum->commit_p50_us = all.total ? us(bl_hist_percentile(&all, 50)) : NAN;
        sum->commit_p99_us = all.total ? us(bl_hist_percentile(&all, 99)) : NAN;
        sum->commit_max_us = all.total ? us((double)all.max_ns) : NAN;
        sum->block_n = h.total;
        sum->block_mean_us = h.total ? us(bl_hist_mean(&h)) : NAN;
        sum->block_p99_us = h.total ? us(bl_hist_percentile(&h, 99)) : NAN;
        sum->block_max_us = h.total ? us((double)h.max_ns) : NAN;
        sum->block_long_us = rt->cfg->txn.query_ms * 1e3;
}

/* Windows still open at the end (prepared, no decision) on leaders here:
 * rows with end_s NaN when longer than the threshold; returns how many
 * transactions are in doubt here. */
static uint64_t open_windows(struct bl_rt *rt, uint64_t now)
{
        struct bl_rt_txn *t = rt->txn;
        uint64_t n = 0, limit = (uint64_t)rt->cfg->txn.query_ms * 1000000ull;

        for (int i = 0; i < rt->nreps; i++) {
                struct bl_replica *r = &rt->reps[i];
                size_t k = r->txs != NULL && leads(rt, r) ? bl_txs_in_doubt(r->txs, NULL, 0) : 0;
                uint64_t *ids = k ? bl_malloc(k * sizeof(uint64_t)) : NULL;

                n += k;
                if (ids == NULL)
                        continue;
                bl_txs_in_doubt(r->txs, ids, k);
                for (size_t j = 0; j < k; j++) {
                        struct bl_txs_info info;
                        if (bl_txs_info(r->txs, ids[j], &info) != 0 || info.vote_ns == 0 ||
                            now - info.vote_ns <= limit)
                                continue;
                        if (t->nblocks == t->capblocks) {
                                size_t cap = t->capblocks ? 2 * t->capblocks : 16;
                                struct bl_block_rec *b = bl_realloc(t->blocks, cap * sizeof(*b));
                                if (b == NULL)
                                        break;
                                t->blocks = b;
                                t->capblocks = cap;
                        }
                        t->blocks[t->nblocks++] = (struct bl_block_rec){
                            .shard = r->shard,
                            .rank = rt->rank,
                            .txn = ids[j],
                            .start_s = ((double)info.vote_ns - (double)rt->t_measure) / 1e9,
                            .end_s = NAN,
                        };
                }
                bl_free(ids);
        }
        return n;
}

/* The series at rank 0: intervals of the run's series, summed over ranks. */
static int merge_series(struct bl_rt *rt, struct bl_txn_summary *sum, uint64_t in_doubt_here)
{
        struct bl_rt_txn *t = rt->txn;
        size_t n = bl_series_count(&rt->series);
        int err = 0;

        err = bl_rt_txn_ts_grow(rt, n + 1) != 0;
        MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPI_INT, MPI_MAX, rt->comm);
        if (err)
                return BL_ENOMEM;
        uint64_t *arrays[3] = {t->ts_in_doubt, t->ts_blocked, t->ts_aborts};
        for (int a = 0; a < 3; a++) {
                if (rt->rank == 0)
                        MPI_Reduce(MPI_IN_PLACE, arrays[a], (int)n, MPI_UINT64_T, MPI_SUM, 0,
                                   rt->comm);
                else
                        MPI_Reduce(arrays[a], NULL, (int)n, MPI_UINT64_T, MPI_SUM, 0, rt->comm);
        }
        MPI_Reduce(&in_doubt_here, &sum->in_doubt_end, 1, MPI_UINT64_T, MPI_SUM, 0, rt->comm);
        if (rt->rank != 0)
                return 0;
        sum->ts_in_doubt = t->ts_in_doubt;
        sum->ts_blocked = t->ts_blocked;
        sum->ts_aborts = t->ts_aborts;
        for (size_t i = 0; i < n; i++)
                if (t->ts_in_doubt[i] > sum->in_doubt_max)
                        sum->in_doubt_max = t->ts_in_doubt[i];
        return 0;
}

/* ---- atomicity and bank -------------------------------------------------- */

/* Per live replica: u32 shard, u64 applied, u64 n + ids (commit log), u64 n +
 * ids (in doubt), u64 n + values (bank: the shard's accounts, key order). */
static void shard_state(struct bl_rt *rt, struct obuf *o)
{
        const struct bl_config *cfg = rt->cfg;

        for (int i = 0; i < rt->nreps; i++) {
                struct bl_replica *r = &rt->reps[i];
                const uint64_t *ids;
                size_t n;
                uint8_t b[4];
                struct bl_wbuf w;

                if (r->crashed || r->txs == NULL)
                        continue;
                bl_wbuf_init(&w, b, 4);
                bl_put_u32(&w, (uint32_t)r->shard);
                oput(o, b, 4);
                o64(o, r->txs_index == UINT64_MAX ? 0 : r->txs_index);
                n = bl_txs_commit_log(r->txs, &ids);
                o64(o, n);
                for (size_t j = 0; j < n; j++)
                        o64(o, ids[j]);
                n = bl_txs_in_doubt(r->txs, NULL, 0);
                uint64_t *d = n ? bl_malloc(n * sizeof(uint64_t)) : NULL;
                if (n && d == NULL) {
                        o->err = 1;
                        return;
                }
                bl_txs_in_doubt(r->txs, d, n);
                o64(o, n);
                for (size_t j = 0; j < n; j++)
                        o64(o, d[j]);
                bl_free(d);
                if (cfg->workload.type != BL_WL_BANK) {
                        o64(o, 0);
                        continue;
                }
                n = 0;
                for (uint64_t k = 0; k < cfg->store.records; k++)
                        n += bl_shard_of(k, cfg->cluster.shards) == r->shard;
                o64(o, n);
                for (uint64_t k = 0; k < cfg->store.records; k++)
                        if (bl_shard_of(k, cfg->cluster.shards) == r->shard)
                                o64(o, bl_txs_value(r->txs, k));
        }
}

struct shard_pick {
        int have;
        uint64_t applied, ncommit, ndoubt, nvals;
        const uint8_t *commit, *doubt, *vals; /* little-endian u64 arrays in the gathered bytes */
};

static uint64_t rd64(const uint8_t *p)
{
        uint64_t v = 0;

        for (int i = 7; i >= 0; i--)
                v = v << 8 | p[i];
        return v;
}

/* Parse the gathered replica states; keep per shard the replica with the
 * longest commit log (then the most applied). Returns 0 or BL_EPROTO. */
static int pick_shards(const uint8_t *p, size_t len, struct shard_pick *pick, int shards)
{
        size_t off = 0;

        while (off < len) {
                struct shard_pick c = {.have = 1};
                uint32_t s;
                if (len - off < 20)
                        return BL_EPROTO;
                s = (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 | (uint32_t)p[off + 2] << 16 |
                    (uint32_t)p[off + 3] << 24;
                c.applied = rd64(p + off + 4);
                c.ncommit = rd64(p + off + 12);
                off += 20;
                if (s >= (uint32_t)shards || c.ncommit > (len - off) / 8)
                        return BL_EPROTO;
                c.commit = p + off;
                off += 8 * c.ncommit;
                if (len - off < 8)
                        return BL_EPROTO;
                c.ndoubt = rd64(p + off);
                off += 8;
                if (c.ndoubt > (len - off) / 8)
                        return BL_EPROTO;
                c.doubt = p + off;
                off += 8 * c.ndoubt;
                if (len - off < 8)
                        return BL_EPROTO;
                c.nvals = rd64(p + off);
                off += 8;
                if (c.nvals > (len - off) / 8)
                        return BL_EPROTO;
                c.vals = p + off;
                off += 8 * c.nvals;
                struct shard_pick *b = &pick[s];
                if (!b->have || c.ncommit > b->ncommit ||
                    (c.ncommit == b->ncommit && c.applied > b->applied))
                        *b = c;
        }
        return 0;
}

static uint64_t *u64s(const uint8_t *p, uint64_t n)
{
        uint64_t *a = bl_malloc(sizeof(uint64_t) * (n + 1));

        for (uint64_t i = 0; a != NULL && i < n; i++)
                a[i] = rd64(p + 8 * i);
        return a;
}

static void verdict_set(struct bl_verdict *v, const char *name, int pass, const char *reason)
{
        memset(v, 0, sizeof(*v));
        snprintf(v->name, sizeof(v->name), "%s", name);
        v->pass = pass;
        snprintf(v->reason, sizeof(v->reason), "%.380s", reason);
}

/* Rank 0: atomicity from the outcomes and the shard logs; bank from the
 * final balances and the clients' audit counts. */
static int judge_atomic_bank(struct bl_rt *rt, const uint8_t *outs, size_t outlen,
                             const struct shard_pick *pick, const uint64_t audit[2],
                             const char *audit_reason, struct bl_verdict *v, int *nv, int maxv)
{
        const struct bl_config *cfg = rt->cfg;
        int shards = cfg->cluster.shards, rc = 0;
        size_t n = 0, off = 0, nsh = 0;
        struct bl_txn_outcome *o = NULL;
        uint32_t *sh = NULL;
        struct bl_shard_log *logs = bl_calloc((size_t)shards + 1, sizeof(*logs));
        uint64_t **bufs = bl_calloc(2 * (size_t)shards + 1, sizeof(*bufs));
        size_t nlogs = 0;
        char why[384];

        /* Count, then parse the outcome records. */
        while (off + 13 <= outlen) {
                uint32_t k = (uint32_t)outs[off + 9] | (uint32_t)outs[off + 10] << 8 |
                             (uint32_t)outs[off + 11] << 16 | (uint32_t)outs[off + 12] << 24;
                off += 13 + 4 * (size_t)k;
                nsh += k;
                n++;
        }
        o = bl_calloc(n + 1, sizeof(*o));
        sh = bl_calloc(nsh + 1, sizeof(*sh));
        if (logs == NULL || bufs == NULL || o == NULL || sh == NULL) {
                rc = BL_ENOMEM;
                goto out;
        }
        off = 0;
        nsh = 0;
        for (size_t i = 0; i < n; i++) {
                o[i].txn = rd64(outs + off);
                o[i].outcome = outs[off + 8];
                o[i].nshards = (uint32_t)outs[off + 9] | (uint32_t)outs[off + 10] << 8 |
                               (uint32_t)outs[off + 11] << 16 | (uint32_t)outs[off + 12] << 24;
                o[i].shards = sh + nsh;
                off += 13;
                for (uint32_t k = 0; k < o[i].nshards; k++, off += 4)
                        sh[nsh++] = (uint32_t)outs[off] | (uint32_t)outs[off + 1] << 8 |
                                    (uint32_t)outs[off + 2] << 16 | (uint32_t)outs[off + 3] << 24;
        }
        for (int s = 0; s < shards; s++) {
                if (!pick[s].have)
                        continue;
                bufs[2 * s] = u64s(pick[s].commit, pick[s].ncommit);
                bufs[2 * s + 1] = u64s(pick[s].doubt, pick[s].ndoubt);
                if (bufs[2 * s] == NULL || bufs[2 * s + 1] == NULL) {
                        rc = BL_ENOMEM;
                        goto out;
                }
                logs[nlogs++] = (struct bl_shard_log){(uint32_t)s, bufs[2 * s], pick[s].ncommit,
                                                      bufs[2 * s + 1], pick[s].ndoubt};
        }
        if (*nv < maxv) {
                struct bl_verdict *a = &v[(*nv)++];
                rc = bl_check_atomicity(o, n, logs, nlogs, a);
                if (rc == 0 && nlogs < (size_t)shards && a->pass == BL_VERDICT_PASS) {
                        size_t l = strlen(a->reason);
                        snprintf(a->reason + l, sizeof(a->reason) - l,
                                 "; %zu of %d shards had no live replica at the end (not judged)",
                                 (size_t)shards - nlogs, shards);
                }
                rc = rc == BL_ENOMEM ? 0 : rc;
        }
        if (cfg->workload.type == BL_WL_BANK && *nv < maxv) {
                uint64_t accounts = cfg->store.records;
                int64_t *final = bl_calloc(accounts + 1, sizeof(int64_t));
                int whole = nlogs == (size_t)shards;
                struct bl_verdict *b = &v[(*nv)++];
                int64_t total = (int64_t)(cfg->bank.initial_balance * accounts);

                if (final == NULL) {
                        rc = BL_ENOMEM;
                        goto out;
                }
                for (int s = 0; whole && s < shards; s++) {
                        uint64_t j = 0;
                        for (uint64_t k = 0; k < accounts; k++)
                                if (bl_shard_of(k, shards) == s && j < pick[s].nvals)
                                        final[k] = (int64_t)rd64(pick[s].vals + 8 * j++);
                }
                bl_check_bank(total, accounts, NULL, 0, whole ? final : NULL, b);
                bl_free(final);
                if (audit[1] > 0) {
                        snprintf(why, sizeof(why), "%llu of %llu committed audits failed: %.300s",
                                 (unsigned long long)audit[1], (unsigned long long)audit[0],
                                 audit_reason);
                        verdict_set(b, "bank", BL_VERDICT_FAIL, why);
                } else if (b->pass != BL_VERDICT_FAIL) {
                        /* The final state was judged above (unless a shard
                         * had no live replica); the audits by their clients. */
                        if (b->pass == BL_VERDICT_UNKNOWN && audit[0] > 0 &&
                            cfg->bank.audit_accounts == 0)
                                b->pass = BL_VERDICT_PASS;
                        snprintf(why, sizeof(why),
                                 "%s; %llu committed audits saw every balance >= 0%s",
                                 whole ? "the final balances sum to the initial total, none "
                                         "negative"
                                       : "final state not judged (a shard had no live replica)",
                                 (unsigned long long)audit[0],
                                 cfg->bank.audit_accounts == 0 ? " and the initial total"
                                                               : " (partial audits)");
                        snprintf(b->reason, sizeof(b->reason),
                                 "%.300s (total %lld over %llu accounts)", why, (long long)total,
                                 (unsigned long long)accounts);
                }
        }
out:
        for (int s = 0; bufs != NULL && s < 2 * shards; s++)
                bl_free(bufs[s]);
        bl_free(bufs);
        bl_free(logs);
        bl_free(o);
        bl_free(sh);
        return rc;
}

/* ---- list-append history ------------------------------------------------- */

/* u64 id, u32 client, u8 outcome, u64 invoke, u64 complete, u32 nmops, then
 * per mop: u8 kind, u64 key, u64 value, u32 len, len x u64. */
static void history_bytes(const struct bl_txn_history *h, struct obuf *o)
{
        for (size_t i = 0; i < h->n; i++) {
                const struct bl_txn *t = &h->txns[i];
                uint8_t b[29];
                struct bl_wbuf w;

                bl_wbuf_init(&w, b, sizeof(b));
                bl_put_u64(&w, t->id);
                bl_put_u32(&w, t->client);
                bl_put_u8(&w, t->outcome);
                bl_put_u64(&w, t->invoke_ns);
                bl_put_u64(&w, t->complete_ns);
                oput(o, b, 29);
                uint8_t c[4];
                bl_wbuf_init(&w, c, 4);
                bl_put_u32(&w, t->nmops);
                oput(o, c, 4);
                for (uint32_t j = 0; j < t->nmops; j++) {
                        const struct bl_mop *m = &bl_txn_mops(h, i)[j];
                        uint8_t d[21];
                        bl_wbuf_init(&w, d, sizeof(d));
                        bl_put_u8(&w, m->kind);
                        bl_put_u64(&w, m->key);
                        bl_put_u64(&w, m->value);
                        bl_put_u32(&w, m->kind == BL_MOP_READ ? m->len : 0);
                        oput(o, d, 21);
                        for (uint32_t k = 0; m->kind == BL_MOP_READ && k < m->len; k++)
                                o64(o, bl_mop_list(h, m)[k]);
                }
        }
}

static int history_parse(const uint8_t *p, size_t len, struct bl_txn_history *h)
{
        struct bl_rbuf rb;
        uint64_t *l = NULL;
        size_t capl = 0;
        int rc = 0;

        bl_rbuf_init(&rb, p, len);
        while (rc == 0 && rb.ok && rb.off < len) {
                uint64_t id = bl_get_u64(&rb);
                uint32_t client = bl_get_u32(&rb);
                uint8_t outcome = bl_get_u8(&rb);
                uint64_t inv = bl_get_u64(&rb), comp = bl_get_u64(&rb);
                uint32_t nm = bl_get_u32(&rb);
                if (!rb.ok)
                        break;
                rc = bl_txn_begin(h, id, client, outcome, inv, comp);
                for (uint32_t j = 0; rc == 0 && rb.ok && j < nm; j++) {
                        uint8_t kind = bl_get_u8(&rb);
                        uint64_t key = bl_get_u64(&rb), value = bl_get_u64(&rb);
                        uint32_t n = bl_get_u32(&rb);
                        if (!rb.ok || n > (len - rb.off) / 8) {
                                rb.ok = 0;
                                break;
                        }
                        if (kind == BL_MOP_APPEND) {
                                rc = bl_txn_append(h, key, value);
                                continue;
                        }
                        if (n + 1 > capl) {
                                uint64_t *q = bl_realloc(l, sizeof(uint64_t) * (n + 1));
                                if (q == NULL) {
                                        rc = BL_ENOMEM;
                                        break;
                                }
                                l = q;
                                capl = n + 1;
                        }
                        for (uint32_t k = 0; k < n; k++)
                                l[k] = bl_get_u64(&rb);
                        rc = bl_txn_read(h, key, l, n);
                }
        }
        bl_free(l);
        if (rc == 0 && !rb.ok)
                rc = BL_EPROTO;
        return rc;
}

static int verdict_serial(struct bl_rt *rt, struct bl_verdict *v, int *nv, int maxv)
{
        struct bl_rt_txn *t = rt->txn;
        struct obuf o = {0};
        void *all = NULL;
        int total = 0, rc;

        history_bytes(&t->hist, &o);
        rc = gather(rt, &o, &all, &total);
        bl_free(o.p);
        if (rc == BL_ENOMEM) {
                if (rt->rank == 0 && *nv < maxv)
                        verdict_set(&v[(*nv)++], "serializable", BL_VERDICT_INCONCLUSIVE,
                                    "inconclusive: the transaction history could not be gathered "
                                    "at rank 0 (more than 2 GiB, or out of memory)");
                return 0;
        }
        if (rc != 0 || rt->rank != 0) {
                bl_free(all);
                return rc;
        }
        bl_txn_history_init(&t->merged);
        rc = history_parse(all, (size_t)total, &t->merged);
        bl_free(all);
        if (rc == BL_EPROTO)
                return rc;
        if (rc == BL_ENOMEM) {
                verdict_set(&v[(*nv)++], "serializable", BL_VERDICT_INCONCLUSIVE,
                            "inconclusive: out of memory merging the transaction history");
                return 0;
        }
        struct bl_ser_opts opts;
        struct bl_ser_result *res = bl_calloc(1, sizeof(*res));
        if (res == NULL)
                return BL_ENOMEM;
        bl_ser_opts_default(&opts);
        opts.time_limit_s = rt->cfg->experiment.check_time_limit_s;
        opts.realtime = 1;
        rc = bl_ser_check(&t->merged, &opts, res);
        if (rc == BL_ENOMEM)
                rc = 0; /* res says inconclusive */
        if (rc == 0 && *nv + 2 <= maxv) {
                bl_check_serial(res, 0, &v[(*nv)++]);
                bl_check_serial(res, 1, &v[(*nv)++]);
                if (t->merged.n == 0) {
                        v[*nv - 2].pass = v[*nv - 1].pass = BL_VERDICT_UNKNOWN;
                }
        } else if (rc == BL_EINVAL && *nv < maxv) {
                verdict_set(&v[(*nv)++], "serializable", BL_VERDICT_FAIL, res->reason);
                rc = 0;
        }
        bl_free(res);
        return rc;
}

/* ---- entry ----------------------------------------------------------------- */

int bl_rt_txn_finish(struct bl_rt *rt, struct bl_verdict *v, int *nv, int maxv,
                     struct bl_txn_summary *sum, double duration_s)
{
        struct bl_rt_txn *t = rt->txn;
        const struct bl_config *cfg = rt->cfg;
        struct obuf outs = {0}, st = {0};
        void *aouts = NULL, *ast = NULL;
        int tout = 0, tst = 0, rc;
        uint64_t audit[2] = {t->audits_checked, t->audits_failed}, audits[2] = {0, 0};
        char reason[256];
        int first = t->audits_failed ? rt->rank : rt->size, firstall = rt->size;

        memset(sum, 0, sizeof(*sum));
        sum->present = 1;
        merge_counts(rt, sum, duration_s);
        rc = merge_series(rt, sum, open_windows(rt, bl_now_ns()));
        if (rc != 0)
                return rc;
        /* Bank audits: counts, and the first failing rank's reason. */
        MPI_Reduce(audit, audits, 2, MPI_UINT64_T, MPI_SUM, 0, rt->comm);
        MPI_Allreduce(&first, &firstall, 1, MPI_INT, MPI_MIN, rt->comm);
        memcpy(reason, t->audit_reason, sizeof(reason));
        if (firstall < rt->size)
                MPI_Bcast(reason, (int)sizeof(reason), MPI_CHAR, firstall, rt->comm);
        /* Atomicity and bank inputs. */
        oput(&outs, t->outc, t->noutc);
        shard_state(rt, &st);
        rc = gather(rt, &outs, &aouts, &tout);
        if (rc == 0)
                rc = gather(rt, &st, &ast, &tst);
        bl_free(outs.p);
        bl_free(st.p);
        if (rc == 0 && rt->rank == 0) {
                struct shard_pick *pick = bl_calloc((size_t)cfg->cluster.shards, sizeof(*pick));
                if (pick == NULL)
                        rc = BL_ENOMEM;
                if (rc == 0)
                        rc = pick_shards(ast, (size_t)tst, pick, cfg->cluster.shards);
                if (rc == 0)
                        rc = judge_atomic_bank(rt, aouts, (size_t)tout, pick, audits, reason, v, nv,
                                               maxv);
                bl_free(pick);
        }
        bl_free(aouts);
        bl_free(ast);
        MPI_Bcast(&rc, 1, MPI_INT, 0, rt->comm);
        if (rc != 0)
                return rc;
        if (cfg->workload.type == BL_WL_LIST_APPEND)
                rc = verdict_serial(rt, v, nv, maxv);
        MPI_Bcast(&rc, 1, MPI_INT, 0, rt->comm);
        return rc;
}

void bl_rt_txn_finish_free(struct bl_rt *rt)
{
        if (rt->txn != NULL)
                bl_txn_history_free(&rt->txn->merged);
}
