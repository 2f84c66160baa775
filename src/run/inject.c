/*
 * The fault schedule at run time. Every rank walks the same sorted plan and
 * decides alone what each fault means for it, so no coordination is needed:
 *  - crash/recover of rank:R or leader:S: the rank that is R, or that hosts
 *    the replica of shard S believing itself leader at that moment, goes
 *    down: its kernel instances and state machines are destroyed and only
 *    durable records survive (or, for a legacy kernel, kernel->crash), the
 *    transport drops all its data-plane traffic, its clients' outstanding
 *    operations become "unknown". The matching recover restarts the kernels
 *    from the records (create, replay, start) and the clients.
 *  - partition/heal, drop, duplicate, delay: installed in every rank's
 *    transport; decisions are made on the sending side (src/net/net.c).
 *  - pause: the target rank stops processing for the given time, at most
 *    until the end of the measured phase (a longer pause would hold the
 *    whole job: it is cut there, as main() warned at validation).
 *  - transfer: the leader of shard S hands over leadership (a kernel without
 *    transfer is refused at validation).
 *  - corrupt-wal rank:R: rank R, if it is down, damages its own log files
 *    (storage.c reads them back on recovery).
 * Faults fire during the measured phase only. One scheduled at or after its
 * end is not applied; bl_rt_faults_close records it as such.
 * A leader:S fault is resolved once, at its time, by every rank hosting a
 * replica of S: the one that believes it leads goes down. If none does (an
 * election is running), nothing happens; the missing crash event shows it.
 * Events: crash, recover, pause and transfer_ask by the rank concerned;
 * partition, heal and link faults once, by rank 0 (a = index of the fault in
 * the plan); fault_not_applied by rank 0 at the end.
 */
#include <mpi.h>
#include <stdio.h>
#include <time.h>

#include "common/alloc.h"
#include "run/clock.h"
#include "run/faults.h"
#include "run/rt.h"
#include "run/txn.h"
#include "run/run.h"

int bl_rt_faults_init(struct bl_rt *rt, const struct bl_fault_plan *plan)
{
        rt->faults = plan;
        if (plan == NULL || plan->n == 0)
                return 0;
        for (size_t i = 0; i < plan->n; i++)
                if (plan->f[i].kind == BL_FAULT_CORRUPT_WAL &&
                    rt->cfg->storage.mode == BL_STORAGE_MEMORY)
                        return bl_errf(&rt->eb, BL_ECONFIG,
                                       "fault schedule line %d: corrupt-wal needs a log on disk; "
                                       "set storage.mode = write or fsync",
                                       plan->f[i].line);
        rt->crashed_by = bl_calloc(plan->n, 1);
        if (rt->crashed_by == NULL)
                return bl_errf(&rt->eb, BL_ENOMEM, "out of memory for the fault schedule");
        bl_net_fault_seed(rt->net, rt->cfg->experiment.seed);
        return 0;
}

void bl_rt_faults_free(struct bl_rt *rt)
{
        bl_free(rt->crashed_by);
        rt->crashed_by = NULL;
}

/* Index of the replica of `shard` on this rank that believes it leads. */
static int leading_replica(const struct bl_rt *rt, int shard)
{
        if (shard < 0 || shard >= rt->cfg->cluster.shards || rt->rep_of_shard[shard] < 0)
                return -1;
        const struct bl_replica *r = &rt->reps[rt->rep_of_shard[shard]];
        if (r->crashed || rt->kern->leader(r->k) != r->member)
                return -1;
        return rt->rep_of_shard[shard];
}

static int is_target(struct bl_rt *rt, const struct bl_fault *f)
{
        if (f->target_kind == BL_TARGET_RANK)
                return f->target == rt->rank;
        if (f->target_kind == BL_TARGET_LEADER)
                return leading_replica(rt, f->target) >= 0;
        return 0;
}

static void crash_self(struct bl_rt *rt, uint64_t now, size_t idx)
{
        if (rt->crashed)
                return;
        rt->crashed = 1;
        rt->crashed_by[idx] = 1;
        for (int i = 0; i < rt->nreps; i++)
                bl_rt_replica_crash(rt, &rt->reps[i]);
        bl_rt_txn_crash(rt);
        bl_rt_storage_crash(rt);
        bl_net_isolate(rt->net, 1);
        bl_rt_clients_abandon(rt, now, 1);
        bl_rt_event(rt, BL_EV_CRASH, rt->rank, (int64_t)idx);
}

