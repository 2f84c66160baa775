/*
 * Transaction client sessions (see run/txn.h). Closed loop: each session
 * has one transaction in flight and begins the next when it learns the
 * outcome (from the loop, never from inside the commit layer's callback).
 *
 * A session's transaction comes from its bl_txngen (load/txn.h); its ops map
 * to the commit layer's: READ -> READ, ADD -> ADD, APPEND -> APPEND, and
 * RMW -> READ then WRITE of the same key (the read is the op's result).
 *
 * 2pc/none: the coordinator is this rank, so the session begins the
 * transaction here. Replicated: the coordinator is the leader of the
 * transaction's first shard, so the session sends it there (BL_MSG_TXN),
 * follows redirects, and after clients.timeout_ms without an outcome sends
 * the same transaction (same id: a coordinator that still knows it ignores
 * the copy) to the next member of that shard.
 *
 * Transaction ids: (global session id + 1) << 32 | the session's count,
 * unique over the run (sessions keep counting across a crash of their rank).
 *
 * Every outcome feeds: per-class counters and committed latency (measured
 * window, by begin time), the time series (committed ok, aborted as errors),
 * the atomicity record (txn, outcome, shards written), the bank audit check,
 * and for list-append the transaction history.
 */
#include <string.h>

#include "check/txnverdict.h"
#include "common/alloc.h"
#include "common/wire.h"
#include "run/clock.h"
#include "run/txn.h"

#define BACKOFF_NS 1000000ull

struct bl_txn_sess {
        struct bl_txngen gen;
        uint64_t id;    /* transaction in flight */
        uint64_t count; /* transactions begun */
        uint64_t ts;    /* wait-die age of the one in flight */
        /* The session's age: the begin time of its first transaction since
         * its last commit. A transaction that aborts does not make the
         * session younger, so under wait-die a session that keeps losing
         * becomes the oldest and wins (as a restarted transaction keeps its
         * timestamp); with a fresh timestamp every time, each new attempt
         * was the youngest and died again (0-2 commits/s on 4 hot keys). */
        uint64_t age;
        uint8_t cls;
        int shard0;
        struct bl_tpc_op *ops;
        uint8_t *orig; /* per tpc op: the generator's op kind it came from */
        uint32_t nops, cap;
        uint32_t *wshards;
        uint32_t nw;
};

static enum bl_txn_workload txw_of(enum bl_workload_type t)
{
        return t == BL_WL_BANK     ? BL_TXW_BANK
               : t == BL_WL_YCSB_T ? BL_TXW_YCSB_T
                                   : BL_TXW_LIST_APPEND;
}

int bl_rt_txc_create(struct bl_rt *rt)
{
        struct bl_rt_txn *t = rt->txn;

        for (int c = 0; c < BL_TXN_CLASSES; c++)
                bl_hist_init(&t->cls[c].lat);
        bl_hist_init(&t->lat_all);
        bl_txn_history_init(&t->hist);
        if (!rt->is_client || rt->nsess == 0)
                return 0;
        t->sess = bl_calloc((size_t)rt->nsess, sizeof(*t->sess));
        if (t->sess == NULL)
                return bl_errf(&rt->eb, BL_ENOMEM, "out of memory for transaction sessions");
        for (int i = 0; i < rt->nsess; i++) {
                struct bl_txn_params p;
                struct bl_txn_sess *ts = &t->sess[i];
                struct bl_errbuf eb = {{0}};
                int rc;

                bl_txn_params_from_config(&p, txw_of(rt->cfg->workload.type), rt->cfg,
                                          rt->sess[i].id, rt->nsess_total);
                rc = bl_txngen_init(&ts->gen, &p, &eb);
                if (rc != 0)
                        return bl_errf(&rt->eb, rc, "transaction workload for session %u: %s",
                                       rt->sess[i].id, eb.msg);
        }
        return 0;
}

