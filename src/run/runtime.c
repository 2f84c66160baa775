/*
 * The rank runtime: set-up, baseline, the event loop, and an orderly end.
 *
 * One single-threaded loop per rank: receive and dispatch frames (at most a
 * batch per pass, so timers are not starved), fire kernel ticks, let client
 * sessions issue, retransmit and time out, send status reports, move
 * through the phases. A pass that found nothing to do calls the idle policy.
 *
 * The end is the delicate part, since every rank serves the others:
 *  1. a rank whose clients are done (or that has none) enters a
 *     non-blocking barrier and keeps serving;
 *  2. when the barrier completes every client is done; the kernels run a
 *     short settle period so followers learn the last commits;
 *  3. the rank quiesces (no ticks, no sends, incoming frames dropped), the
 *     ranks exchange how many frames each sent to each other
 *     (MPI_Alltoall), and each receives until it has them all. No message
 *     is left in flight, so no rank hangs in MPI_Finalize.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "run/clock.h"
#include "run/finish.h"
#include "run/rt.h"
#include "run/run.h"
#include "run/txn.h"
#include "storage/baseline.h"

#define POLL_BATCH 64
#define IDLE_SPINS 16 /* empty polls between two passes of the timed work */

void bl_rt_fail(struct bl_rt *rt, int code, const char *what)
{
        if (rt->failed)
                return;
        rt->failed = code;
        bl_errf(&rt->eb, code, "rank %d: %s: %s", rt->rank, what, bl_strerror(code));
}

int bl_rt_buf(struct bl_rt *rt, size_t n)
{
        if (n <= rt->bufcap)
                return 0;
        size_t cap = rt->bufcap ? rt->bufcap : 4096;
        while (cap < n)
                cap *= 2;
        uint8_t *b = bl_realloc(rt->buf, cap);
        if (b == NULL)
                return BL_ENOMEM;
        rt->buf = b;
        rt->bufcap = cap;
        return 0;
}

void bl_rt_event(struct bl_rt *rt, int type, int64_t a, int64_t b)
{
        uint64_t now = bl_now_ns();

        if (bl_evlog_add(&rt->ev, now > rt->t0 ? now - rt->t0 : 0, rt->rank, type, a, b) ==
            BL_ENOMEM)
                bl_rt_fail(rt, BL_ENOMEM, "recording an event");
}

static void dispatch(struct bl_rt *rt, const struct bl_frame *f)
{
        switch (f->kind) {
        case BL_MSG_KERNEL:
                bl_rt_on_kernel(rt, f);
                break;
        case BL_MSG_REQUEST:
                bl_rt_on_request(rt, f);
                break;
        case BL_MSG_REPLY:
                if (rt->is_client)
                        bl_rt_on_reply(rt, f);
                else
                        rt->malformed++;
                break;
        case BL_MSG_STATUS:
                bl_rt_on_status(rt, f);
                break;
        case BL_MSG_TXN:
        case BL_MSG_TXN_REPLY:
        case BL_MSG_LEADER:
        case BL_MSG_COMMIT:
                bl_rt_txn_on_frame(rt, f);
                break;
        default:
                rt->malformed++; /* pings belong to the baseline phase */
                break;
        }
}

/* Receive up to a batch of frames. Returns how many, or a negative error. */
static int poll_batch(struct bl_rt *rt)
{
        struct bl_frame f;
        int n = 0;

        while (n < POLL_BATCH) {
                int rc = bl_net_poll(rt->net, &f);
                if (rc < 0)
                        return rc;
                if (rc == 0)
                        break;
                dispatch(rt, &f);
                /* Report durability frame by frame: with storage.mode =
                 * memory a write is durable at once, and its answer then
                 * leaves with the answers to the rest of the frame's batch
                 * (bl_net_poll sends them when the batch is used up)
                 * instead of waiting for every batch of this poll. */
                bl_rt_storage_step(rt);
                n++;
        }
        return n;
}

/*
 * Topology: find this rank's node and index on it, pin it as the policy
 * says (before the baseline, so the baseline runs under the same binding),
 * record what was obtained, resolve the idle policy, and share node and
 * NUMA ids so placement can spread or pack replicas.
 */
