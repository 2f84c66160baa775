/*
 * Settling and the verdicts of the simulator's transaction mode (sim.h,
 * Transactions): quiet, the settle barriers, atomicity against every
 * replica's commit log, the bank total, serializability of the list-append
 * history.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check/serial.h"
#include "check/txnverdict.h"
#include "common/alloc.h"
#include "sim/sim_txn_int.h"
#include "store/kv.h"

#define SER_TIME_LIMIT_S 60.0 /* the serializability check's budget */

uint64_t sim_txn_blocked_max(const struct bl_sim *s)
{
        size_t n = (size_t)s->o.shards * (size_t)s->o.replicas;
        uint64_t max = 0;

        for (size_t i = 0; i < n; i++) {
                struct bl_txs_stats st;

                if (s->crashed[s->inst[i].node] || s->inst[i].txs == NULL)
                        continue;
                bl_txs_stats(s->inst[i].txs, &st);
                if (st.blocked_max_ns > max)
                        max = st.blocked_max_ns;
        }
        return max;
}

int sim_txn_quiet(const struct bl_sim *s)
{
        if (s->pending > 0)
                return 0;
        for (int sh = 0; sh < s->o.shards; sh++) {
                uint64_t applied = UINT64_MAX;

                for (int m = 0; m < s->o.replicas; m++) {
                        const struct sim_inst *in =
                            &s->inst[(size_t)sh * (size_t)s->o.replicas + (size_t)m];
                        struct bl_txs_stats st;

                        if (s->crashed[in->node] || in->k == NULL)
                                continue;
                        bl_txs_stats(in->txs, &st);
                        if (st.in_doubt > 0 || st.waiting > 0 || st.read_held > 0)
                                return 0;
                        if (applied != UINT64_MAX && in->applied != applied)
                                return 0;
                        applied = in->applied;
                }
        }
        return 1;
}

void sim_txn_unquiet(const struct bl_sim *s, char *buf, size_t len)
{
        size_t at = 0;
        int n = snprintf(buf, len, "%" PRIu64 " transactions outstanding", s->pending);

        if (n < 0 || (size_t)n >= len)
                return;
        at = (size_t)n;
        for (int i = 0, shown = 0; i < s->o.clients && shown < 2; i++) {
                const struct sim_tclient *c = &s->txn->clients[i];

                if (!c->outstanding)
                        continue;
                shown++;
                n = snprintf(
                    buf + at, len - at,
                    " (client %u txn %" PRIx64 ", %u ops, first shard %d, sent to node %d)", c->id,
                    c->cur, c->nops, sim_txn_first_shard(s, c),
                    s->txn->replicated ? bl_sim_node_of(s, sim_txn_first_shard(s, c),
                                                        c->guess[sim_txn_first_shard(s, c)])
                                       : c->node);
                if (n < 0 || (size_t)n >= len - at)
                        return;
                at += (size_t)n;
        }
        for (int sh = 0; sh < s->o.shards; sh++) {
                for (int m = 0; m < s->o.replicas; m++) {
                        const struct sim_inst *in =
                            &s->inst[(size_t)sh * (size_t)s->o.replicas + (size_t)m];
                        struct bl_txs_stats st;
                        uint64_t ids[2] = {0, 0};

                        if (s->crashed[in->node] || in->k == NULL)
                                continue;
                        bl_txs_stats(in->txs, &st);
                        bl_txs_in_doubt(in->txs, ids, 2);
                        n = snprintf(buf + at, len - at,
                                     "; shard %d node %d: applied %" PRIu64 ", in doubt %" PRIu64
                                     " (first %" PRIx64 "), waiting %" PRIu64
                                     ", read-held %" PRIu64,
                                     sh, in->node, in->applied, st.in_doubt, ids[0], st.waiting,
                                     st.read_held);
                        if (n < 0 || (size_t)n >= len - at)
                                return;
                        at += (size_t)n;
                }
        }
}