void bl_rt_txc_destroy(struct bl_rt *rt)
{
        struct bl_rt_txn *t = rt->txn;

        for (int i = 0; t->sess != NULL && i < rt->nsess; i++) {
                bl_txngen_free(&t->sess[i].gen);
                bl_free(t->sess[i].ops);
                bl_free(t->sess[i].orig);
                bl_free(t->sess[i].wshards);
        }
        bl_free(t->sess);
        t->sess = NULL;
        bl_free(t->outc);
        t->outc = NULL;
        bl_txn_history_free(&t->hist);
}

/* Fill ts->ops from the generator's next transaction; 0 or BL_ENOMEM. */
static int next_txn(struct bl_rt *rt, struct bl_txn_sess *ts)
{
        const struct bl_txn_req *req = bl_txngen_next(&ts->gen);
        int shards = rt->cfg->cluster.shards;
        uint32_t need = 2 * req->nops;

        if (need > ts->cap) {
                struct bl_tpc_op *o = bl_realloc(ts->ops, need * sizeof(*o));
                uint8_t *k = o != NULL ? bl_realloc(ts->orig, need) : NULL;
                uint32_t *w = k != NULL ? bl_realloc(ts->wshards, need * sizeof(*w)) : NULL;
                if (o != NULL)
                        ts->ops = o;
                if (k != NULL)
                        ts->orig = k;
                if (w == NULL)
                        return BL_ENOMEM;
                ts->wshards = w;
                ts->cap = need;
        }
        ts->cls = req->cls;
        ts->nops = ts->nw = 0;
        for (uint32_t i = 0; i < req->nops; i++) {
                const struct bl_txop *op = &req->ops[i];
                uint64_t arg = (uint64_t)op->arg;
                int write = op->kind != BL_TXOP_READ;

                switch (op->kind) {
                case BL_TXOP_READ:
                        ts->ops[ts->nops] = (struct bl_tpc_op){BL_TXS_READ, op->key, 0};
                        break;
                case BL_TXOP_ADD:
                        ts->ops[ts->nops] = (struct bl_tpc_op){BL_TXS_ADD, op->key, arg};
                        break;
                case BL_TXOP_RMW:
                        ts->orig[ts->nops] = op->kind;
                        ts->ops[ts->nops++] = (struct bl_tpc_op){BL_TXS_READ, op->key, 0};
                        ts->ops[ts->nops] = (struct bl_tpc_op){BL_TXS_WRITE, op->key, arg};
                        break;
                default:
                        ts->ops[ts->nops] = (struct bl_tpc_op){BL_TXS_APPEND, op->key, arg};
                        break;
                }
                ts->orig[ts->nops++] = op->kind;
                if (write) {
                        uint32_t s = (uint32_t)bl_shard_of(op->key, shards), j;
                        for (j = 0; j < ts->nw && ts->wshards[j] != s; j++)
                                ;
                        if (j == ts->nw)
                                ts->wshards[ts->nw++] = s;
                }
        }
        ts->shard0 = bl_shard_of(ts->ops[0].key, shards);
        return 0;
}

static void transmit(struct bl_rt *rt, struct bl_session *s, struct bl_txn_sess *ts, int dest,
                     uint64_t now)
{
        size_t n = 28 + 17 * (size_t)ts->nops;
        struct bl_wbuf w;
        int rc = bl_rt_buf(rt, n);

        s->sent_ns = now;
        s->resend_at = 0;
        if (rc != 0) {
                bl_rt_fail(rt, rc, "sending a transaction");
                return;
        }
        bl_wbuf_init(&w, rt->buf, rt->bufcap);
        bl_put_u32(&w, (uint32_t)rt->rank);
        bl_put_u32(&w, s->id);
        bl_put_u64(&w, ts->id);
        bl_put_u64(&w, ts->ts);
        bl_put_u32(&w, ts->nops);
        for (uint32_t i = 0; i < ts->nops; i++) {
                bl_put_u8(&w, ts->ops[i].kind);
                bl_put_u64(&w, ts->ops[i].key);
                bl_put_u64(&w, ts->ops[i].arg);
        }
        s->member = dest;
        bl_rt_txn_send(rt, dest, BL_MSG_TXN, 0, (uint32_t)ts->shard0, rt->buf, w.len);
}