static int topology(struct bl_rt *rt)
{
        MPI_Comm node;
        struct bl_topo *topo = NULL;
        struct bl_errbuf teb = {{0}};
        struct bl_pin_plan plan;
        int node_id = rt->rank, mine[2], *all;
        int first_bad, nbad, bad;

        MPI_Comm_split_type(rt->comm, MPI_COMM_TYPE_SHARED, rt->rank, MPI_INFO_NULL, &node);
        MPI_Comm_rank(node, &rt->local_rank);
        MPI_Comm_size(node, &rt->node_ranks);
        MPI_Bcast(&node_id, 1, MPI_INT, 0, node);
        MPI_Comm_free(&node);
        rt->node_cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
        rt->bind.numa_node = rt->bind.package = -1;
        rt->bind.honoured = 1;
        gethostname(rt->bind.host, sizeof(rt->bind.host) - 1);
        bl_topo_version(rt->hwloc_version, sizeof(rt->hwloc_version));
        if (bl_topo_open(&topo, NULL, &teb) == 0) {
                rt->node_cores = (int)bl_topo_counts(topo).pus;
                if (bl_topo_plan(topo, rt->cfg->cluster.pinning, rt->local_rank, rt->node_ranks,
                                 &plan, &teb) == 0)
                        bl_topo_apply(topo, &plan, &rt->bind, &teb);
                else
                        bl_topo_describe_current(topo, &rt->bind, &teb);
                bl_topo_close(topo);
        } else {
                rt->bind.honoured = rt->cfg->cluster.pinning == BL_PIN_NONE;
                snprintf(rt->bind.note, sizeof(rt->bind.note), "hwloc: %.200s", teb.msg);
        }
        /* One warning for the whole job when some rank is not pinned as asked. */
        bad = !rt->bind.honoured;
        mine[0] = bad ? rt->rank : rt->size;
        MPI_Allreduce(&mine[0], &first_bad, 1, MPI_INT, MPI_MIN, rt->comm);
        MPI_Allreduce(&bad, &nbad, 1, MPI_INT, MPI_SUM, rt->comm);
        if (bad && rt->rank == first_bad)
                fprintf(stderr, "ballot: warning: rank %d: pinning %s not honoured: %s%s\n",
                        rt->rank, bl_pinning_name(rt->cfg->cluster.pinning), rt->bind.note,
                        nbad > 1 ? " (other ranks too; see /topology in the result)" : "");
        switch (rt->cfg->cluster.idle) {
        case BL_IDLE_BUSY:
                rt->idle_yield = 0;
                break;
        case BL_IDLE_YIELD:
                rt->idle_yield = 1;
                break;
        case BL_IDLE_SLEEP:
                rt->idle_yield = 2;
                break;
        default:
                rt->idle_yield = rt->node_ranks > rt->node_cores ? 1 : 0;
        }
        all = bl_malloc(sizeof(int) * 2 * (size_t)rt->size);
        rt->node_of_rank = bl_malloc(sizeof(int) * (size_t)rt->size);
        rt->numa_of_rank = bl_malloc(sizeof(int) * (size_t)rt->size);
        mine[0] = node_id;
        mine[1] = rt->bind.numa_node;
        if (all == NULL || rt->node_of_rank == NULL || rt->numa_of_rank == NULL) {
                bl_free(all);
                return bl_errf(&rt->eb, BL_ENOMEM, "out of memory for the topology");
        }
        MPI_Allgather(mine, 2, MPI_INT, all, 2, MPI_INT, rt->comm);
        for (int r = 0; r < rt->size; r++) {
                rt->node_of_rank[r] = all[2 * r];
                rt->numa_of_rank[r] = all[2 * r + 1];
        }
        bl_free(all);
        return 0;
}

