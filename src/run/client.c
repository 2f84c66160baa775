/*
 * Client sessions hosted by this rank. Each session has at most one request
 * in flight. Closed loop: `outstanding` sessions per client, each issuing its
 * next operation when the previous one completes. Open loop: Poisson
 * arrivals at the rank's share of the target rate; an arrival that finds no
 * free session waits in a backlog, and its latency counts from the intended
 * arrival time, so a stall is not hidden (coordinated omission).
 *
 * A request goes to the replica believed to lead its shard; a redirect with
 * a hint updates that belief, a redirect without one tries the next member
 * after a short back-off, and a timeout retransmits the same (client, seq)
 * to the next member: the store applies it at most once.
 */
#include <math.h>
#include <string.h>

#include "common/alloc.h"
#include "run/clock.h"
#include "run/proto.h"
#include "run/rt.h"

#define BACKOFF_NS    1000000ull /* retry after a hint-less redirect */
#define SCAN_EVERY_NS 1000000ull /* timeout scan granularity */

static void sample_init(struct bl_rt *rt);

int bl_rt_clients_create(struct bl_rt *rt)
{
        const struct bl_config *cfg = rt->cfg;
        int per_session = cfg->clients.rate > 0 ? 1 : cfg->clients.outstanding;
        int client_index;
        uint32_t nsess_rank = (uint32_t)(cfg->clients.per_rank * per_session);
        int rc;

        rt->nsess_total = nsess_rank * (uint32_t)rt->nclient_ranks;
        sample_init(rt);
        if (!rt->is_client)
                return 0;
        /* In open loop each client gets enough sessions to absorb bursts. */
        if (cfg->clients.rate > 0)
                nsess_rank = (uint32_t)cfg->clients.per_rank * 64u;
        client_index = rt->rank - (rt->size - rt->nclient_ranks);
        if (cfg->cluster.client_ranks == 0)
                client_index = rt->rank;
        rt->nsess = (int)nsess_rank;
        rt->sess_base = (uint32_t)client_index * nsess_rank;
        rt->nsess_total = nsess_rank * (uint32_t)rt->nclient_ranks;
        rt->sess = bl_calloc(nsess_rank, sizeof(*rt->sess));
        if (rt->sess == NULL)
                return bl_errf(&rt->eb, BL_ENOMEM, "out of memory creating %u client sessions",
                               nsess_rank);
        for (int i = 0; i < rt->nsess; i++) {
                struct bl_session *s = &rt->sess[i];
                s->id = rt->sess_base + (uint32_t)i;
                rc = bl_workload_init(&s->wl, cfg, s->id, rt->nsess_total);
                if (rc != 0)
                        return bl_errf(&rt->eb, rc, "workload for session %u: %s", s->id,
                                       bl_strerror(rc));
        }
        if (cfg->experiment.ops > 0) {
                uint64_t share = cfg->experiment.ops / (uint64_t)rt->nclient_ranks;
                uint64_t extra = cfg->experiment.ops % (uint64_t)rt->nclient_ranks;
                rt->ops_quota = share + ((uint64_t)client_index < extra ? 1 : 0);
        }
        if (cfg->clients.rate > 0) {
                rt->rate_per_ns = cfg->clients.rate / rt->nclient_ranks / 1e9;
                bl_rng_seed(&rt->arrivals, cfg->experiment.seed,
                            0xa77ull << 40 | (uint64_t)rt->rank);
                rt->backlog_cap = 1024;
                rt->backlog = bl_malloc(rt->backlog_cap * sizeof(uint64_t));
                if (rt->backlog == NULL)
                        return bl_errf(&rt->eb, BL_ENOMEM, "out of memory for the backlog");
        }
        return 0;
}

void bl_rt_clients_destroy(struct bl_rt *rt)
{
        bl_free(rt->sess);
        bl_free(rt->backlog);
        rt->sess = NULL;
        rt->backlog = NULL;
}

