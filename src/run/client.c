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
#include "run/txn.h"

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
                if (bl_workload_is_txn(cfg->workload.type))
                        continue; /* run/txn_client.c generates transactions */
                rc = bl_workload_init(&s->wl, cfg, s->id, rt->nsess_total);
                if (rc != 0)
                        return bl_errf(&rt->eb, rc, "workload for session %u: %s", s->id,
                                       bl_strerror(rc));
        }
        rt->free_sess = bl_malloc((nsess_rank + 1) * sizeof(int));
        if (rt->free_sess == NULL)
                return bl_errf(&rt->eb, BL_ENOMEM, "out of memory creating %u client sessions",
                               nsess_rank);
        /* Highest index at the bottom, so sessions are handed out 0, 1, ... */
        for (int i = 0; i < rt->nsess; i++)
                rt->free_sess[i] = rt->nsess - 1 - i;
        rt->nfree = rt->nsess;
        if (cfg->experiment.ops > 0) {
                uint64_t share = cfg->experiment.ops / (uint64_t)rt->nclient_ranks;
                uint64_t extra = cfg->experiment.ops % (uint64_t)rt->nclient_ranks;
                rt->ops_quota = share + ((uint64_t)client_index < extra ? 1 : 0);
        }
        if (cfg->clients.rate > 0) {
                rt->rate_per_ns = cfg->clients.rate / rt->nclient_ranks / 1e9;
                bl_rng_seed(&rt->arrivals, cfg->experiment.seed,
                            0xa77ull << 40 | (uint64_t)rt->rank);
        }
        return 0;
}

void bl_rt_clients_destroy(struct bl_rt *rt)
{
        bl_free(rt->sess);
        bl_free(rt->free_sess);
        bl_free(rt->shard_ok);
        rt->shard_ok = NULL;
        rt->shard_ok_n = 0;
        rt->sess = NULL;
        rt->free_sess = NULL;
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

int bl_rt_in_window(const struct bl_rt *rt, uint64_t invoke)
{
        return invoke >= rt->t_measure && invoke < rt->t_end;
}

int bl_rt_may_issue(const struct bl_rt *rt, uint64_t invoke)
{
        if (rt->phase >= BL_PHASE_DRAIN || rt->crashed || invoke >= rt->t_end)
                return 0;
        if (rt->cfg->experiment.ops == 0)
                return 1;
        return invoke < rt->t_measure || rt->issued_measured < rt->ops_quota;
}

/* Draw the next arrival after t (Poisson process: exponential gaps). */
static uint64_t next_arrival_after(struct bl_rt *rt, uint64_t t)
{
        double u = bl_rng_double(&rt->arrivals);

        return t + (uint64_t)(-log(1.0 - u) / rt->rate_per_ns) + 1;
}

static struct bl_session *take_free(struct bl_rt *rt)
{
        if (rt->nfree == 0)
                return NULL;
        return &rt->sess[rt->free_sess[--rt->nfree]];
}

static void put_free(struct bl_rt *rt, struct bl_session *s)
{
        s->busy = 0;
        rt->free_sess[rt->nfree++] = (int)(s - rt->sess);
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
        if (invoke >= rt->t_measure)
                rt->issued_measured++;
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
            /* This rank's clock since t0: corrected for drift and widened
             * by the clock error at the end (bl_rt_clock_correct). */
            .invoke_ns = s->invoke_ns > rt->t0 ? s->invoke_ns - rt->t0 : 0,
            .return_ns = outcome == BL_OUT_UNKNOWN ? UINT64_MAX : now - rt->t0,
        };
        if (bl_history_add(&rt->hist, &h) != 0)
                bl_rt_fail(rt, BL_ENOMEM, "recording the client history");
}

/* Hand the session the next operation if one is due, else free it. Open
 * loop: the oldest waiting arrival, if its time has come. */
static void next_op(struct bl_rt *rt, struct bl_session *s, uint64_t now)
{
        if (rt->rate_per_ns > 0) {
                uint64_t t = rt->next_arrival;
                if (t <= now && bl_rt_may_issue(rt, t)) {
                        rt->next_arrival = next_arrival_after(rt, t);
                        issue(rt, s, t, now);
                        return;
                }
        } else if (bl_rt_may_issue(rt, now)) {
                issue(rt, s, now, now);
                return;
        }
        put_free(rt, s);
}