static void issue(struct bl_rt *rt, int i, uint64_t now)
{
        struct bl_session *s = &rt->sess[i];
        struct bl_txn_sess *ts = &rt->txn->sess[i];
        int rc;

        if ((rc = next_txn(rt, ts)) != 0) {
                bl_rt_fail(rt, rc, "generating a transaction");
                return;
        }
        ts->id = (uint64_t)(s->id + 1) << 32 | ++ts->count;
        if (ts->age == 0)
                ts->age = (uint64_t)((int64_t)now + rt->clock_offset_ns);
        ts->ts = ts->age;
        s->busy = 1;
        s->invoke_ns = now;
        s->resend_at = 0;
        rt->issued++;
        if (now >= rt->t_measure)
                rt->issued_measured++;
        if (!rt->txn->replicated) {
                struct bl_tpc_txn x = {
                    .id = ts->id,
                    .ts = ts->ts,
                    .cookie = (uint64_t)rt->rank << 40 | s->id,
                    .nops = ts->nops,
                    .ops = ts->ops,
                };
                s->sent_ns = now;
                /* The outcome may come from inside (bl_rt_txc_done). */
                rc = bl_rt_txn_begin(rt, &x);
                if (rc != 0)
                        bl_rt_fail(rt, rc, "beginning a transaction at its coordinator");
                return;
        }
        transmit(rt, s, ts, bl_rt_txn_leader_of(rt, ts->shard0), now);
}

/* The next member of shard after rank (replicated mode's retry). */
static int next_member(const struct bl_rt *rt, int shard, int rank)
{
        int replicas = rt->cfg->cluster.replicas, m = 0;

        for (int i = 0; i < replicas; i++)
                if (rt->place[shard * replicas + i] == rank)
                        m = i;
        return rt->place[shard * replicas + (m + 1) % replicas];
}

void bl_rt_txc_step(struct bl_rt *rt, uint64_t now)
{
        struct bl_rt_txn *t = rt->txn;
        uint64_t timeout = (uint64_t)rt->cfg->clients.timeout_ms * 1000000ull;

        if (!rt->is_client || t->sess == NULL || rt->crashed)
                return;
        for (int i = 0; i < rt->nsess; i++) {
                struct bl_session *s = &rt->sess[i];
                struct bl_txn_sess *ts = &t->sess[i];

                if (!s->busy) {
                        if (bl_rt_may_issue(rt, now))
                                issue(rt, i, now);
                        continue;
                }
                if (!t->replicated)
                        continue; /* the local coordinator always answers */
                if (s->resend_at != 0 && now >= s->resend_at) {
                        rt->retries++;
                        transmit(rt, s, ts, bl_rt_txn_leader_of(rt, ts->shard0), now);
                } else if (s->resend_at == 0 && now >= s->sent_ns + timeout) {
                        int dest = next_member(rt, ts->shard0, s->member);
                        rt->timeouts++;
                        rt->retries++;
                        rt->leader_rank[ts->shard0] = dest;
                        transmit(rt, s, ts, dest, now);
                }
        }
}