static int member_rank(const struct bl_rt *rt, int shard, int member)
{
        return rt->place[shard * rt->cfg->cluster.replicas + member];
}

static int member_of_rank(const struct bl_rt *rt, int shard, int rank)
{
        for (int m = 0; m < rt->cfg->cluster.replicas; m++)
                if (member_rank(rt, shard, m) == rank)
                        return m;
        return 0;
}

static void transmit(struct bl_rt *rt, struct bl_session *s, uint64_t now)
{
        int shard = bl_shard_of(s->cmd.key, rt->cfg->cluster.shards);
        size_t n = bl_cmd_size(&s->cmd);
        int rc = bl_rt_buf(rt, n);

        if (rc == 0)
                rc = bl_net_send(rt->net, member_rank(rt, shard, s->member), BL_MSG_REQUEST, 0,
                                 (uint32_t)shard, rt->buf,
                                 bl_cmd_encode(&s->cmd, rt->buf, rt->bufcap));
        if (rc != 0)
                bl_rt_fail(rt, rc, "sending a client request");
        s->sent_ns = now;
}

static int may_issue(const struct bl_rt *rt)
{
        if (rt->phase >= BL_PHASE_DRAIN || rt->crashed)
                return 0;
        return rt->ops_quota == 0 || rt->issued < rt->ops_quota;
}

static void issue(struct bl_rt *rt, struct bl_session *s, uint64_t invoke, uint64_t now)
{
        uint64_t seq = s->cmd.seq + 1;
        int shard;

        bl_workload_next(&s->wl, &s->cmd);
        s->cmd.origin = (uint32_t)rt->rank;
        s->cmd.client = s->id;
        s->cmd.seq = seq;
        shard = bl_shard_of(s->cmd.key, rt->cfg->cluster.shards);
        s->member = member_of_rank(rt, shard, rt->leader_rank[shard]);
        s->busy = 1;
        s->resend_at = 0;
        s->invoke_ns = invoke;
        rt->issued++;
        transmit(rt, s, now);
}

/*
 * Whether the finished operation on this key goes into the history: with
 * experiment.history all of them, else those on the sampled keys
 * (check/sample.h: the workload's hottest keys plus 1 in history_sample by
 * hash). Linearizability is a per-key property (P-compositional), so checking
 * a sample of keys is exact for those keys, at a fraction of the cost: every
 * run gets a real verdict. Counts every operation it is asked about, so the
 * verdict can say what fraction of the operations was checked.
 */
int bl_rt_records(struct bl_rt *rt, uint64_t key)
{
        rt->hist_seen++;
        return bl_key_sample_has(&rt->sample, key);
}

/* The sample above, the same on every rank (a function of the config). */
static void sample_init(struct bl_rt *rt)
{
        const struct bl_config *cfg = rt->cfg;
        uint64_t hot[BL_SAMPLE_HOT_MAX];
        size_t nhot = 0;

        if (!cfg->experiment.history && cfg->experiment.history_hot > 0)
                nhot = bl_workload_hot_keys(cfg, hot, (size_t)cfg->experiment.history_hot);
        bl_key_sample_init(&rt->sample, cfg->experiment.history,
                           (uint64_t)cfg->experiment.history_sample, cfg->experiment.seed, hot,
                           nhot);
}

static void record_history(struct bl_rt *rt, const struct bl_session *s, int outcome,
                           const struct bl_reply *rep, uint64_t now)
{
        struct bl_hop h = {
            .client = s->id,
            .op = s->cmd.op,
            .outcome = (uint8_t)outcome,
            .key = s->cmd.key,
            .arg = s->cmd.value,
            .ret = rep ? rep->value : 0,
            .ret_status = rep ? rep->status : 0,
            /* Widened by the clock error so intervals from other nodes
             * still contain the true instants. */
            .invoke_ns = s->invoke_ns > rt->t0 + rt->clock_err_ns
                             ? s->invoke_ns - rt->t0 - rt->clock_err_ns
                             : 0,
            .return_ns = outcome == BL_OUT_UNKNOWN ? UINT64_MAX : now - rt->t0 + rt->clock_err_ns,
        };
        if (bl_history_add(&rt->hist, &h) != 0)
                bl_rt_fail(rt, BL_ENOMEM, "recording the client history");
}

