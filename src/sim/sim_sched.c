/*
 * Random fault schedules, the liveness settle and the end-of-run safety
 * check.
 *
 * A schedule is a sequence of phases, each 1/20 to 1/4 of the fault window
 * long; at the start of a phase one action is drawn from the kinds allowed by
 * opts.fault_mask (crash a live node or recover a crashed one, partition or
 * heal, set or clear link faults) or nothing. Every draw comes from a stream
 * seeded by the schedule's seed, and the simulator itself is deterministic,
 * so the same seed replays the same run.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check/lin.h"
#include "common/alloc.h"
#include "sim/sim_int.h"
#include "store/kv.h"

#define LIN_TIME_LIMIT_S 60.0

struct desc {
        char *p;
        size_t cap, len;
        int full;
};

static void desc_add(struct desc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void desc_add(struct desc *d, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (d->p == NULL || d->cap == 0 || d->full)
                return;
        va_start(ap, fmt);
        n = vsnprintf(d->p + d->len, d->cap - d->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < d->cap - d->len) {
                d->len += (size_t)n;
                return;
        }
        /* Does not fit: end with "..." */
        d->full = 1;
        if (d->cap >= 4) {
                size_t at = d->len + 4 <= d->cap ? d->len : d->cap - 4;

                memcpy(d->p + at, "...", 4);
                d->len = at + 3;
        } else {
                d->p[0] = '\0';
        }
}

static void desc_time(struct desc *d, uint64_t t)
{
        desc_add(d, "%st=%" PRIu64 ".%03" PRIu64 "ms ", d->len ? "; " : "", t / 1000000,
                 (t / 1000) % 1000);
}

/* A node that may crash (opts.crash_nodes; 0: any). */
static int crashable(const struct bl_sim *s, int i)
{
        return s->o.crash_nodes == 0 || (i < 64 && (s->o.crash_nodes >> i) & 1);
}

static int pick_node(struct bl_rng *r, const struct bl_sim *s, int crashed)
{
        int n = 0, k;

        for (int i = 0; i < s->o.nodes; i++)
                n += (s->crashed[i] != 0) == crashed && crashable(s, i);
        if (n == 0)
                return -1;
        k = (int)bl_rng_below(r, (uint64_t)n);
        for (int i = 0; i < s->o.nodes; i++)
                if ((s->crashed[i] != 0) == crashed && crashable(s, i) && k-- == 0)
                        return i;
        return -1;
}

static void act_crash(struct bl_sim *s, struct bl_rng *r, struct desc *d)
{
        int up = pick_node(r, s, 0), down = pick_node(r, s, 1);

        if (down >= 0 && (up < 0 || bl_rng_below(r, 2) == 0)) {
                bl_sim_recover(s, down);
                desc_add(d, "recover %d", down);
        } else if (up >= 0) {
                bl_sim_crash(s, up);
                desc_add(d, "crash %d", up);
        }
}

static void act_partition(struct bl_sim *s, struct bl_rng *r, struct desc *d)
{
        int *side;
        int loner;

        if (s->partitioned && bl_rng_below(r, 2) == 0) {
                bl_sim_heal(s);
                desc_add(d, "heal");
                return;
        }
        if (s->o.nodes < 2) {
                desc_add(d, "nothing");
                return;
        }
        side = bl_malloc((size_t)s->o.nodes * sizeof(*side));
        if (side == NULL) {
                sim_violate(s, "simulator: out of memory drawing a partition");
                return;
        }
        /* Half the time isolate one node, else a random two-way split. */
        loner = bl_rng_below(r, 2) == 0 ? (int)bl_rng_below(r, (uint64_t)s->o.nodes) : -1;
        for (int i = 0; i < s->o.nodes; i++)
                side[i] = loner >= 0 ? i == loner : (int)bl_rng_below(r, 2);
        bl_sim_partition(s, side);
        desc_add(d, "partition ");
        for (int g = 0; g < 2; g++) {
                int first = 1;

                desc_add(d, "%s", g ? "|" : "");
                for (int i = 0; i < s->o.nodes; i++) {
                        if (side[i] != g)
                                continue;
                        desc_add(d, first ? "%d" : ",%d", i);
                        first = 0;
                }
        }
        bl_free(side);
}