/* Outcome record for the atomicity verdict: u64 txn, u8 outcome, u32 n, n x u32. */
static void record_outcome(struct bl_rt *rt, const struct bl_txn_sess *ts, int outcome)
{
        struct bl_rt_txn *t = rt->txn;
        size_t need = t->noutc + 13 + 4 * (size_t)ts->nw;
        struct bl_wbuf w;

        if (need > t->capoutc) {
                size_t cap = t->capoutc ? t->capoutc : 4096;
                while (cap < need)
                        cap *= 2;
                uint8_t *p = bl_realloc(t->outc, cap);
                if (p == NULL) {
                        bl_rt_fail(rt, BL_ENOMEM, "recording transaction outcomes");
                        return;
                }
                t->outc = p;
                t->capoutc = cap;
        }
        bl_wbuf_init(&w, t->outc + t->noutc, t->capoutc - t->noutc);
        bl_put_u64(&w, ts->id);
        bl_put_u8(&w, (uint8_t)outcome);
        bl_put_u32(&w, ts->nw);
        for (uint32_t i = 0; i < ts->nw; i++)
                bl_put_u32(&w, ts->wshards[i]);
        t->noutc += w.len;
        t->ntxn_out++;
}

/* list-append: the transaction into the history (times since t0, widened
 * by the clock error as the single-key history is). */
static void record_history(struct bl_rt *rt, const struct bl_session *s,
                           const struct bl_txn_sess *ts, int outcome,
                           const struct bl_tpc_result *res, uint64_t now)
{
        struct bl_rt_txn *t = rt->txn;
        uint64_t inv =
            s->invoke_ns > rt->t0 + rt->clock_err_ns ? s->invoke_ns - rt->t0 - rt->clock_err_ns : 0;
        uint64_t ret = outcome == BL_OUT_UNKNOWN ? UINT64_MAX : now - rt->t0 + rt->clock_err_ns;
        int rc = bl_txn_begin(&t->hist, ts->id, s->id, outcome, inv, ret);

        for (uint32_t i = 0; rc == 0 && i < ts->nops; i++) {
                const struct bl_tpc_op *op = &ts->ops[i];

                if (op->kind == BL_TXS_APPEND) {
                        rc = bl_txn_append(&t->hist, op->key, op->arg);
                        continue;
                }
                if (outcome != BL_OUT_OK || res == NULL || res->reads == NULL)
                        continue;
                /* The committed prefix read, then this transaction's own
                 * earlier appends to the key (store/txn.h). */
                uint32_t n = res->reads[i].list_len, own = 0;
                for (uint32_t j = 0; j < i; j++)
                        own += ts->ops[j].kind == BL_TXS_APPEND && ts->ops[j].key == op->key;
                uint64_t *l = bl_malloc(sizeof(uint64_t) * ((size_t)n + own + 1));
                if (l == NULL) {
                        rc = BL_ENOMEM;
                        break;
                }
                if (n > 0)
                        memcpy(l, res->reads[i].list, sizeof(uint64_t) * n);
                for (uint32_t j = 0; j < i; j++)
                        if (ts->ops[j].kind == BL_TXS_APPEND && ts->ops[j].key == op->key)
                                l[n++] = ts->ops[j].arg;
                rc = bl_txn_read(&t->hist, op->key, l, n);
                bl_free(l);
        }
        if (rc != 0)
                bl_rt_fail(rt, rc, "recording the transaction history");
}

/* Bank: a committed audit is judged at once (its reads are not kept). */
static void check_audit(struct bl_rt *rt, const struct bl_txn_sess *ts,
                        const struct bl_tpc_result *res)
{
        struct bl_rt_txn *t = rt->txn;
        const struct bl_config *cfg = rt->cfg;
        uint64_t *acc = bl_malloc(sizeof(uint64_t) * ts->nops);
        int64_t *bal = bl_malloc(sizeof(int64_t) * ts->nops);
        struct bl_verdict v;

        if (acc == NULL || bal == NULL) {
                bl_free(acc);
                bl_free(bal);
                bl_rt_fail(rt, BL_ENOMEM, "checking an audit");
                return;
        }
        for (uint32_t i = 0; i < ts->nops; i++) {
                acc[i] = ts->ops[i].key;
                bal[i] = (int64_t)res->reads[i].value;
        }
        struct bl_bank_audit a = {.txn = ts->id, .n = ts->nops, .account = acc, .balance = bal};
        memset(&v, 0, sizeof(v));
        if (bl_check_bank((int64_t)(cfg->bank.initial_balance * cfg->store.records),
                          cfg->store.records, &a, 1, NULL, &v) == 0) {
                t->audits_checked++;
                if (v.pass == BL_VERDICT_FAIL && t->audits_failed++ == 0)
                        snprintf(t->audit_reason, sizeof(t->audit_reason), "%.250s", v.reason);
        }
        bl_free(acc);
        bl_free(bal);
}