/* Free a session and hand it the next operation, if any is due. */
static void next_op(struct bl_rt *rt, struct bl_session *s, uint64_t now)
{
        s->busy = 0;
        if (!may_issue(rt))
                return;
        if (rt->rate_per_ns > 0) {
                if (rt->backlog_len > 0) {
                        uint64_t t = rt->backlog[rt->backlog_head];
                        rt->backlog_head = (rt->backlog_head + 1) % rt->backlog_cap;
                        rt->backlog_len--;
                        issue(rt, s, t, now);
                }
                return;
        }
        issue(rt, s, now, now);
}

static void complete(struct bl_rt *rt, struct bl_session *s, const struct bl_reply *rep,
                     uint64_t now)
{
        int ok = rep->status == BL_ST_OK || rep->status == BL_ST_NOTFOUND;
        uint64_t lat = now - s->invoke_ns;

        if (s->invoke_ns >= rt->t_measure && (rt->ops_quota > 0 || s->invoke_ns < rt->t_end)) {
                if (ok)
                        bl_hist_record(&rt->lat[s->cmd.op], lat);
                else
                        rt->errors[s->cmd.op]++;
                rt->measured_ops++;
                rt->t_last_op = now;
        } else {
                rt->warmup_ops++;
        }
        if (bl_series_record(&rt->series, now - rt->t0, lat, ok) != 0)
                bl_rt_fail(rt, BL_ENOMEM, "recording the time series");
        rt->status_ops++;
        if (!ok)
                rt->status_err++;
        bl_chist_record(&rt->status_lat, lat);
        /* An error answer does not prove the command was not applied, so
         * its outcome is unknown, never "failed". */
        if (s->cmd.op == BL_OP_INCR) {
                if (ok)
                        rt->acked_incr += s->cmd.value;
                else
                        rt->unknown_incr += s->cmd.value;
        }
        if (bl_rt_records(rt, s->cmd.key))
                record_history(rt, s, ok ? BL_OUT_OK : BL_OUT_UNKNOWN, rep, now);
        next_op(rt, s, now);
}

void bl_rt_on_reply(struct bl_rt *rt, const struct bl_frame *f)
{
        struct bl_reply rep;
        struct bl_session *s;
        uint64_t now;

        if (bl_reply_decode(&rep, f->data, f->len) != 0 || rep.client < rt->sess_base ||
            rep.client - rt->sess_base >= (uint32_t)rt->nsess) {
                rt->malformed++;
                return;
        }
        s = &rt->sess[rep.client - rt->sess_base];
        if (!s->busy || rep.seq != s->cmd.seq)
                return; /* a late answer to a retransmission already answered */
        now = bl_now_ns();
        if (rep.status == BL_ST_BUSY) {
                /* The leader is overloaded: ask it again after a back-off. */
                rt->retries++;
                s->resend_at = now + BACKOFF_NS;
                return;
        }
        if (rep.status == BL_ST_REDIRECT) {
                int shard = bl_shard_of(s->cmd.key, rt->cfg->cluster.shards);
                rt->redirects++;
                if (rep.leader >= 0 && rep.leader < rt->size && rep.leader != f->src) {
                        rt->leader_rank[shard] = rep.leader;
                        s->member = member_of_rank(rt, shard, rep.leader);
                        transmit(rt, s, now);
                } else {
                        /* Nobody knows a leader (an election is running):
                         * try the next member after a back-off. */
                        s->member = (s->member + 1) % rt->cfg->cluster.replicas;
                        s->resend_at = now + BACKOFF_NS;
                }
                return;
        }
        if (rep.leader >= 0 && rep.leader < rt->size)
                rt->leader_rank[bl_shard_of(s->cmd.key, rt->cfg->cluster.shards)] = rep.leader;
        complete(rt, s, &rep, now);
}

