/*
 * Status lines. Every status interval each rank sends rank 0 what it saw in
 * that interval (completions, errors, leaders it hosts, a coarse latency
 * histogram, sparse-encoded); rank 0 prints one line per interval once every
 * rank has reported it. Point-to-point messages (not collectives) so a slow
 * rank delays a line, never the run.
 *
 * Intervals never straddle the start of the measured phase: the one that
 * would is cut there, so every line is either warm-up (time since the
 * start of the workload) or measured (time since the start of measurement),
 * and the running p99 covers measured intervals only. A report carries its
 * interval's bounds, since a cut interval is shorter than the others.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/wire.h"
#include "run/clock.h"
#include "run/rt.h"

#define SLOTS 8

struct slot {
        int k;
        int reports;
        uint64_t from_ns, to_ns; /* the interval, since t0 */
        int phase;               /* the most advanced phase any rank reported */
        uint64_t ops, err;
        int leaders;
        int faults;
        struct bl_chist lat;
};

struct agg {
        struct slot slot[SLOTS];
        struct bl_chist run; /* every measured interval so far, for "p99 so far" */
        int printed;
};

int bl_rt_status_init(struct bl_rt *rt)
{
        if (rt->rank != 0 || rt->cfg->experiment.status_interval_s <= 0)
                return 0;
        rt->status_agg = bl_calloc(1, sizeof(struct agg));
        if (rt->status_agg == NULL)
                return bl_errf(&rt->eb, BL_ENOMEM, "out of memory for status lines");
        struct agg *a = rt->status_agg;
        for (int i = 0; i < SLOTS; i++)
                a->slot[i].k = -1;
        return 0;
}

void bl_rt_status_free(struct bl_rt *rt)
{
        bl_free(rt->status_agg);
        rt->status_agg = NULL;
}

/* End of the status interval that starts at `from`: one period later, or
 * the start of measurement if that comes first. */
uint64_t bl_rt_status_next(const struct bl_rt *rt, uint64_t from)
{
        uint64_t next = from + (uint64_t)(rt->cfg->experiment.status_interval_s * 1e9);

        return from < rt->t_measure && next > rt->t_measure ? rt->t_measure : next;
}

static void print_line(struct bl_rt *rt, struct agg *a, struct slot *s)
{
        uint64_t warm = rt->t_measure - rt->t0;
        double len = (double)(s->to_ns - s->from_ns) / 1e9;
        int measured = s->from_ns >= warm;
        double t = measured ? (double)(s->to_ns - warm) / 1e9 : (double)s->to_ns / 1e9;
        /* By time the interval says which phase it was; by ops, whether
         * some rank had finished its quota when it reported. */
        int drain = rt->cfg->experiment.ops > 0 ? s->phase >= BL_PHASE_DRAIN
                                                : s->to_ns > rt->t_end - rt->t0;
        const char *label = !measured ? "warm-up" : drain ? "drain  " : "measure";

        if (measured)
                bl_chist_merge(&a->run, &s->lat);
        printf("[%s %7.1f s]  ops/s %10.0f  errors %6llu  p99 %9.1f us  (run %9.1f us)"
               "  leaders %d/%d  faults %d\n",
               label, t, len > 0 ? (double)s->ops / len : 0.0, (unsigned long long)s->err,
               bl_chist_percentile(&s->lat, 99) / 1e3, bl_chist_percentile(&a->run, 99) / 1e3,
               s->leaders, rt->cfg->cluster.shards, s->faults);
        fflush(stdout);
}

void bl_rt_on_status(struct bl_rt *rt, const struct bl_frame *f)
{
        struct agg *a = rt->status_agg;
        struct bl_rbuf r;
        struct slot *s;

        if (a == NULL) {
                rt->malformed++;
                return;
        }
        bl_rbuf_init(&r, f->data, f->len);
        int k = (int)bl_get_u32(&r);
        uint64_t from = bl_get_u64(&r), to = bl_get_u64(&r);
        int phase = (int)bl_get_u32(&r);
        uint64_t ops = bl_get_u64(&r), err = bl_get_u64(&r);
        int leaders = (int)bl_get_u32(&r);
        int faults = (int)bl_get_u32(&r);
        int n = (int)bl_get_u32(&r);
        if (!r.ok || k < a->printed || k >= a->printed + SLOTS || n > BL_CHIST_BUCKETS) {
                rt->malformed++;
                return;
        }
        s = &a->slot[k % SLOTS];
        if (s->k != k) {
                memset(s, 0, sizeof(*s));
                s->k = k;
                s->from_ns = from;
                s->to_ns = to;
        }
        if (phase > s->phase)
                s->phase = phase;
        for (int i = 0; i < n; i++) {
                uint32_t b = bl_get_u32(&r);
                uint64_t c = bl_get_u64(&r);
                if (!r.ok || b >= BL_CHIST_BUCKETS) {
                        rt->malformed++;
                        return;
                }
                s->lat.counts[b] += c;
        }
        s->reports++;
        s->ops += ops;
        s->err += err;
        s->leaders += leaders;
        s->faults += faults;
        /* Print every complete interval in order. */
        while ((s = &a->slot[a->printed % SLOTS])->k == a->printed && s->reports == rt->size) {
                print_line(rt, a, s);
                s->k = -1;
                a->printed++;
        }
}

void bl_rt_status_step(struct bl_rt *rt, uint64_t now)
{
        uint8_t msg[48 + BL_CHIST_BUCKETS * 12];
        uint64_t from = rt->status_from, to = rt->next_status;
        struct bl_wbuf w;
        int n = 0;

        if (rt->cfg->experiment.status_interval_s <= 0 || now < rt->next_status)
                return;
        rt->status_from = to;
        rt->next_status = bl_rt_status_next(rt, to);
        for (int i = 0; i < BL_CHIST_BUCKETS; i++)
                n += rt->status_lat.counts[i] != 0;
        bl_wbuf_init(&w, msg, sizeof(msg));
        bl_put_u32(&w, (uint32_t)rt->status_k++);
        bl_put_u64(&w, from - rt->t0);
        bl_put_u64(&w, to - rt->t0);
        bl_put_u32(&w, (uint32_t)rt->phase);
        bl_put_u64(&w, rt->status_ops);
        bl_put_u64(&w, rt->status_err);
        bl_put_u32(&w, (uint32_t)bl_rt_leaders(rt));
        /* A pause that overlapped the interval was an active fault in it,
         * though it is over by the time the paused rank reports. */
        int paused = rt->pause_to > from && rt->pause_from < to;
        bl_put_u32(&w, (uint32_t)(bl_rt_faults_active(rt, now) + paused));
        bl_put_u32(&w, (uint32_t)n);
        for (int i = 0; i < BL_CHIST_BUCKETS; i++) {
                if (rt->status_lat.counts[i] == 0)
                        continue;
                bl_put_u32(&w, (uint32_t)i);
                bl_put_u64(&w, rt->status_lat.counts[i]);
        }
        int rc = bl_net_send(rt->net, 0, BL_MSG_STATUS, 0, 0, msg, w.len);
        if (rc != 0)
                bl_rt_fail(rt, rc, "sending a status report");
        rt->status_ops = rt->status_err = 0;
        memset(&rt->status_lat, 0, sizeof(rt->status_lat));
}