static int reason_of(int r)
{
        switch (r) {
        case BL_TPC_A_LOCK:
                return BL_TXA_LOCK;
        case BL_TPC_A_VOTE:
                return BL_TXA_VOTE;
        case BL_TPC_A_TIMEOUT:
                return BL_TXA_TIMEOUT;
        default:
                return BL_TXA_FAILURE;
        }
}

void bl_rt_txc_done(struct bl_rt *rt, const struct bl_tpc_result *res, int from_rank)
{
        struct bl_rt_txn *t = rt->txn;
        uint32_t sid = (uint32_t)(res->cookie & 0xffffffffffull);
        struct bl_session *s;
        struct bl_txn_sess *ts;
        uint64_t now = bl_now_ns(), lat;
        int ok = res->outcome == BL_TPC_COMMITTED;

        if (t->sess == NULL || sid < rt->sess_base || sid - rt->sess_base >= (uint32_t)rt->nsess)
                return;
        s = &rt->sess[sid - rt->sess_base];
        ts = &t->sess[sid - rt->sess_base];
        if (!s->busy || res->id != ts->id)
                return; /* a late outcome of a copy already answered */
        if (t->replicated && from_rank >= 0 && from_rank != rt->rank)
                rt->leader_rank[ts->shard0] = from_rank;
        lat = now - s->invoke_ns;
        if (bl_rt_in_window(rt, s->invoke_ns)) {
                struct bl_txn_cls *c = &t->cls[ts->cls < BL_TXN_CLASSES ? ts->cls : 0];
                if (ok) {
                        c->committed++;
                        bl_hist_record(&c->lat, lat);
                        bl_hist_record(&t->lat_all, lat);
                } else {
                        c->aborted[reason_of(res->reason)]++;
                }
                rt->measured_ops++;
                rt->t_last_op = now;
        } else if (s->invoke_ns < rt->t_measure) {
                rt->warmup_ops++;
        }
        if (rt->window_open) {
                rt->window_done++;
                rt->achieved_ok += ok;
        }
        size_t iv = bl_series_index(&rt->series, now - rt->t0);
        if (ok && bl_rt_shard_ok(rt, ts->shard0, iv) != 0)
                bl_rt_fail(rt, BL_ENOMEM, "recording the per-shard time series");
        if (bl_series_record(&rt->series, now - rt->t0, lat, ok) != 0)
                bl_rt_fail(rt, BL_ENOMEM, "recording the time series");
        if (!ok) {
                if (bl_rt_txn_ts_grow(rt, iv + 1) == 0)
                        t->ts_aborts[iv]++;
        }
        rt->status_ops++;
        if (!ok)
                rt->status_err++;
        bl_chist_record(&rt->status_lat, lat);
        record_outcome(rt, ts, ok ? BL_OUT_OK : BL_OUT_FAIL);
        if (ok)
                ts->age = 0; /* the next transaction starts young */
        if (ok && ts->cls == BL_TXC_AUDIT && res->reads != NULL && res->nops == ts->nops)
                check_audit(rt, ts, res);
        if (t->wl == BL_TXW_LIST_APPEND)
                record_history(rt, s, ts, ok ? BL_OUT_OK : BL_OUT_FAIL,
                               res->reads != NULL && res->nops == ts->nops ? res : NULL, now);
        s->busy = 0;
        s->resend_at = 0;
}