static int setup(struct bl_rt *rt, MPI_Comm comm, const struct bl_config *cfg,
                 const struct bl_fault_plan *faults)
{
        int rc;

        rt->cfg = cfg;
        rt->comm = comm;
        MPI_Comm_rank(comm, &rt->rank);
        MPI_Comm_size(comm, &rt->size);
        rt->nserver =
            cfg->cluster.client_ranks > 0 ? rt->size - cfg->cluster.client_ranks : rt->size;
        rt->nclient_ranks = cfg->cluster.client_ranks > 0 ? cfg->cluster.client_ranks : rt->size;
        rt->is_client = cfg->cluster.client_ranks == 0 || rt->rank >= rt->nserver;
        if ((rc = bl_rt_storage_name(rt)) != 0)
                return rc;
        if (strcmp(cfg->experiment.commit, "none") != 0) {
                rt->txn = bl_calloc(1, sizeof(*rt->txn));
                if (rt->txn == NULL)
                        return bl_errf(&rt->eb, BL_ENOMEM, "out of memory");
                /* 2pc/R: the coordinator is the first shard's leader. */
                rt->txn->replicated = strcmp(cfg->experiment.repl, "none") != 0;
                rt->txn->cc = (int)cfg->txn.cc;
                rt->txn->wl = cfg->workload.type == BL_WL_BANK     ? BL_TXW_BANK
                              : cfg->workload.type == BL_WL_YCSB_T ? BL_TXW_YCSB_T
                                                                   : BL_TXW_LIST_APPEND;
                rt->txn->initial = cfg->workload.type == BL_WL_BANK ? cfg->bank.initial_balance : 0;
        }
        rt->kern = bl_kernel_find(cfg->experiment.repl);
        if (rt->kern == NULL)
                return bl_errf(&rt->eb, BL_ECONFIG, "unknown kernel '%s'", cfg->experiment.repl);
        if ((rc = topology(rt)) != 0)
                return rc;
        for (int op = 0; op < BL_OP__COUNT; op++)
                bl_hist_init(&rt->lat[op]);
        bl_hist_init(&rt->lat_unserved);
        rt->net = bl_net_create(comm, rt->kern->n_msg_types, &rt->eb);
        if (rt->net == NULL)
                return BL_ENOMEM;
        if (rt->txn != NULL && (rc = bl_net_enable_txn(rt->net, BL_TPC_MSG__COUNT)) != 0)
                return bl_errf(&rt->eb, rc, "transport: too many message types with 2pc");
        bl_history_init(&rt->hist);
        if ((rc = bl_evlog_init(&rt->ev)) != 0)
                return bl_errf(&rt->eb, rc, "out of memory for the event log");
        double secs =
            cfg->experiment.warmup_s + (cfg->experiment.ops ? 10 : cfg->experiment.duration_s) + 2;
        rc = bl_series_init(&rt->series, (uint64_t)cfg->metrics.interval_ms * 1000000ull,
                            (size_t)(secs * 1000 / cfg->metrics.interval_ms) + 1);
        if (rc != 0)
                return bl_errf(&rt->eb, rc, "out of memory for the time series");
        if ((rc = bl_rt_storage_open(rt)) != 0)
                return rc;
        if ((rc = bl_rt_servers_create(rt)) != 0)
                return rc;
        if ((rc = bl_rt_clients_create(rt)) != 0)
                return rc;
        if (rt->txn != NULL && (rc = bl_rt_txn_create(rt)) != 0)
                return rc;
        if ((rc = bl_rt_faults_init(rt, faults)) != 0)
                return rc;
        return bl_rt_status_init(rt);
}

static void teardown(struct bl_rt *rt)
{
        bl_rt_faults_free(rt);
        if (rt->txn != NULL)
                bl_rt_txn_destroy(rt);
        bl_rt_clients_destroy(rt);
        bl_rt_servers_destroy(rt);
        bl_rt_storage_close(rt);
        bl_rt_status_free(rt);
        bl_series_free(&rt->series);
        bl_evlog_free(&rt->ev);
        bl_history_free(&rt->hist);
        bl_net_destroy(rt->net);
        bl_free(rt->buf);
        bl_free(rt->node_of_rank);
        bl_free(rt->clock_samples);
        bl_free(rt->numa_of_rank);
}

