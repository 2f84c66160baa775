/*
 * Baseline phase: the network's own floor, measured in the same run, with
 * the same pinning and idle policy as the workload.
 *  - Round trips: every pair of ranks that will talk (all pairs up to 32
 *    ranks; beyond that pairs sharing a shard and client-server pairs)
 *    ping-pongs through the ballot transport, one pair at a time, the other
 *    ranks waiting in a non-blocking barrier. The median of each pair goes
 *    into an nranks x nranks matrix; the median over pairs expresses
 *    latencies in round trips.
 *  - Message rate: raw MPI, OSU-style windows of small non-blocking sends
 *    from the first client rank to a server rank, acknowledged per window.
 */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "metrics/hist.h"
#include "run/clock.h"
#include "run/finish.h"
#include "run/rt.h"

#define WARMUP_PINGS 20
#define RATE_TAG     11
#define RATE_ACK_TAG 12

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
        if (n <= 0)
                return 0;
        qsort(v, (size_t)n, sizeof(double), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Receive the next frame of the given kind, idling while none is there. */
static int await(struct bl_rt *rt, int kind, struct bl_frame *f)
{
        for (;;) {
                int rc = bl_net_poll(rt->net, f);
                if (rc < 0)
                        return rc;
                if (rc > 0 && f->kind == kind)
                        return 0;
                if (rc > 0)
                        rt->malformed++;
                else
                        bl_rt_idle(rt);
        }
}

/* Send one frame and push it out at once: the baseline waits in places
 * that do not poll the transport (barriers), so nothing may stay queued. */
static int send_now(struct bl_rt *rt, int peer, int kind, const void *buf, size_t len)
{
        int rc = bl_net_send(rt->net, peer, kind, 0, 0, buf, len);

        return rc != 0 ? rc : bl_net_flush_out(rt->net);
}

static int ping_pong(struct bl_rt *rt, int peer, int initiator, int iters, double *samples)
{
        struct bl_frame f;
        uint64_t x = 0;
        int rc;

        for (int i = 0; i < iters + WARMUP_PINGS; i++) {
                if (initiator) {
                        uint64_t t = bl_now_ns();
                        rc = send_now(rt, peer, BL_MSG_PING, &x, sizeof(x));
                        if (rc == 0)
                                rc = await(rt, BL_MSG_PONG, &f);
                        if (rc != 0)
                                return rc;
                        if (i >= WARMUP_PINGS)
                                samples[i - WARMUP_PINGS] = (double)(bl_now_ns() - t);
                } else {
                        rc = await(rt, BL_MSG_PING, &f);
                        if (rc == 0)
                                rc = send_now(rt, peer, BL_MSG_PONG, &x, sizeof(x));
                        if (rc != 0)
                                return rc;
                }
        }
        return 0;
}

static int talks(const struct bl_rt *rt, int a, int b)
{
        int shards = rt->cfg->cluster.shards, reps = rt->cfg->cluster.replicas;
        int a_srv = a < rt->nserver, b_srv = b < rt->nserver;
        int a_cli = rt->cfg->cluster.client_ranks == 0 || a >= rt->nserver;
        int b_cli = rt->cfg->cluster.client_ranks == 0 || b >= rt->nserver;

        if (rt->size <= 32)
                return 1;
        if ((a_cli && b_srv) || (b_cli && a_srv))
                return 1;
        for (int s = 0; s < shards; s++) {
                int ha = 0, hb = 0;
                for (int m = 0; m < reps; m++) {
                        ha |= rt->place[s * reps + m] == a;
                        hb |= rt->place[s * reps + m] == b;
                }
                if (ha && hb)
                        return 1;
        }
        return 0;
}

static int message_rate(struct bl_rt *rt, double *rate)
{
        int sender = rt->size - 1, receiver = 0;
        int window = rt->cfg->baseline.window, iters = rt->cfg->baseline.iterations / 4 + 10;
        MPI_Request *reqs;
        uint64_t *bufs, t0 = 0;
        int rc = 0;

        *rate = 0;
        if (rt->size < 2)
                return 0;
        if (rt->rank != sender && rt->rank != receiver)
                return 0;
        reqs = bl_malloc(sizeof(*reqs) * (size_t)window);
        bufs = bl_calloc((size_t)window, sizeof(*bufs));
        if (reqs == NULL || bufs == NULL) {
                rc = BL_ENOMEM;
                goto out_free;
        }
        for (int it = 0; it < iters; it++) {
                if (it == 5)
                        t0 = bl_now_ns();
                MPI_Request ack;
                uint64_t a = 0;
                for (int w = 0; w < window; w++) {
                        if (rt->rank == sender)
                                MPI_Isend(&bufs[w], 8, MPI_BYTE, receiver, RATE_TAG, rt->comm,
                                          &reqs[w]);
                        else
                                MPI_Irecv(&bufs[w], 8, MPI_BYTE, sender, RATE_TAG, rt->comm,
                                          &reqs[w]);
                }
                for (int w = 0; w < window; w++)
                        if ((rc = bl_rt_wait(rt, &reqs[w])) != 0)
                                goto out_free;
                if (rt->rank == sender)
                        MPI_Irecv(&a, 8, MPI_BYTE, receiver, RATE_ACK_TAG, rt->comm, &ack);
                else
                        MPI_Isend(&a, 8, MPI_BYTE, sender, RATE_ACK_TAG, rt->comm, &ack);
                if ((rc = bl_rt_wait(rt, &ack)) != 0)
                        goto out_free;
        }
        *rate = (double)window * (iters - 5) / ((double)(bl_now_ns() - t0) / 1e9);
out_free:
        bl_free(reqs);
        bl_free(bufs);
        return rc;
}

int bl_rt_baseline(struct bl_rt *rt, struct bl_baseline *base)
{
        double *rtt_row = base->rtt_row, *msg_rate = &base->msg_rate;
        int iters = rt->cfg->baseline.iterations;
        double *samples = bl_malloc(sizeof(double) * (size_t)iters);
        double *all = bl_calloc((size_t)rt->size * (size_t)rt->size, sizeof(double));
        double *pairs = bl_malloc(sizeof(double) * (size_t)rt->size * (size_t)rt->size);
        /* Every sample of the pairs this rank started, for the percentiles. */
        double *mine = bl_malloc(sizeof(double) * (size_t)iters * (size_t)rt->size);
        double *every = NULL;
        int *counts = bl_malloc(sizeof(int) * (size_t)rt->size);
        int *displs = bl_malloc(sizeof(int) * (size_t)rt->size);
        int npairs = 0, nmine = 0, rc = 0;

        if (samples == NULL || all == NULL || pairs == NULL || mine == NULL || counts == NULL ||
            displs == NULL) {
                rc = bl_errf(&rt->eb, BL_ENOMEM, "baseline: out of memory");
                goto out_free;
        }
        for (int i = 0; i < rt->size; i++)
                rtt_row[i] = 0;
        for (int a = 0; a < rt->size; a++) {
                for (int b = a + 1; b < rt->size; b++) {
                        if (!talks(rt, a, b))
                                continue;
                        if (rt->rank == a || rt->rank == b) {
                                int peer = rt->rank == a ? b : a;
                                rc = ping_pong(rt, peer, rt->rank == a, iters, samples);
                                if (rc != 0) {
                                        rc = bl_errf(&rt->eb, rc, "baseline ping-pong %d-%d: %s", a,
                                                     b, bl_strerror(rc));
                                        goto out_free;
                                }
                                if (rt->rank == a) {
                                        rtt_row[b] = median(samples, iters);
                                        memcpy(mine + nmine, samples,
                                               sizeof(double) * (size_t)iters);
                                        nmine += iters;
                                }
                        }
                        MPI_Request req;
                        MPI_Ibarrier(rt->comm, &req);
                        if ((rc = bl_rt_wait(rt, &req)) != 0)
                                goto out_free;
                }
        }
        /* Symmetric matrix on every rank, then the median over measured pairs. */
        MPI_Allgather(rtt_row, rt->size, MPI_DOUBLE, all, rt->size, MPI_DOUBLE, rt->comm);
        for (int a = 0; a < rt->size; a++)
                for (int b = a + 1; b < rt->size; b++)
                        if (all[a * rt->size + b] > 0)
                                pairs[npairs++] = all[a * rt->size + b];
        for (int b = 0; b < rt->size; b++)
                if (b < rt->rank)
                        rtt_row[b] = all[b * rt->size + rt->rank];
        base->median_rtt_ns = median(pairs, npairs); /* sorts pairs */
        /* p90, p99 and max of the round trips themselves, from every sample
         * at rank 0 (nearest rank), not percentiles of per-pair medians,
         * which hide a pair's tail. */
        MPI_Gather(&nmine, 1, MPI_INT, counts, 1, MPI_INT, 0, rt->comm);
        int total = 0;
        if (rt->rank == 0) {
                for (int r = 0; r < rt->size; r++) {
                        displs[r] = total;
                        total += counts[r];
                }
                every = bl_malloc(sizeof(double) * ((size_t)total + 1));
        }
        int nomem = rt->rank == 0 && every == NULL;
        MPI_Bcast(&nomem, 1, MPI_INT, 0, rt->comm);
        if (nomem) {
                rc = bl_errf(&rt->eb, BL_ENOMEM, "baseline: out of memory");
                goto out_free;
        }
        MPI_Gatherv(mine, nmine, MPI_DOUBLE, every, counts, displs, MPI_DOUBLE, 0, rt->comm);
        if (rt->rank == 0 && total > 0) {
                qsort(every, (size_t)total, sizeof(double), cmp_double);
                base->p90_rtt_ns = every[bl_hist_rank(90, (uint64_t)total) - 1];
                base->p99_rtt_ns = every[bl_hist_rank(99, (uint64_t)total) - 1];
                base->max_rtt_ns = every[total - 1];
        }
        rc = message_rate(rt, msg_rate);
        if (rc != 0) {
                rc = bl_errf(&rt->eb, rc, "baseline message rate: %s", bl_strerror(rc));
                goto out_free;
        }
        MPI_Bcast(msg_rate, 1, MPI_DOUBLE, rt->size - 1, rt->comm);
out_free:
        bl_free(samples);
        bl_free(all);
        bl_free(pairs);
        bl_free(mine);
        bl_free(every);
        bl_free(counts);
        bl_free(displs);
        return rc;
}

/*
 * Clock offsets (Cristian's algorithm). Ranks on rank 0's node share its
 * CLOCK_MONOTONIC: offset 0, error 0 (BL_CLOCK_SYNC=all in the environment
 * estimates them anyway, so one node exercises the code of many). Every
 * other rank asks rank 0 for its time `iterations` times, and takes from
 * each exchange offset = t0 - (send + receive) / 2 with error <= round trip
 * / 2; the exchange with the smallest round trip is the estimate. This runs
 * twice, before the run and after the drain (when no protocol frame is left
 * in flight); the two estimates give a linear drift (common/clockfit.h), by
 * which every time of the rank is corrected, and the fit's error bound, by
 * which its history intervals are widened, so the linearizability check
 * stays sound across nodes.
 */
static int clock_sync_forced(const struct bl_rt *rt)
{
        const char *e = getenv("BL_CLOCK_SYNC");
        int forced = rt->rank == 0 && e != NULL && strcmp(e, "all") == 0;

        /* Rank 0 decides, so the ranks cannot disagree on who takes part. */
        MPI_Bcast(&forced, 1, MPI_INT, 0, rt->comm);
        return forced;
}

static int clock_exchange(struct bl_rt *rt, int iters, struct bl_clock_sample *out)
{
        struct bl_frame f;
        int rc = 0;

        for (int i = 0; i < iters; i++) {
                uint64_t x = 0, ts = bl_now_ns(), tr, t0;
                rc = send_now(rt, 0, BL_MSG_PING, &x, sizeof(x));
                if (rc == 0)
                        rc = await(rt, BL_MSG_PONG, &f);
                tr = bl_now_ns();
                if (rc != 0)
                        return rc;
                if (f.len != sizeof(t0))
                        return BL_EPROTO;
                memcpy(&t0, f.data, sizeof(t0));
                out[i] = (struct bl_clock_sample){
                    .t_local = ts + (tr - ts) / 2,
                    .offset_ns = (int64_t)(t0 - (ts + (tr - ts) / 2)),
                    .err_ns = (tr - ts) / 2 + 1,
                };
        }
        return 0;
}

int bl_rt_clock_sync(struct bl_rt *rt, int end)
{
        int iters = rt->cfg->baseline.iterations, forced = clock_sync_forced(rt);
        int rc = 0;

        if (!end) {
                rt->clock_offset_ns = 0;
                rt->clock_err_ns = 0;
                rt->clock_synced = 0;
                rt->n_clock_samples = 0;
                bl_free(rt->clock_samples);
                rt->clock_samples = NULL;
        }
        for (int r = 1; r < rt->size; r++) {
                if (!forced && rt->node_of_rank[r] == rt->node_of_rank[0])
                        continue;
                if (rt->rank == r) {
                        if (!end) {
                                rt->clock_samples =
                                    bl_calloc(2 * (size_t)iters, sizeof(*rt->clock_samples));
                                if (rt->clock_samples == NULL)
                                        rc = BL_ENOMEM;
                        }
                        struct bl_clock_sample *s =
                            rc == 0 ? rt->clock_samples + rt->n_clock_samples : NULL;
                        if (rc == 0)
                                rc = clock_exchange(rt, iters, s);
                        if (rc == 0) {
                                rt->n_clock_samples += (size_t)iters;
                                if (!end)
                                        rt->clock_a = bl_clock_best(s, (size_t)iters);
                                else
                                        rt->clock_b = bl_clock_best(s, (size_t)iters);
                                rt->clock_synced = 1;
                        }
                } else if (rt->rank == 0) {
                        struct bl_frame f;
                        for (int i = 0; i < iters && rc == 0; i++) {
                                rc = await(rt, BL_MSG_PING, &f);
                                uint64_t t0 = bl_now_ns();
                                if (rc == 0)
                                        rc = send_now(rt, r, BL_MSG_PONG, &t0, sizeof(t0));
                        }
                }
                /* A rank that failed leaves its peer waiting for frames: the
                 * job cannot go on, and the caller reports the error. */
                if (rc != 0)
                        return bl_errf(&rt->eb, rc, "clock offset with rank %d (%s the run): %s", r,
                                       end ? "after" : "before", bl_strerror(rc));
                MPI_Request req;
                MPI_Ibarrier(rt->comm, &req);
                if ((rc = bl_rt_wait(rt, &req)) != 0)
                        return rc;
        }
        if (!rt->clock_synced)
                return 0;
        if (!end) {
                rt->clock_offset_ns = rt->clock_a.offset_ns;
                rt->clock_err_ns = rt->clock_a.err_ns;
        } else {
                bl_clock_fit_make(&rt->clock_fit, rt->clock_a, rt->clock_b, rt->clock_samples,
                                  rt->n_clock_samples);
                rt->clock_err_ns = rt->clock_fit.err_ns;
        }
        return 0;
}

void bl_rt_clock_correct(struct bl_rt *rt)
{
        const struct bl_clock_fit *fit = &rt->clock_fit;
        uint64_t err = rt->clock_err_ns;

        if (!rt->clock_synced)
                return;
        for (size_t i = 0; i < rt->hist.n; i++) {
                struct bl_hop *h = &rt->hist.ops[i];
                uint64_t inv = bl_clock_fit_rel(fit, rt->t0, h->invoke_ns);
                /* Widened by the error bound so that intervals from other
                 * nodes still contain the true instants. */
                h->invoke_ns = inv > err ? inv - err : 0;
                if (h->return_ns != UINT64_MAX)
                        h->return_ns = bl_clock_fit_rel(fit, rt->t0, h->return_ns) + err;
        }
        for (size_t i = 0; i < rt->ev.count; i++)
                rt->ev.ev[i].t_ns = bl_clock_fit_rel(fit, rt->t0, rt->ev.ev[i].t_ns);
}