void bl_rt_txc_on_reply(struct bl_rt *rt, const struct bl_frame *f)
{
        struct bl_rt_txn *t = rt->txn;
        struct bl_rbuf rb;
        struct bl_tpc_result res = {0};
        struct bl_tpc_read *reads = NULL;
        uint64_t *vals = NULL;
        uint32_t session, nops;
        uint8_t status, reason;
        int32_t leader;

        bl_rbuf_init(&rb, f->data, f->len);
        session = bl_get_u32(&rb);
        res.id = bl_get_u64(&rb);
        status = bl_get_u8(&rb);
        reason = bl_get_u8(&rb);
        leader = (int32_t)bl_get_u32(&rb);
        nops = bl_get_u32(&rb);
        if (!rb.ok || status > 2 || nops > BL_TXS_MAX_OPS * 2 || t->sess == NULL ||
            session < rt->sess_base || session - rt->sess_base >= (uint32_t)rt->nsess) {
                rt->malformed++;
                return;
        }
        struct bl_session *s = &rt->sess[session - rt->sess_base];
        struct bl_txn_sess *ts = &t->sess[session - rt->sess_base];
        if (!s->busy || ts->id != res.id)
                return;
        if (status == 2) {
                rt->redirects++;
                if (leader >= 0 && leader < rt->size && leader != f->src) {
                        rt->leader_rank[ts->shard0] = leader;
                        transmit(rt, s, ts, leader, bl_now_ns());
                } else {
                        rt->leader_rank[ts->shard0] = next_member(rt, ts->shard0, f->src);
                        s->resend_at = bl_now_ns() + BACKOFF_NS;
                }
                return;
        }
        if (nops > 0) {
                size_t total = 0, left = f->len - rb.off;
                reads = bl_calloc(nops, sizeof(*reads));
                vals = bl_malloc(left + 8);
                if (reads == NULL || vals == NULL) {
                        bl_free(reads);
                        bl_free(vals);
                        bl_rt_fail(rt, BL_ENOMEM, "receiving a transaction outcome");
                        return;
                }
                for (uint32_t i = 0; i < nops; i++) {
                        reads[i].value = bl_get_u64(&rb);
                        reads[i].list_len = bl_get_u32(&rb);
                        if (!rb.ok || (size_t)reads[i].list_len * 8 > left ||
                            total + reads[i].list_len > left / 8)
                                break;
                        reads[i].list = vals + total;
                        for (uint32_t j = 0; j < reads[i].list_len; j++)
                                vals[total++] = bl_get_u64(&rb);
                }
        }
        if (!rb.ok || !bl_rbuf_done(&rb)) {
                rt->malformed++;
                bl_free(reads);
                bl_free(vals);
                return;
        }
        res.cookie = (uint64_t)rt->rank << 40 | session;
        res.outcome = status;
        res.reason = reason;
        res.nops = nops;
        res.reads = reads;
        bl_rt_txc_done(rt, &res, f->src);
        bl_free(reads);
        bl_free(vals);
}

/* End every open transaction: its outcome is unknown (at the end, or when
 * this rank's client crashes; its coordinator may still decide it). */
void bl_rt_txc_abandon(struct bl_rt *rt, uint64_t now, int crash)
{
        struct bl_rt_txn *t = rt->txn;

        for (int i = 0; t->sess != NULL && i < rt->nsess; i++) {
                struct bl_session *s = &rt->sess[i];
                struct bl_txn_sess *ts = &t->sess[i];

                if (!s->busy)
                        continue;
                (void)crash;
                if (bl_rt_in_window(rt, s->invoke_ns))
                        t->cls[ts->cls < BL_TXN_CLASSES ? ts->cls : 0].unknown++;
                record_outcome(rt, ts, BL_OUT_UNKNOWN);
                if (t->wl == BL_TXW_LIST_APPEND)
                        record_history(rt, s, ts, BL_OUT_UNKNOWN, NULL, now);
                s->busy = 0;
                s->resend_at = 0;
        }
}