/* Every rank learns whether any rank failed; the failed rank's message is
 * kept, the others get a pointer to the first failing rank. */
static int agree(struct bl_rt *rt, int rc, struct bl_errbuf *eb)
{
        int mine = rc != 0 ? rt->rank : rt->size, first = rt->size;

        MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, rt->comm);
        if (first == rt->size)
                return 0;
        if (rc != 0) {
                *eb = rt->eb;
                return rc;
        }
        return bl_errf(eb, BL_EMPI, "rank %d failed during set-up (see its message)", first);
}

/* Workload traffic so far: data-plane frames (not baseline or status
 * frames), their bytes, MPI messages (a message carries every frame
 * queued for one destination, status frames included), and the write-ahead
 * log's syncs and bytes written. */
static void traffic(const struct bl_rt *rt, uint64_t out[5])
{
        struct bl_wal_stats ws = {0};

        if (rt->wal != NULL)
                bl_wal_stats(rt->wal, &ws);
        out[3] = ws.syncs;
        out[4] = ws.disk_bytes;
        const struct bl_net_counters *ctr = bl_net_counters(rt->net);
        const uint64_t *to = bl_net_sent_to(rt->net);

        out[0] = out[1] = out[2] = 0;
        for (int c = 0; c < bl_net_nclasses(rt->net); c++) {
                if (c == bl_net_class(rt->net, BL_MSG_PING, 0) ||
                    c == bl_net_class(rt->net, BL_MSG_PONG, 0) ||
                    c == bl_net_class(rt->net, BL_MSG_STATUS, 0))
                        continue;
                out[0] += ctr->sent[c];
                out[1] += ctr->sent_bytes[c];
        }
        for (int r = 0; r < rt->size; r++)
                out[2] += to[r];
}

static void window_close(struct bl_rt *rt, uint64_t now)
{
        uint64_t end[5];

        if (!rt->window_open)
                return;
        traffic(rt, end);
        for (int i = 0; i < 5; i++)
                rt->win_ctr[i] = end[i] - rt->win_ctr0[i];
        rt->window_open = 0;
        rt->t_window_close = now;
}

static void advance_phase(struct bl_rt *rt, uint64_t now)
{
        if (rt->phase == BL_PHASE_WARMUP && now >= rt->t_measure) {
                rt->phase = BL_PHASE_MEASURE;
                traffic(rt, rt->win_ctr0);
                rt->window_open = 1;
                bl_rt_event(rt, BL_EV_PHASE, 1, 0);
        }
        if (rt->phase == BL_PHASE_MEASURE) {
                /* By ops: until the quota of measured operations was issued,
                 * or the deadline (rt->t_end) passed; by time: until t_end. */
                int over = now >= rt->t_end;
                int by_ops = rt->cfg->experiment.ops > 0;
                if (by_ops && rt->issued_measured >= rt->ops_quota)
                        over = 1;
                else if (by_ops && over)
                        rt->deadline_hit = 1;
                if (rt->cfg->experiment.ops > 0 && !rt->is_client)
                        over = 1;
                if (over) {
                        rt->phase = BL_PHASE_DRAIN;
                        rt->t_stop = now;
                        if (!by_ops)
                                window_close(rt, now);
                        rt->t_drain_end =
                            now + 2ull * (uint64_t)rt->cfg->clients.timeout_ms * 1000000ull;
                        bl_rt_event(rt, BL_EV_PHASE, 2, 0);
                }
        }
}

/* The main loop; returns when every rank's clients are done and the
 * settle period has passed. */