/* 1 when every live replica applied barrier b. */
static int barrier_done(const struct bl_sim *s, uint64_t b)
{
        size_t n = (size_t)s->o.shards * (size_t)s->o.replicas;

        for (size_t i = 0; i < n; i++)
                if (!s->crashed[s->inst[i].node] && s->inst[i].k != NULL && s->inst[i].barrier < b)
                        return 0;
        return 1;
}

/* Propose barrier b through the leader of every shard that some live
 * replica has not applied it on. */
static void barrier_propose(struct bl_sim *s, uint64_t b)
{
        struct bl_txs_cmd c = {.type = BL_TXS_CMD_DECIDE, .txn = b, .commit = 0};
        uint8_t cmd[32];
        size_t len = bl_txs_cmd_encode(&c, cmd, sizeof(cmd));

        for (int sh = 0; sh < s->o.shards; sh++) {
                int node = bl_sim_leader(s, sh), done = 1;
                struct sim_inst *in;

                for (int m = 0; m < s->o.replicas; m++) {
                        const struct sim_inst *r =
                            &s->inst[(size_t)sh * (size_t)s->o.replicas + (size_t)m];

                        done &= s->crashed[r->node] || r->k == NULL || r->barrier >= b;
                }
                if (done || node < 0 || (in = sim_inst(s, node, sh)) == NULL || in->k == NULL)
                        continue;
                s->o.kernel->submit(in->k, cmd, len, 0, BARRIER_TAG | b);
        }
}

/*
 * Settling in transaction mode. Quiet (sim_txn_quiet) is not enough: a
 * replica that recovered may not have re-applied what its group chose
 * before (Paxos learns it again only once a leader runs phase 1 and
 * proposes again), so its store, commit log and in-doubt set can be stale
 * while everything looks still. So, once quiet, the simulator proposes a
 * barrier through every shard's leader (a DECIDE abort of a txn id no
 * client uses, kept from the commit layer) and waits until every live
 * replica applied it: the log order puts everything chosen before it in
 * place. Settled when the run is quiet with the latest barrier applied
 * everywhere; barriers are proposed again every 10 ms until applied.
 */
int sim_txn_settle(struct bl_sim *s, uint64_t end)
{
        struct sim_txn *t = s->txn;
        uint64_t last = 0;

        while (!s->violated) {
                if (sim_txn_quiet(s)) {
                        if (t->barrier > 0 && barrier_done(s, t->barrier) && sim_txn_quiet(s)) {
                                t->settled_events = s->st.events;
                                return 0;
                        }
                        if (t->barrier == 0 || barrier_done(s, t->barrier)) {
                                t->barrier++; /* a new one after what just happened */
                                last = 0;
                        }
                        if (last == 0 || s->now - last >= 10000000) {
                                barrier_propose(s, t->barrier);
                                last = s->now;
                        }
                }
                if (s->now >= end)
                        break;
                bl_sim_run_for(s, end - s->now < 1000000 ? end - s->now : 1000000);
        }
        return BL_ECHECK;
}

/* The outcome of every transaction (the outstanding ones unknown, their
 * written shards in *sh, which the caller frees). */
static int outcomes(const struct bl_sim *s, struct bl_txn_outcome **out, size_t *n, uint32_t **sh)
{
        const struct sim_txn *t = s->txn;
        struct bl_txn_outcome *o = bl_calloc(t->nrecs + (size_t)s->o.clients + 1, sizeof(*o));
        size_t k = 0, room = 1, at = 0;
        uint32_t *x;

        for (int i = 0; i < s->o.clients; i++)
                room += t->clients[i].outstanding ? t->clients[i].nops : 0;
        x = bl_calloc(room, sizeof(*x));
        if (o == NULL || x == NULL) {
                bl_free(o);
                bl_free(x);
                return BL_ENOMEM;
        }
        for (size_t i = 0; i < t->nrecs; i++)
                o[k++] = (struct bl_txn_outcome){.txn = t->recs[i].id,
                                                 .outcome = t->recs[i].outcome,
                                                 .nshards = t->recs[i].nshards,
                                                 .shards = t->shards + t->recs[i].off};
        for (int i = 0; i < s->o.clients; i++) {
                const struct sim_tclient *c = &t->clients[i];
                uint32_t ns;

                if (!c->outstanding)
                        continue;
                ns = sim_txn_written_shards(s, c, x + at);
                o[k++] = (struct bl_txn_outcome){
                    .txn = c->cur, .outcome = BL_OUT_UNKNOWN, .nshards = ns, .shards = x + at};
                at += ns;
        }
        *out = o;
        *n = k;
        *sh = x;
        return 0;
}

