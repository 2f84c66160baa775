/*
 * Status lines. Every status interval each rank sends rank 0 what it saw in
 * that interval (completions, errors, leaders it hosts, a coarse latency
 * histogram, sparse-encoded); rank 0 prints one line per interval once every
 * rank has reported it. Point-to-point messages (not collectives) so a slow
 * rank delays a line, never the run.
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
        uint64_t ops, err;
        int leaders;
        int faults;
        struct bl_chist lat;
};

struct agg {
        struct slot slot[SLOTS];
        struct bl_chist run; /* everything so far, for "p99 so far" */
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

static const char *phase_name(const struct bl_rt *rt, uint64_t t)
{
        if (t < rt->t_measure - rt->t0)
                return "warmup ";
        if (rt->ops_quota > 0 || t <= rt->t_end - rt->t0)
                return "measure";
        return "drain  ";
}

static void print_line(struct bl_rt *rt, struct agg *a, struct slot *s)
{
        double ival = rt->cfg->experiment.status_interval_s;
        double t = (s->k + 1) * ival;
        uint64_t tns = (uint64_t)(t * 1e9);

        bl_chist_merge(&a->run, &s->lat);
        printf("[%7.1f s] %s  ops/s %10.0f  errors %6llu  p99 %9.1f us  (run %9.1f us)"
               "  leaders %d/%d  faults %d\n",
               t, phase_name(rt, tns), (double)s->ops / ival, (unsigned long long)s->err,
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
        }
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
        uint8_t msg[28 + BL_CHIST_BUCKETS * 12];
        struct bl_wbuf w;
        int n = 0;

        if (rt->cfg->experiment.status_interval_s <= 0 || now < rt->next_status)
                return;
        rt->next_status += (uint64_t)(rt->cfg->experiment.status_interval_s * 1e9);
        for (int i = 0; i < BL_CHIST_BUCKETS; i++)
                n += rt->status_lat.counts[i] != 0;
        bl_wbuf_init(&w, msg, sizeof(msg));
        bl_put_u32(&w, (uint32_t)rt->status_k++);
        bl_put_u64(&w, rt->status_ops);
        bl_put_u64(&w, rt->status_err);
        bl_put_u32(&w, (uint32_t)bl_rt_leaders(rt));
        bl_put_u32(&w, (uint32_t)bl_rt_faults_active(rt, now));
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