static void arrivals(struct bl_rt *rt, uint64_t now)
{
        while (may_issue(rt) && rt->next_arrival <= now) {
                uint64_t t = rt->next_arrival;
                double u = bl_rng_double(&rt->arrivals);
                rt->next_arrival += (uint64_t)(-log(1.0 - u) / rt->rate_per_ns) + 1;
                struct bl_session *free_s = NULL;
                for (int i = 0; i < rt->nsess && free_s == NULL; i++)
                        if (!rt->sess[i].busy)
                                free_s = &rt->sess[i];
                if (free_s != NULL) {
                        issue(rt, free_s, t, now);
                        continue;
                }
                if (rt->backlog_len == rt->backlog_cap) {
                        size_t cap = rt->backlog_cap * 2;
                        uint64_t *b = bl_malloc(cap * sizeof(*b));
                        if (b == NULL) {
                                bl_rt_fail(rt, BL_ENOMEM, "growing the open-loop backlog");
                                return;
                        }
                        for (size_t i = 0; i < rt->backlog_len; i++)
                                b[i] = rt->backlog[(rt->backlog_head + i) % rt->backlog_cap];
                        bl_free(rt->backlog);
                        rt->backlog = b;
                        rt->backlog_head = 0;
                        rt->backlog_cap = cap;
                }
                rt->backlog[(rt->backlog_head + rt->backlog_len) % rt->backlog_cap] = t;
                rt->backlog_len++;
        }
}

void bl_rt_clients_step(struct bl_rt *rt, uint64_t now)
{
        static const uint64_t ms = 1000000ull;
        uint64_t timeout = (uint64_t)rt->cfg->clients.timeout_ms * ms;

        if (!rt->is_client)
                return;
        if (rt->crashed) {
                rt->next_arrival = now; /* a dead client sends nothing */
                return;
        }
        if (rt->rate_per_ns > 0)
                arrivals(rt, now);
        else if (rt->phase < BL_PHASE_DRAIN && (rt->issued == 0 || rt->restart_clients)) {
                rt->restart_clients = 0;
                /* Closed loop: the first operation of every session; the
                 * following ones start on completion. */
                for (int i = 0; i < rt->nsess && may_issue(rt); i++)
                        if (!rt->sess[i].busy)
                                issue(rt, &rt->sess[i], now, now);
        }
        if (now < rt->next_scan)
                return;
        rt->next_scan = now + SCAN_EVERY_NS;
        for (int i = 0; i < rt->nsess; i++) {
                struct bl_session *s = &rt->sess[i];
                if (!s->busy)
                        continue;
                if (s->resend_at != 0) {
                        if (now >= s->resend_at) {
                                s->resend_at = 0;
                                rt->retries++;
                                transmit(rt, s, now);
                        }
                        continue;
                }
                if (now < s->sent_ns + timeout)
                        continue;
                /* No answer: the replica may be crashed or cut off. */
                rt->timeouts++;
                rt->retries++;
                s->member = (s->member + 1) % rt->cfg->cluster.replicas;
                transmit(rt, s, now);
        }
}

int bl_rt_clients_idle(const struct bl_rt *rt)
{
        for (int i = 0; i < rt->nsess; i++)
                if (rt->sess[i].busy)
                        return 0;
        return 1;
}

void bl_rt_clients_abandon(struct bl_rt *rt, uint64_t now)
{
        for (int i = 0; i < rt->nsess; i++) {
                struct bl_session *s = &rt->sess[i];
                if (!s->busy)
                        continue;
                if (s->cmd.op == BL_OP_INCR)
                        rt->unknown_incr += s->cmd.value;
                if (bl_rt_records(rt, s->cmd.key))
                        record_history(rt, s, BL_OUT_UNKNOWN, NULL, now);
                s->busy = 0;
        }
        rt->backlog_len = 0;
}