static int loop(struct bl_rt *rt)
{
        uint64_t tick_ns = (uint64_t)rt->cfg->cluster.tick_us * 1000ull, next_tick = rt->t0;
        uint64_t settle_ns = rt->kern->settle_ns != NULL ? rt->kern->settle_ns(rt->cfg) : 0;
        uint64_t settle_end = 0;
        MPI_Request bar = MPI_REQUEST_NULL;
        int in_barrier = 0, flag;

        for (;;) {
                /* Poll a few times before the timed work when nothing
                 * arrives: a shorter idle cycle answers sooner. */
                int n = 0;
                for (int spin = 0; spin < IDLE_SPINS && n == 0; spin++)
                        n = poll_batch(rt);
                if (n < 0)
                        bl_rt_fail(rt, n, "receiving");
                uint64_t now = bl_now_ns();
                bl_rt_storage_step(rt);
                if (now >= next_tick) {
                        bl_rt_tick(rt);
                        next_tick = now + tick_ns;
                }
                /* Transactions begin before faults strike: a crash of
                 * their coordinator then finds them between PREPARE and
                 * decision, 2PC's blocking case, instead of (on a busy
                 * node that runs in bursts) between two transactions. */
                bl_rt_txn_step(rt, now);
                /* ... and their PREPAREs leave before a crash can strike:
                 * a starved rank that wakes up, decides every transaction
                 * it had and begins new ones in one pass would otherwise
                 * lose those PREPAREs in its outgoing queue, and its crash
                 * would find no participant prepared. */
                int trc = bl_net_flush_out(rt->net);
                if (trc != 0)
                        bl_rt_fail(rt, trc, "sending");
                bl_rt_faults_step(rt, now);
                /* Clients first: the arrivals due before the end of the
                 * measured phase are issued before it ends. */
                bl_rt_clients_step(rt, now);
                advance_phase(rt, now);
                bl_rt_status_step(rt, now);
                if (rt->failed)
                        return rt->failed;
                /* A transaction run also waits for its commit layer to
                 * finish (every decision acknowledged), so no participant
                 * is left in doubt by the end of the run itself. */
                if (!in_barrier && rt->phase == BL_PHASE_DRAIN &&
                    ((bl_rt_clients_idle(rt) && bl_rt_txn_quiet(rt)) || now >= rt->t_drain_end)) {
                        bl_rt_clients_abandon(rt, now, 0);
                        window_close(rt, now);
                        MPI_Ibarrier(rt->comm, &bar);
                        in_barrier = 1;
                }
                if (in_barrier == 1) {
                        MPI_Test(&bar, &flag, MPI_STATUS_IGNORE);
                        if (flag) {
                                in_barrier = 2;
                                settle_end = now + settle_ns;
                        }
                }
                if (in_barrier == 2 && now >= settle_end) {
                        rt->t_run_end = now;
                        return 0;
                }
                if (n == 0)
                        bl_rt_idle(rt);
        }
}

/* Quiesce, then receive every frame still addressed to this rank. */
static int drain(struct bl_rt *rt)
{
        uint64_t *expect = bl_malloc(sizeof(uint64_t) * (size_t)rt->size);
        int rc = 0;

        if (expect == NULL)
                return BL_ENOMEM;
        rt->quiesced = 1;
        bl_net_discard_delayed(rt->net);
        if ((rc = bl_net_flush_out(rt->net)) != 0) {
                bl_free(expect);
                return rc;
        }
        MPI_Alltoall(bl_net_sent_to(rt->net), 1, MPI_UINT64_T, expect, 1, MPI_UINT64_T, rt->comm);
        for (;;) {
                const uint64_t *got = bl_net_recv_from(rt->net);
                int missing = 0;
                for (int i = 0; i < rt->size; i++)
                        missing |= got[i] < expect[i];
                if (!missing)
                        break;
                int n = poll_batch(rt);
                if (n < 0) {
                        rc = n;
                        break;
                }
                if (n == 0)
                        bl_rt_idle(rt);
        }
        bl_free(expect);
        if (rc == 0)
                rc = bl_net_flush(rt->net, bl_rt_idle, rt);
        return rc;
}