/* A live replica of shard: member m when it is up, else the first that is. */
static const struct sim_inst *live_member(const struct bl_sim *s, int shard, int m)
{
        const struct sim_inst *base = &s->inst[(size_t)shard * (size_t)s->o.replicas];

        if (!s->crashed[base[m].node])
                return &base[m];
        for (int i = 0; i < s->o.replicas; i++)
                if (!s->crashed[base[i].node])
                        return &base[i];
        return &base[m];
}

static int check_atomicity(struct bl_sim *s, struct bl_errbuf *eb)
{
        struct bl_txn_outcome *o = NULL;
        struct bl_shard_log *logs;
        uint64_t **doubt;
        uint32_t *osh = NULL;
        size_t no = 0;
        int rc = outcomes(s, &o, &no, &osh);

        if (rc != 0)
                return bl_errf(eb, rc, "sim check: out of memory");
        logs = bl_calloc((size_t)s->o.shards, sizeof(*logs));
        doubt = bl_calloc((size_t)s->o.shards, sizeof(*doubt));
        if (logs == NULL || doubt == NULL) {
                rc = bl_errf(eb, BL_ENOMEM, "sim check: out of memory");
                goto out;
        }
        for (int m = 0; m < s->o.replicas && rc == 0; m++) {
                struct bl_verdict v;

                for (int sh = 0; sh < s->o.shards; sh++) {
                        const struct sim_inst *in = live_member(s, sh, m);
                        size_t nd = bl_txs_in_doubt(in->txs, NULL, 0);

                        logs[sh].shard = (uint32_t)sh;
                        logs[sh].napplied = bl_txs_commit_log(in->txs, &logs[sh].applied);
                        bl_free(doubt[sh]);
                        doubt[sh] = nd > 0 ? bl_calloc(nd, sizeof(uint64_t)) : NULL;
                        if (nd > 0 && doubt[sh] == NULL) {
                                rc = bl_errf(eb, BL_ENOMEM, "sim check: out of memory");
                                goto out;
                        }
                        logs[sh].nin_doubt = bl_txs_in_doubt(in->txs, doubt[sh], nd);
                        logs[sh].in_doubt = doubt[sh];
                }
                memset(&v, 0, sizeof(v));
                rc = bl_check_atomicity(o, no, logs, (size_t)s->o.shards, &v);
                if (rc != 0) {
                        rc = bl_errf(eb, rc, "atomicity: check failed to run: %s", v.reason);
                        break;
                }
                if (v.pass == BL_VERDICT_FAIL || v.pass == BL_VERDICT_INCONCLUSIVE)
                        rc = bl_errf(eb, BL_ECHECK, "atomicity (member %d of every shard): %s", m,
                                     v.reason);
        }
out:
        if (doubt != NULL)
                for (int sh = 0; sh < s->o.shards; sh++)
                        bl_free(doubt[sh]);
        bl_free(doubt);
        bl_free(logs);
        bl_free(o);
        bl_free(osh);
        return rc;
}