int bl_rt_shard_grow(struct bl_rt *rt, size_t n)
{
        size_t shards = (size_t)rt->cfg->cluster.shards, cap = rt->shard_ok_n ? rt->shard_ok_n : 64;

        if (n <= rt->shard_ok_n)
                return 0;
        if (n > BL_SERIES_MAX_INTERVALS)
                return BL_ENOMEM;
        while (cap < n)
                cap *= 2;
        uint32_t *p = bl_realloc(rt->shard_ok, cap * shards * sizeof(*p));
        if (p == NULL)
                return BL_ENOMEM;
        memset(p + rt->shard_ok_n * shards, 0, (cap - rt->shard_ok_n) * shards * sizeof(*p));
        rt->shard_ok = p;
        rt->shard_ok_n = cap;
        return 0;
}

int bl_rt_shard_ok(struct bl_rt *rt, int shard, size_t interval)
{
        if (interval >= rt->shard_ok_n && bl_rt_shard_grow(rt, interval + 1) != 0)
                return BL_ENOMEM;
        rt->shard_ok[interval * (size_t)rt->cfg->cluster.shards + (size_t)shard]++;
        return 0;
}

static void complete(struct bl_rt *rt, struct bl_session *s, const struct bl_reply *rep,
                     uint64_t now)
{
        int ok = rep->status == BL_ST_OK || rep->status == BL_ST_NOTFOUND;
        uint64_t lat = now - s->invoke_ns;

        if (bl_rt_in_window(rt, s->invoke_ns)) {
                if (ok)
                        bl_hist_record(&rt->lat[s->cmd.op], lat);
                else
                        rt->errors[s->cmd.op]++;
                rt->measured_ops++;
                rt->t_last_op = now;
        } else if (s->invoke_ns < rt->t_measure) {
                rt->warmup_ops++;
        }
        if (rt->window_open) {
                rt->window_done++;
                rt->achieved_ok += ok;
        }
        if (ok && bl_rt_shard_ok(rt, bl_shard_of(s->cmd.key, rt->cfg->cluster.shards),
                                 bl_series_index(&rt->series, now - rt->t0)) != 0)
                bl_rt_fail(rt, BL_ENOMEM, "recording the per-shard time series");
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

/* Give every free session the oldest waiting arrival. O(1) per arrival;
 * bounded by the free sessions, so an overloaded rank still runs the rest
 * of its loop (the queue is implicit, see rt->next_arrival). */
static void arrivals(struct bl_rt *rt, uint64_t now)
{
        while (rt->nfree > 0 && rt->next_arrival <= now && bl_rt_may_issue(rt, rt->next_arrival)) {
                uint64_t t = rt->next_arrival;
                rt->next_arrival = next_arrival_after(rt, t);
                issue(rt, take_free(rt), t, now);
        }
}

void bl_rt_clients_step(struct bl_rt *rt, uint64_t now)
{
        static const uint64_t ms = 1000000ull;
        uint64_t timeout = (uint64_t)rt->cfg->clients.timeout_ms * ms;

        if (!rt->is_client || rt->txn != NULL)
                return; /* transactions: bl_rt_txn_step */
        if (rt->crashed) {
                if (rt->rate_per_ns > 0)
                        rt->next_arrival = now; /* a dead client offers nothing */
                return;
        }
        if (rt->rate_per_ns > 0)
                arrivals(rt, now);
        else if (rt->phase < BL_PHASE_DRAIN && (rt->issued == 0 || rt->restart_clients)) {
                rt->restart_clients = 0;
                /* Closed loop: the first operation of every session; the
                 * following ones start on completion. */
                while (rt->nfree > 0 && bl_rt_may_issue(rt, now))
                        issue(rt, take_free(rt), now, now);
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
        if (rt->txn != NULL) {
                for (int i = 0; i < rt->nsess; i++)
                        if (rt->sess[i].busy)
                                return 0;
                return 1;
        }
        return rt->nfree == rt->nsess;
}

/* A Poisson(mean) count: exact (by exponential gaps) for small means, the
 * normal approximation (Box-Muller) for large ones, where its relative
 * error is far below the run-to-run noise. */
static uint64_t poisson(struct bl_rng *rng, double mean)
{
        if (mean < 64) {
                uint64_t n = 0;
                double t = -log(1.0 - bl_rng_double(rng));
                while (t < mean) {
                        n++;
                        t += -log(1.0 - bl_rng_double(rng));
                }
                return n;
        }
        double u1 = 1.0 - bl_rng_double(rng), u2 = bl_rng_double(rng);
        double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        double n = floor(mean + sqrt(mean) * z + 0.5);
        return n > 0 ? (uint64_t)n : 0;
}

/*
 * Open loop: the arrivals of the measured window that were due before it
 * ended (rt->t_stop, or now when this rank's client crashes) but never got
 * a session. At the end they are unserved, and the time each waited until
 * `now` (a lower bound of its latency) goes into lat_unserved, so an
 * overloaded run shows its latency instead of nothing; at a crash they are
 * lost (failed). In ops mode only the quota's remainder was intended.
 *
 * The arrivals are not drawn one by one (at 10^9/s that would take longer
 * than the run): the process is Poisson, so the count in each slice of the
 * span is a Poisson draw. Slices are at most 1/128 of the wait of their
 * arrivals (and at least 1 us), so the recorded wait is within 0.4% (the
 * histogram's own resolution is 0.8%); a few thousand slices per run.
 */
static void count_unserved(struct bl_rt *rt, uint64_t now, int crash)
{
        uint64_t stop = crash ? now : rt->t_stop, a = rt->next_arrival;
        uint64_t room = UINT64_MAX;

        if (rt->rate_per_ns <= 0)
                return;
        if (stop > now)
                stop = now;
        if (stop > rt->t_end)
                stop = rt->t_end;
        if (a >= stop)
                return;
        if (rt->cfg->experiment.ops > 0) {
                uint64_t used = rt->issued_measured + rt->unserved + rt->lost;
                room = rt->ops_quota > used ? rt->ops_quota - used : 0;
        }
        /* The waiting arrival at next_arrival itself, if in the window;
         * the process after it (or after t_measure) is Poisson again. */
        uint64_t first = bl_rt_in_window(rt, a) && a < stop && room > 0 ? 1 : 0;
        if (a < rt->t_measure)
                a = rt->t_measure;
        if (first) {
                room--;
                if (crash)
                        rt->lost++;
                else {
                        rt->unserved++;
                        bl_hist_record(&rt->lat_unserved, now - a);
                }
        }
        while (a < stop && room > 0) {
                uint64_t len = (now - a) / 128;
                if (len < 1000)
                        len = 1000;
                uint64_t b = a + len < stop ? a + len : stop;
                uint64_t n = poisson(&rt->arrivals, rt->rate_per_ns * (double)(b - a));
                if (n > room)
                        n = room;
                room -= n;
                if (crash) {
                        rt->lost += n;
                } else {
                        rt->unserved += n;
                        bl_hist_record_n(&rt->lat_unserved, now - (a + (b - a) / 2), n);
                }
                a = b;
        }
        /* The next arrival after the counted span, by memorylessness. */
        rt->next_arrival =
            next_arrival_after(rt, stop > rt->next_arrival ? stop : rt->next_arrival);
}

/*
 * End every operation still open: at the end of the run (crash = 0) a
 * request in flight is unfinished and its wait so far goes into the
 * histogram as a lower bound; when this rank's client crashes (crash = 1)
 * it failed (an error). Either way its outcome is unknown to the history
 * and the counter check.
 */
void bl_rt_clients_abandon(struct bl_rt *rt, uint64_t now, int crash)
{
        if (rt->txn != NULL) {
                bl_rt_txc_abandon(rt, now, crash);
                return;
        }
        for (int i = 0; i < rt->nsess; i++) {
                struct bl_session *s = &rt->sess[i];
                if (!s->busy)
                        continue;
                if (s->cmd.op == BL_OP_INCR)
                        rt->unknown_incr += s->cmd.value;
                if (bl_rt_records(rt, s->cmd.key))
                        record_history(rt, s, BL_OUT_UNKNOWN, NULL, now);
                if (bl_rt_in_window(rt, s->invoke_ns)) {
                        if (crash) {
                                rt->errors[s->cmd.op]++;
                                rt->measured_ops++;
                        } else {
                                rt->unfinished[s->cmd.op]++;
                                bl_hist_record(&rt->lat[s->cmd.op], now - s->invoke_ns);
                        }
                }
                put_free(rt, s);
        }
        count_unserved(rt, now, crash);
}