static void act_link(struct bl_sim *s, struct bl_rng *r, struct desc *d)
{
        if ((s->drop > s->o.drop || s->dup > s->o.dup || s->n_delays > 0) &&
            bl_rng_below(r, 2) == 0) {
                bl_sim_set_link_faults(s, s->o.drop, s->o.dup);
                bl_sim_clear_delays(s);
                desc_add(d, "links clear");
                return;
        }
        if (bl_rng_below(r, 3) == 0) {
                /* Hold messages for up to 2 x 1..64 ms: they arrive after
                 * crashes, recoveries and elections that happen meanwhile. */
                uint64_t mean = (1 + bl_rng_below(r, 64)) * 1000000ULL;
                int from =
                    bl_rng_below(r, 2) == 0 ? -1 : (int)bl_rng_below(r, (uint64_t)s->o.nodes);

                bl_sim_set_delay(s, from, -1, mean, mean);
                if (from < 0)
                        desc_add(d, "delay %" PRIu64 "ms +- %" PRIu64 "ms", mean / 1000000,
                                 mean / 1000000);
                else
                        desc_add(d, "delay from %d %" PRIu64 "ms +- %" PRIu64 "ms", from,
                                 mean / 1000000, mean / 1000000);
                return;
        }
        bl_sim_set_link_faults(s, (double)bl_rng_below(r, 40) / 100,
                               (double)bl_rng_below(r, 25) / 100);
        desc_add(d, "links drop=%.2f dup=%.2f", s->drop, s->dup);
}

int bl_sim_random_schedule(struct bl_sim *s, uint64_t seed, uint64_t fault_ns, char *desc,
                           size_t desc_len)
{
        struct desc d = {.p = desc, .cap = desc_len};
        struct bl_rng r;
        uint64_t end = s->now + fault_ns;
        unsigned kinds[3];
        int nk = 0;

        if (desc != NULL && desc_len > 0)
                desc[0] = '\0';
        desc_add(&d, "%s links", s->fifo ? "fifo" : "reordering");
        bl_rng_seed(&r, seed, 0x5c4edULL);
        if (s->o.fault_mask & BL_SIM_F_CRASH)
                kinds[nk++] = BL_SIM_F_CRASH;
        if (s->o.fault_mask & BL_SIM_F_PARTITION)
                kinds[nk++] = BL_SIM_F_PARTITION;
        if (s->o.fault_mask & BL_SIM_F_LINK)
                kinds[nk++] = BL_SIM_F_LINK;
        while (!s->violated && s->now < end) {
                uint64_t len = fault_ns / 20 + bl_rng_below(&r, fault_ns / 5 + 1) + 1;
                uint64_t k = bl_rng_below(&r, (uint64_t)nk + 1); /* nk: nothing */

                if (len > end - s->now)
                        len = end - s->now;
                if (k < (uint64_t)nk) {
                        desc_time(&d, s->now);
                        if (kinds[k] == BL_SIM_F_CRASH)
                                act_crash(s, &r, &d);
                        else if (kinds[k] == BL_SIM_F_PARTITION)
                                act_partition(s, &r, &d);
                        else
                                act_link(s, &r, &d);
                }
                bl_sim_run_for(s, len);
        }
        desc_time(&d, s->now);
        desc_add(&d, "heal, recover all, links clear");
        bl_sim_heal(s);
        for (int i = 0; i < s->o.nodes; i++)
                bl_sim_recover(s, i);
        bl_sim_set_link_faults(s, s->o.drop, s->o.dup);
        bl_sim_clear_delays(s);
        return s->violated ? BL_ECHECK : 0;
}

int bl_sim_settle(struct bl_sim *s, uint64_t max_ns, struct bl_errbuf *eb)
{
        uint64_t end = s->now + max_ns;
        char list[256] = "";
        size_t len = 0;
        int shown = 0;

        bl_sim_clients(s, 0);
        if (s->txn != NULL) {
                /* Transactions: see sim_txn_settle. */
                int rc = sim_txn_settle(s, end);

                if (s->violated)
                        return bl_sim_violation(s, eb);
                if (rc == 0)
                        return 0;
                sim_txn_unquiet(s, list, sizeof(list));
                return bl_errf(eb, BL_ECHECK,
                               "liveness: not quiet after %" PRIu64 " ms of settling (t=%" PRIu64
                               " ms): %s",
                               max_ns / 1000000, s->now / 1000000, list);
        }
        while (!s->violated && s->pending > 0 && s->heap_n > 0 && s->heap[0].t <= end)
                bl_sim_step(s);
        if (s->violated)
                return bl_sim_violation(s, eb);
        if (s->pending == 0)
                return 0;
        for (int i = 0; i < s->o.clients && shown < 4; i++) {
                const struct sim_client *c = &s->clients[i];
                int n;

                if (!c->outstanding)
                        continue;
                n = snprintf(list + len, sizeof(list) - len,
                             "%sclient %u seq %" PRIu64 " %s key %" PRIu64 " (shard %d)",
                             shown ? ", " : "", c->id, c->seq, bl_op_name(c->cmd.op), c->cmd.key,
                             bl_shard_of(c->cmd.key, s->o.shards));
                if (n < 0 || (size_t)n >= sizeof(list) - len)
                        break;
                len += (size_t)n;
                shown++;
        }
        return bl_errf(eb, BL_ECHECK,
                       "liveness: %" PRIu64 " client ops still pending after %" PRIu64
                       " ms of settling (t=%" PRIu64 " ms): %s%s",
                       s->pending, max_ns / 1000000, s->now / 1000000, list,
                       s->pending > (uint64_t)shown ? ", ..." : "");
}