static int check_bank(struct bl_sim *s, int final_state, struct bl_errbuf *eb)
{
        const struct sim_txn *t = s->txn;
        struct bl_bank_audit *a = NULL;
        int64_t *fin = NULL;
        struct bl_verdict v;
        int rc;

        if (t->naudits > 0) {
                a = bl_calloc(t->naudits, sizeof(*a));
                if (a == NULL)
                        return bl_errf(eb, BL_ENOMEM, "sim check: out of memory");
        }
        for (size_t i = 0; i < t->naudits; i++)
                a[i] = (struct bl_bank_audit){.txn = t->audits[i].txn,
                                              .n = t->audits[i].n,
                                              .account = t->acct + t->audits[i].off,
                                              .balance = t->bal + t->audits[i].off};
        if (final_state) {
                fin = bl_calloc(t->params.keys, sizeof(*fin));
                if (fin == NULL) {
                        bl_free(a);
                        return bl_errf(eb, BL_ENOMEM, "sim check: out of memory");
                }
                for (uint64_t k = 0; k < t->params.keys; k++) {
                        int sh = bl_shard_of(k, s->o.shards);
                        fin[k] = (int64_t)bl_txs_value(live_member(s, sh, 0)->txs, k);
                }
        }
        memset(&v, 0, sizeof(v));
        rc = bl_check_bank(t->params.initial_balance * (int64_t)t->params.keys, t->params.keys, a,
                           t->naudits, fin, &v);
        bl_free(a);
        bl_free(fin);
        if (rc != 0)
                return bl_errf(eb, rc, "bank: check failed to run: %s", v.reason);
        if (v.pass == BL_VERDICT_FAIL || v.pass == BL_VERDICT_INCONCLUSIVE)
                return bl_errf(eb, BL_ECHECK, "bank: %s", v.reason);
        return 0;
}

static int check_serial(struct bl_sim *s, struct bl_errbuf *eb)
{
        struct sim_txn *t = s->txn;
        struct bl_txn_history *h = &t->hist;
        size_t n = h->n, nm = h->nmops, nv = h->nvals;
        struct bl_ser_opts opts;
        struct bl_ser_result *r;
        int rc = 0;

        /* The outstanding transactions join as unknown for the check only. */
        for (int i = 0; i < s->o.clients && rc == 0; i++) {
                const struct sim_tclient *c = &t->clients[i];

                if (!c->outstanding)
                        continue;
                rc = bl_txn_begin(h, c->cur, c->id, BL_OUT_UNKNOWN, c->invoke_ns, UINT64_MAX);
                for (uint32_t j = 0; j < c->nops && rc == 0; j++)
                        if (c->ops[j].kind == BL_TXS_APPEND)
                                rc = bl_txn_append(h, c->ops[j].key, c->ops[j].arg);
        }
        r = bl_calloc(1, sizeof(*r));
        if (rc != 0 || r == NULL) {
                rc = bl_errf(eb, BL_ENOMEM, "sim check: out of memory");
                goto out;
        }
        bl_ser_opts_default(&opts);
        opts.time_limit_s = SER_TIME_LIMIT_S;
        opts.realtime = 1;
        rc = bl_ser_check(h, &opts, r);
        if (rc != 0) {
                rc = bl_errf(eb, BL_ECHECK, "serializability: check failed to run (%s): %.300s",
                             bl_strerror(rc), r->reason);
                goto out;
        }
        if (r->serializable != 1 || r->strict != 1)
                rc = bl_errf(eb, BL_ECHECK, "serializability%s: %.400s",
                             r->inconclusive        ? " (inconclusive)"
                             : r->serializable == 1 ? " (strict)"
                                                    : "",
                             r->reason);
out:
        bl_free(r);
        h->n = n;
        h->nmops = nm;
        h->nvals = nv;
        return rc;
}

int sim_txn_check(struct bl_sim *s, struct bl_errbuf *eb)
{
        int quiet = s->txn->settled_events == s->st.events && !s->clients_on;
        int rc = 0;

        if (s->txn->params.type == BL_TXW_LIST_APPEND)
                rc = check_serial(s, eb);
        if (rc == 0 && s->txn->params.type == BL_TXW_BANK)
                rc = check_bank(s, quiet, eb);
        if (rc == 0 && quiet)
                rc = check_atomicity(s, eb);
        return rc;
}