static void recover_self(struct bl_rt *rt, size_t crash_idx)
{
        if (!rt->crashed || !rt->crashed_by[crash_idx])
                return;
        rt->crashed_by[crash_idx] = 0;
        /* A log that cannot be trusted keeps the rank down (the storage
         * verdict reports it); a torn tail was cut and recorded. */
        if (bl_rt_storage_recover(rt) != 0)
                return;
        rt->crashed = 0;
        bl_net_isolate(rt->net, 0);
        for (int i = 0; i < rt->nreps; i++) {
                int rc = bl_rt_replica_recover(rt, &rt->reps[i]);

                if (rc != 0) {
                        bl_rt_fail(rt, rc, "recovering a replica from its persisted records");
                        return;
                }
        }
        if (bl_rt_txn_recover(rt) != 0) {
                bl_rt_fail(rt, BL_EPROTO, "recovering the commit layer from its records");
                return;
        }
        bl_rt_storage_replay_done(rt);
        rt->restart_clients = 1;
        bl_rt_event(rt, BL_EV_RECOVER, rt->rank, (int64_t)crash_idx);
}

static void link_rules(struct bl_rt *rt, const struct bl_fault *f, uint64_t now, size_t idx)
{
        static const enum bl_net_rule_kind kinds[] = {
            [BL_FAULT_DROP] = BL_NET_DROP,
            [BL_FAULT_DUP] = BL_NET_DUP,
            [BL_FAULT_DELAY] = BL_NET_DELAY,
        };
        for (int i = 0; i < f->nlinks; i++) {
                struct bl_net_rule r = {
                    .kind = kinds[f->kind],
                    .src = f->links[i].src,
                    .dst = f->links[i].dst,
                    .fraction = f->fraction,
                    .delay_ns = f->delay_ns,
                    .jitter_ns = f->jitter_ns,
                    .end_ns = f->for_ns ? now + f->for_ns : UINT64_MAX,
                };
                if (bl_net_add_rule(rt->net, &r) != 0) {
                        bl_rt_fail(rt, BL_ENOMEM, "installing a link fault");
                        return;
                }
        }
        if (rt->rank == 0)
                bl_rt_event(
                    rt, BL_EV_LINK_FAULT, (int64_t)idx,
                    (int64_t)(f->kind == BL_FAULT_DELAY ? f->delay_ns / 1000 : f->fraction * 1000));
}

/* Sleep for the pause, but not past the end of the measured phase: the
 * other ranks would wait for this one, however long the pause. */
static void pause_self(struct bl_rt *rt, const struct bl_fault *f, size_t idx, uint64_t now)
{
        uint64_t until = now + f->pause_ns;

        if (until > rt->t_end)
                until = rt->t_end;
        bl_rt_event(rt, BL_EV_PAUSE, rt->rank, (int64_t)idx);
        rt->pause_from = bl_now_ns();
        while ((now = bl_now_ns()) < until) {
                uint64_t left = until - now;
                struct timespec ts = {(time_t)(left / 1000000000ull), (long)(left % 1000000000ull)};
                nanosleep(&ts, NULL);
        }
        rt->pause_to = bl_now_ns();
        bl_rt_event(rt, BL_EV_RESUME, rt->rank, (int64_t)idx);
}

/* Damage a crashed rank's log on disk, before its recovery reads it. */
static void damage_wal(struct bl_rt *rt, const struct bl_fault *f, size_t idx)
{
        struct bl_errbuf eb = {{0}};
        int rc = f->wal_middle ? bl_wal_corrupt_middle(rt->storage_dir, &eb)
                               : bl_wal_corrupt_tail(rt->storage_dir, &eb);

        if (rc != 0) {
                /* Nothing on disk to damage (the rank never persisted): the
                 * missing wal_damage event shows it. */
                fprintf(stderr, "ballot: rank %d: corrupt-wal: %s\n", rt->rank, eb.msg);
                return;
        }
        bl_rt_event(rt, BL_EV_WAL_DAMAGE, rt->rank, (int64_t)idx);
}

static void fire(struct bl_rt *rt, const struct bl_fault *f, size_t idx, uint64_t now)
{
        int rc;

        switch (f->kind) {
        case BL_FAULT_CRASH:
                if (is_target(rt, f))
                        crash_self(rt, now, idx);
                break;
        case BL_FAULT_RECOVER:
                recover_self(rt, (size_t)f->crash_id);
                break;
        case BL_FAULT_PARTITION:
                if ((rc = bl_net_partition(rt->net, f->group_of_rank)) != 0)
                        bl_rt_fail(rt, rc, "installing a partition");
                rt->partitioned = 1;
                rt->partition_end = f->for_ns ? now + f->for_ns : 0;
                if (rt->rank == 0)
                        bl_rt_event(rt, BL_EV_PARTITION, (int64_t)idx, f->ngroups);
                break;
        case BL_FAULT_HEAL:
                bl_net_partition(rt->net, NULL);
                rt->partitioned = 0;
                rt->partition_end = 0;
                if (rt->rank == 0)
                        bl_rt_event(rt, BL_EV_HEAL, (int64_t)idx, 0);
                break;
        case BL_FAULT_DROP:
        case BL_FAULT_DUP:
        case BL_FAULT_DELAY:
                link_rules(rt, f, now, idx);
                break;
        case BL_FAULT_PAUSE:
                if (is_target(rt, f))
                        pause_self(rt, f, idx, now);
                break;
        case BL_FAULT_CORRUPT_WAL:
                if (f->target == rt->rank && rt->crashed && rt->storage_dir[0] != '\0')
                        damage_wal(rt, f, idx);
                break;
        case BL_FAULT_TRANSFER: {
                int i = leading_replica(rt, f->target);
                if (i < 0 || rt->kern->transfer == NULL)
                        break;
                /* The request is a fault row; the kernel records the
                 * transfer itself (BL_EV_TRANSFER). */
                bl_rt_event(rt, BL_EV_TRANSFER_ASK, rt->rank, (int64_t)idx);
                rt->kern->transfer(rt->reps[i].k, f->to_member);
                break;
        }
        default:
                break;
        }
}