/* Every live replica's current (applied, digest) must match the shard's
 * canonical vector; catches a divergence even if no apply happened since. */
static int check_digests(struct bl_sim *s, struct bl_errbuf *eb)
{
        for (int sh = 0; sh < s->o.shards; sh++) {
                const struct sim_digests *d = &s->digests[sh];

                for (int m = 0; m < s->o.replicas; m++) {
                        const struct sim_inst *in =
                            &s->inst[(size_t)sh * (size_t)s->o.replicas + (size_t)m];
                        uint64_t n = sim_inst_applied(in), dig = sim_inst_digest(in);

                        if (n == 0 || n > d->len || d->dig[n - 1] == 0)
                                continue;
                        if (d->dig[n - 1] != dig)
                                return bl_errf(eb, BL_ECHECK,
                                               "state machine safety: shard %d: node %d has "
                                               "digest %016" PRIx64 " after %" PRIu64
                                               " mutations, node %d had %016" PRIx64,
                                               sh, in->node, dig, n, d->who[n - 1], d->dig[n - 1]);
                }
        }
        return 0;
}

int bl_sim_check(struct bl_sim *s, struct bl_errbuf *eb)
{
        const struct bl_history *h;
        struct bl_lin_result res;
        int rc;

        if (s->violated)
                return bl_sim_violation(s, eb);
        rc = check_digests(s, eb);
        if (rc != 0)
                return rc;
        if (s->txn != NULL)
                return sim_txn_check(s, eb);
        if (!s->o.record_history)
                return 0;
        h = bl_sim_history(s);
        if (h == NULL)
                return bl_errf(eb, BL_ENOMEM, "sim check: out of memory building the history");
        memset(&res, 0, sizeof(res));
        rc = bl_lin_check(h, s->o.records, LIN_TIME_LIMIT_S, &res);
        if (rc != 0)
                return bl_errf(eb, rc, "sim check: linearizability check failed to run: %s",
                               bl_strerror(rc));
        if (res.ok)
                return 0;
        if (res.timed_out)
                return bl_errf(eb, BL_ECHECK,
                               "linearizability: check did not finish (%" PRIu64
                               " keys unknown, %zu ops): %s",
                               res.keys_unknown, h->n, res.reason);
        return bl_errf(eb, BL_ECHECK, "linearizability: key %" PRIu64 ": %s", res.bad_key,
                       res.reason);
}

int bl_sim_run_seed(const struct bl_sim_opts *base, uint64_t seed, uint64_t fault_ns,
                    uint64_t settle_ns, char *desc, size_t desc_len, struct bl_sim_stats *st,
                    struct bl_errbuf *eb)
{
        struct bl_sim_opts o = *base;
        struct bl_sim *s;
        int rc;

        o.seed = seed;
        if (desc != NULL && desc_len > 0)
                desc[0] = '\0';
        if (st != NULL)
                memset(st, 0, sizeof(*st));
        s = bl_sim_create(&o, eb);
        if (s == NULL)
                return BL_EINVAL;
        bl_sim_clients(s, 1);
        rc = bl_sim_random_schedule(s, seed, fault_ns, desc, desc_len);
        if (rc != 0)
                bl_sim_violation(s, eb); /* the schedule stopped on a violation */
        else
                rc = bl_sim_check(s, eb);
        if (rc != 0) {
                bl_errwrap(eb, rc, "faults (t=%" PRIu64 " ns)", s->now);
                goto out;
        }
        rc = bl_sim_settle(s, settle_ns, eb);
        if (rc == 0)
                rc = bl_sim_check(s, eb);
        if (rc != 0)
                bl_errwrap(eb, rc, "settle (t=%" PRIu64 " ns)", s->now);
out:
        if (st != NULL)
                bl_sim_get_stats(s, st);
        bl_sim_destroy(s);
        return rc;
}