int bl_run(MPI_Comm comm, const struct bl_config *cfg, const struct bl_run_opts *opts,
           int *collective, struct bl_errbuf *eb)
{
        struct bl_rt *rt = bl_calloc(1, sizeof(*rt));
        struct bl_baseline base = {0};
        int rc;

        *collective = 1;
        if (rt == NULL)
                return bl_errf(eb, BL_ENOMEM, "out of memory");
        rc = agree(rt, setup(rt, comm, cfg, opts->faults), eb);
        if (rc != 0)
                goto out_teardown;
        base.rtt_row = bl_calloc((size_t)rt->size, sizeof(double));
        if (base.rtt_row == NULL) {
                *collective = 0;
                rc = bl_errf(eb, BL_ENOMEM, "out of memory");
                goto out_teardown;
        }
        rc = bl_rt_baseline(rt, &base);
        if (rc != 0) {
                *collective = 0;
                *eb = rt->eb;
                goto out_teardown;
        }
        {
                struct bl_storage_baseline sb;

                rc = bl_rt_storage_baseline(rt, &sb);
                if (rc != 0) {
                        /* Every rank returns it (rank 0's figures are broadcast). */
                        *eb = rt->eb;
                        goto out_teardown;
                }
                base.fsync_p50_us = sb.fsync_p50_us;
                base.fsync_p99_us = sb.fsync_p99_us;
                base.write_mbps = sb.write_mbps;
        }
        if (rt->rank == 0 && !opts->quiet && cfg->storage.mode != BL_STORAGE_MEMORY) {
                printf(
                    "# storage: %s mode in %s (I/O thread), 4 KiB append + fdatasync p50 %.0f us "
                    "p99 %.0f us, sequential write %.0f MB/s\n",
                    bl_storage_mode_name(cfg->storage.mode), rt->storage_run_dir, base.fsync_p50_us,
                    base.fsync_p99_us, base.write_mbps);
        }
        if (rt->rank == 0 && !opts->quiet) {
                printf("# baseline: median round trip %.2f us over %d ranks, message rate %.0f "
                       "msg/s, idle policy %s\n",
                       base.median_rtt_ns / 1e3, rt->size, base.msg_rate,
                       rt->idle_yield == 1   ? "yield"
                       : rt->idle_yield == 2 ? "sleep"
                                             : "busy");
                fflush(stdout);
        }
        rc = bl_rt_clock_sync(rt, 0);
        if (rc != 0) {
                *collective = 0;
                *eb = rt->eb;
                goto out_teardown;
        }
        /* One start instant for all: rank 0's clock reading, translated
         * into each rank's clock, so times since t0 compare across ranks. */
        uint64_t start;
        MPI_Barrier(comm);
        start = bl_now_ns();
        MPI_Bcast(&start, 1, MPI_UINT64_T, 0, comm);
        rt->t0 = (uint64_t)((int64_t)start - rt->clock_offset_ns);
        rt->t_measure = rt->t0 + (uint64_t)(cfg->experiment.warmup_s * 1e9);
        /* A run by ops ends its measured phase at the deadline at the
         * latest, so a quota that cannot be reached cannot hang the job. */
        rt->t_end =
            rt->t_measure + (uint64_t)((cfg->experiment.ops > 0 ? cfg->experiment.deadline_s
                                                                : cfg->experiment.duration_s) *
                                       1e9);
        rt->t_stop = UINT64_MAX;
        rt->t_last_op = rt->t_measure;
        rt->status_from = rt->t0;
        rt->next_status = opts->quiet ? UINT64_MAX : bl_rt_status_next(rt, rt->t0);
        rt->next_arrival = rt->t0;
        bl_rt_event(rt, BL_EV_PHASE, 0, 0);
        rc = loop(rt);
        if (rc == 0)
                rc = bl_rt_faults_close(rt);
        if (rc == 0)
                rc = drain(rt);
        /* The second clock estimate, now that no frame is in flight: the
         * drift between the two corrects every time this rank recorded. */
        if (rc == 0 && (rc = bl_rt_clock_sync(rt, 1)) == 0)
                bl_rt_clock_correct(rt);
        if (rc != 0) {
                *collective = 0;
                if (rt->eb.msg[0] == '\0')
                        bl_errf(&rt->eb, rc, "rank %d: %s", rt->rank, bl_strerror(rc));
                *eb = rt->eb;
                goto out_teardown;
        }
        rc = bl_rt_finish(rt, &base, opts, eb);
out_teardown:
        bl_free(base.rtt_row);
        teardown(rt);
        bl_free(rt);
        return rc;
}