void bl_rt_faults_step(struct bl_rt *rt, uint64_t now)
{
        const struct bl_fault_plan *plan = rt->faults;

        if (plan == NULL)
                return;
        if (rt->partition_end != 0 && now >= rt->partition_end) {
                bl_net_partition(rt->net, NULL);
                rt->partitioned = 0;
                rt->partition_end = 0;
                if (rt->rank == 0)
                        bl_rt_event(rt, BL_EV_HEAL, -1, 0);
        }
        while (rt->next_fault < plan->n && rt->t0 + plan->f[rt->next_fault].at_ns <= now &&
               rt->t0 + plan->f[rt->next_fault].at_ns < rt->t_end) {
                fire(rt, &plan->f[rt->next_fault], rt->next_fault, now);
                rt->next_fault++;
        }
}

int bl_rt_faults_close(struct bl_rt *rt)
{
        const struct bl_fault_plan *plan = rt->faults;
        uint64_t mine = rt->next_fault, fired = 0;
        int rc;

        if (plan == NULL || plan->n == 0)
                return 0;
        /* Every rank walks the same plan; the ones no rank reached were not
         * applied anywhere. */
        MPI_Allreduce(&mine, &fired, 1, MPI_UINT64_T, MPI_MAX, rt->comm);
        if (rt->rank != 0)
                return 0;
        for (size_t i = (size_t)fired; i < plan->n; i++) {
                rc = bl_evlog_add(&rt->ev, plan->f[i].at_ns, rt->rank, BL_EV_FAULT_SKIPPED,
                                  (int64_t)i, 1);
                if (rc != 0)
                        return bl_errf(&rt->eb, rc, "recording a fault not applied");
        }
        return 0;
}

int bl_rt_faults_active(struct bl_rt *rt, uint64_t now)
{
        int n = rt->crashed;

        if (rt->rank == 0)
                n += rt->partitioned + bl_net_active_rules(rt->net, now);
        return n;
}

int bl_faults_check_run(const char *path, const struct bl_fault_plan *plan,
                        const struct bl_config *cfg, FILE *warn, struct bl_errbuf *eb)
{
        const struct bl_kernel *k = bl_kernel_find(cfg->experiment.repl);
        /* A run by ops ends at its deadline at the latest (runtime.c). */
        int by_ops = cfg->experiment.ops > 0;
        double end_s = cfg->experiment.warmup_s +
                       (by_ops ? cfg->experiment.deadline_s : cfg->experiment.duration_s);
        const char *what = by_ops ? "warm-up + deadline" : "warm-up + duration";
        uint64_t end_ns = (uint64_t)(end_s * 1e9);
        char text[160];

        for (size_t i = 0; i < plan->n; i++) {
                const struct bl_fault *f = &plan->f[i];

                bl_faults_describe(f, text, sizeof(text));
                if (f->kind == BL_FAULT_TRANSFER && (k == NULL || k->transfer == NULL))
                        return bl_errf(eb, BL_ECONFIG,
                                       "%s:%d: \"%s\": kernel '%s' has no leadership transfer; "
                                       "remove the line or use a kernel with leaders",
                                       path, f->line, text, cfg->experiment.repl);
                if (warn == NULL)
                        continue;
                if (f->at_ns >= end_ns)
                        fprintf(warn,
                                "ballot: warning: %s:%d: \"%s\" is timed after the end of the "
                                "run (%.3gs: %s); it will not be applied\n",
                                path, f->line, text, end_s, what);
                else if (f->kind == BL_FAULT_PAUSE && f->at_ns + f->pause_ns > end_ns)
                        fprintf(warn,
                                "ballot: warning: %s:%d: \"%s\" outlasts the run (%.3gs: %s); "
                                "the pause will be cut at the end\n",
                                path, f->line, text, end_s, what);
        }
        return 0;
}
