/* Deterministic simulator: any protocol kernel in one process, simulated clock, seeded faults. */
#ifndef BL_SIM_SIM_H
#define BL_SIM_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "config/config.h"
#include "kernels/kernel.h"

/*
 * The simulator runs `nodes` simulated nodes in one process. Each node hosts
 * one kernel instance per shard it holds a replica of. Nothing reads a real
 * clock: time is a 64-bit nanosecond counter that jumps from event to event.
 *
 * Placement. Shard s has `replicas` members; member m of shard s lives on
 * node (s + m) % nodes. With one shard (or for shard 0) member m is node m.
 * bl_sim_node_of() and bl_sim_member_of() convert.
 *
 * Event queue. A binary heap ordered by (time, sequence number), where the
 * sequence number is assigned when the event is inserted: events due at the
 * same nanosecond fire in insertion order (ties go to the earlier inserted
 * event). bl_sim_step() fires exactly one event. Event kinds:
 *   - message delivery between two members of a group;
 *   - node tick: every tick_ns per node, each node with a seeded phase offset
 *     in [0, tick_ns); ticks are skipped (but keep their cadence) while the
 *     node is crashed;
 *   - client events: request arrival at a node, reply arrival at a client,
 *     client send (after a backoff) and client timeout.
 *
 * Determinism. All randomness comes from streams seeded from opts.seed (one
 * for the network, one for the clients, one per kernel instance for
 * env->random) and from the seed given to bl_sim_random_schedule(). The same
 * opts and the same sequence of calls replay exactly: same events, same
 * history, same digests.
 *
 * Network. send() enqueues a delivery after a latency drawn uniformly in
 * [lat_min_ns, lat_max_ns] plus any delay set with bl_sim_set_delay(),
 * unless it is dropped (probability `drop`); with probability `dup` a second
 * copy is enqueued with its own latency. Links either reorder (each message
 * has its own latency, so later ones may overtake) or are FIFO per ordered
 * pair of nodes, as MPI is per pair of ranks: a message is never delivered
 * before one sent earlier on the same link (its delivery time is raised to
 * the previous one's, and equal times keep insertion order). opts.links picks
 * one, or draws one per seed (BL_SIM_LINKS_MIXED, the default), so random
 * schedules cover both. A message sent across a partition is lost at the
 * sender, as in the MPI runtime (src/net/net.c decides on the sending side);
 * one already in flight when the partition starts is delivered. At delivery
 * time it is discarded when the receiving node is crashed. A message already
 * sent when its sender crashes is still
 * delivered, as the MPI runtime delivers what a crashed rank had sent and
 * releases delayed frames after a recovery: answers to requests of a
 * previous incarnation reach their peers. Messages to self are delivered
 * like any other.
 *
 * Clients. `clients` sessions live outside the nodes (they are not subject to
 * partitions or delays, only to drop/dup and crashed nodes). Each has one
 * request outstanding: GET, PUT, INSERT, RMW (each write with a unique value
 * token) or INCR (delta 1) over keys 0..keys-1, chosen uniformly among the
 * ops in op_mask (by default all five, so YCSB D's inserts and F's
 * read-modify-writes run under faults too). A request goes to the
 * client's believed leader of the key's shard (at first a random member).
 * kernel->submit() returning BL_ENOTLEADER sends a redirect back (through the
 * network) carrying kernel->leader() as a hint; the client retries there, or
 * at another member when there is no hint, after a short backoff. BL_EBUSY or
 * BL_ENOMEM: retry the same member after the backoff. No reply within
 * client_timeout_ns: retry the SAME (client id, seq) at the next member (the
 * store deduplicates). A reply for the current seq completes the operation
 * and records it in the history with outcome OK; operations still outstanding
 * when the history is read are reported with outcome UNKNOWN. Client ids are
 * 1..clients, seqs start at 1. A request sent to a crashed node gets no
 * answer (it times out).
 *
 * Disk. Kernels on the persistence seam (kernel->replay != NULL) persist
 * records through env->persist(). Each node has one disk, shared by its
 * instances as a rank's write-ahead log is: a record's append completes
 * after a latency drawn from [disk_append_min_ns, disk_append_max_ns]
 * (appends complete in order); one sync runs at a time and covers every
 * append completed when it started (group commit), completing after a
 * latency drawn from [disk_sync_min_ns, disk_sync_max_ns]; then each
 * instance on the node gets kernel->durable(). With all four at 0 (memory
 * mode) a record is durable in the next event at the same instant, never
 * inside the kernel's call. A crash destroys the node's instances and
 * stores, and loses every record the last completed sync did not cover
 * (counted in records_lost); recovery creates new instances, replay()s each
 * one's surviving records in order and start()s it. env->compact() drops a
 * prefix. Kernels without replay() get the legacy crash()/recover() calls.
 *
 * State machine. Each instance has its own bl_kv, preloaded with
 * opts.records records (keys below it start as key + 1, the others absent;
 * the linearizability check starts from the same state). env->apply decodes the command, applies
 * it, and when reply != 0 sends the result to the client through the network (it can be lost).
 * env->snapshot / env->restore map to bl_kv_snapshot / bl_kv_restore; restore(NULL) resets the kv
 * (bl_kv_reset).
 *
 * Checks. After every apply or restore, the simulator compares the replica's
 * digest after n applied mutations with the digest any replica of the shard
 * (including itself, before a crash) had after n mutations: every pair of
 * replicas must agree on their common prefix, and a replica that re-applies
 * its log must reproduce the digests it had. Every BL_EV_LEADER event (a =
 * term) is checked for election safety: at most one node per term per shard.
 * opts.invariant, when set, runs after every event. The first violation is
 * kept (sticky) and reported by bl_sim_check() and bl_sim_violation();
 * bl_sim_run_for() and bl_sim_settle() stop early once there is one.
 *
 * Transactions (opts.commit = BL_SIM_COMMIT_2PC; issue 11). Every node
 * hosts one commit layer (struct bl_tpc, kernels/twopc/twopc.h) beside its
 * kernel instances, and each instance's state machine is a struct bl_txs
 * (store/txn.h) instead of a bl_kv: env->apply decodes transaction commands
 * and applies them (a DECIDE refused with BL_EINVAL is the "first DECIDE
 * wins" rule, counted in txn_refused_decides, not a failure), then hands
 * the completion to the node's commit layer (bl_tpc_applied, the votes
 * bl_txs_next_vote pops, bl_tpc_dropped); a completion that happens inside
 * a call of that commit layer (the none kernel serves a read inside submit) is
 * handed over in an event at the same instant instead, as "later" in
 * twopc.h says. Snapshots are bl_txs snapshots behind the applied count.
 * Settle barriers are DECIDE aborts of txn ids below 1 << 32 (no client's),
 * proposed by the simulator itself and never shown to the commit layer.
 * The commit layer's environment:
 *   send_shard  to the node this node believes leads the shard: its own
 *               instance's kernel->leader() when it holds a replica and
 *               knows, else a per-node guess, learned from the senders of
 *               VOTE, ACK and QUERY (they lead the shard they name). A node
 *               that receives a message for a shard it does not lead
 *               forwards it once, to its own belief (rotating its guess when
 *               it has none); after one forward it is delivered anyway;
 *   send_rank   to that node. Both go through the simulated network
 *               (latency, partitions, link faults, delays, FIFO), counted
 *               with the kernels' messages;
 *   propose     kernel->submit on the node's instance of the shard, with
 *               the commit layer's tag;
 *   store       that instance's bl_txs;
 *   persist     the node's disk, as kernel records: a 2pc/none
 *               coordinator's decision survives a crash only once synced,
 *               and bl_tpc_durable follows each sync;
 *   done        the transaction client (below).
 * The mode is 2pc/none (replicated = 0) with the none kernel, 2PC over a
 * replicated kernel otherwise. A crash destroys the node's commit layer
 * with its instances and loses its unsynced records; recovery creates a new
 * one, bl_tpc_replay()s its surviving records, restarts the instances, then
 * bl_tpc_start()s it. Ticks reach the commit layer after the instances.
 *
 * Transaction clients. `clients` sessions draw transactions from bl_txngen
 * (load/txn.h: opts.txn, or the defaults of opts.txn_workload with `keys`
 * keys and the run's shards; session i of clients, seeded by opts.seed),
 * one outstanding each; a ycsb-t RMW becomes READ then WRITE of the key.
 * Ids are (client id << 32) | n, n counting the client's transactions from
 * 1; the wait-die age is the first send time. With 2pc/none a client is
 * attached to a node (opts.client_node[i], else node i % nodes), which
 * coordinates its transactions (bl_tpc_begin there, results back at the same
 * instant, no network): when that node crashes, the transaction in flight
 * is recorded with outcome UNKNOWN and the client waits for the recovery.
 * Over a replicated kernel a client sends each transaction (through the
 * network, drop and dup apply, partitions do not) to the node it believes
 * leads the first shard, follows BL_ENOTLEADER redirects and hints, and
 * resends the SAME id to the next member after client_timeout_ns. A result
 * for an id that already has another outcome is a violation (two different
 * outcomes reported for one transaction).
 *
 * Verdicts (bl_sim_check in transaction mode, after the digests):
 *   serializable  list-append: the committed, aborted and unknown
 *                 transactions as a bl_txn_history (reads with the
 *                 transaction's own earlier appends, outstanding ones
 *                 unknown), judged by bl_ser_check with real time: both
 *                 serializability and strict serializability must be
 *                 shown; an anomaly or an inconclusive check fails;
 *   bank          every committed audit sees the initial total (bl_check_bank);
 *   and, once the run is settled (no transaction outstanding, none waiting
 *   or in doubt on any replica, the replicas of each shard equally applied,
 *   and a barrier proposed through every shard's leader after that applied
 *   on every replica, so that recovered replicas re-applied what their
 *   group chose: bl_sim_settle waits for all that in this mode, and the
 *   check right after it judges):
 *   atomicity     bl_check_atomicity of the client outcomes against the
 *                 commit log of member m of every shard, for every m: every
 *                 replica's log, not just one;
 *   bank          the final state holds the initial total, too.
 * bl_sim_history() is NULL in this mode (no single-key history).
 *
 * Crashes apply to every kernel, none included: the none kernel logs each
 * write before it applies it and snapshots its store, so its only replica
 * comes back with what it acknowledged. A kernel that persists nothing
 * comes back with the preloaded store: new writes then produce digests that
 * differ from the ones recorded before the crash, and lost writes break
 * linearizability (tests/sim/test_sim_none.c keeps such a kernel, the old
 * none, to show that the checks catch it).
 *
 * Not thread-safe; one simulator per thread. Nothing here performs I/O.
 */

struct bl_sim;
struct bl_history;
struct bl_kv;

/* Fault kinds a random schedule may use (bl_sim_opts.fault_mask). */
#define BL_SIM_F_CRASH     0x1u /* crash and recover nodes */
#define BL_SIM_F_PARTITION 0x2u /* split nodes into two sides, heal */
#define BL_SIM_F_LINK      0x4u /* drop / duplicate phases */
#define BL_SIM_F_ALL       0x7u

/* Link models (bl_sim_opts.links). */
#define BL_SIM_LINKS_REORDER 0 /* independent latencies: later messages may overtake */
#define BL_SIM_LINKS_FIFO    1 /* per ordered node pair, as MPI */
#define BL_SIM_LINKS_MIXED   2 /* each simulator (seed) draws one of the two */

/* Commit modes (bl_sim_opts.commit). */
#define BL_SIM_COMMIT_OFF 0 /* single-key kv clients */
#define BL_SIM_COMMIT_2PC 1 /* transactions through 2PC (see Transactions) */

struct bl_txn_params;
struct bl_txs;
struct bl_tpc;

struct bl_sim_opts {
        const struct bl_kernel *kernel; /* required */
        const struct bl_config *cfg;    /* handed to kernel->create; NULL: defaults
                                         * (bl_config_defaults); copied */
        int nodes;                      /* >= 1 */
        int shards;                     /* >= 1 (groups) */
        int replicas;                   /* members per shard, 1..nodes; 0: nodes */
        uint64_t seed;
        uint64_t lat_min_ns, lat_max_ns; /* per message, uniform; 1 <= min <= max */
        double drop, dup;                /* link fault probabilities in [0, 1) */
        int clients;                     /* client sessions, >= 0 */
        uint64_t keys;                   /* keys the clients use (small: contention), >= 1 */
        uint64_t records;                /* preloaded keys [0, records), value key + 1 */
        uint32_t op_mask;                /* 1u << BL_OP_* (store/cmd.h), any non-empty
                                          * subset */
        int links;                       /* BL_SIM_LINKS_*; nodes <= 1024 unless reorder */
        /* The disk model (see Disk): append and sync latencies, uniform in
         * [min, max]; all 0 (the default) is storage.mode = memory. */
        uint64_t disk_append_min_ns, disk_append_max_ns;
        uint64_t disk_sync_min_ns, disk_sync_max_ns;
        uint64_t client_timeout_ns; /* retry after this long without a reply */
        uint64_t client_backoff_ns; /* wait before retrying after a redirect */
        uint64_t tick_ns;           /* node tick period; 0: cfg cluster.tick_us */
        int record_history;         /* keep the client history (for linearizability) */
        unsigned fault_mask;        /* BL_SIM_F_*: what random schedules may inject */
        uint64_t crash_nodes;       /* random schedules crash only these nodes (bit i:
                                     * node i, below 64); 0: any node */
        /* Kernel-specific invariant, called after every event when set (e.g.
         * Raft log matching, leader completeness). Return 0, or non-zero with
         * a message in eb: the violation becomes sticky (see Checks). */
        int (*invariant)(void *arg, struct bl_sim *s, struct bl_errbuf *eb);
        void *invariant_arg;
        /* Transaction mode (see Transactions). */
        int commit;                      /* BL_SIM_COMMIT_* */
        int txn_workload;                /* enum bl_txn_workload (load/txn.h) */
        const struct bl_txn_params *txn; /* NULL: defaults of txn_workload, `keys` keys;
                                          * seed, session, nsessions, shards: the run's */
        int txn_cc;                      /* enum bl_txs_cc */
        const int *client_node;          /* 2pc/none: node of client i; NULL: i % nodes */
        /* Commit layer timers (bl_tpc_cfg); 0: 10 ms, 100 ms and 50 ms. */
        uint64_t tpc_retry_ns, tpc_timeout_ns, tpc_query_ns;
};

/* Counters about a run; all start at 0. */
struct bl_sim_stats {
        uint64_t events;         /* events fired */
        uint64_t msgs_sent;      /* kernel send() calls */
        uint64_t msgs_delivered; /* kernel recv() calls */
        uint64_t msgs_dropped;   /* lost: drop, partition, crashed endpoint */
        uint64_t msgs_duplicated;
        uint64_t msgs_malformed; /* recv() returned BL_EPROTO */
        uint64_t ticks;          /* node ticks delivered */
        uint64_t applies;        /* env->apply calls */
        uint64_t client_sends;   /* requests sent by clients (first tries and retries) */
        uint64_t client_retries; /* re-sends of an outstanding (client, seq) */
        uint64_t client_timeouts;
        uint64_t client_redirects;
        uint64_t replies_lost; /* replies to clients lost in the network */
        uint64_t completed;    /* client operations completed */
        uint64_t crashes, recoveries, partitions;
        uint64_t records;      /* records persisted by kernels */
        uint64_t syncs;        /* disk syncs started */
        uint64_t records_lost; /* persisted records a crash destroyed before a sync */
        uint64_t kernel_events[BL_EV__COUNT]; /* env->event calls by type (common/events.h) */
        /* Transaction mode. */
        uint64_t txn_committed, txn_aborted, txn_unknown; /* client outcomes */
        uint64_t txn_aborts[8];       /* aborted by reason (enum bl_tpc_abort) */
        uint64_t txn_refused_decides; /* DECIDEs refused by first-decide-wins (per replica) */
        uint64_t txn_forwards;        /* commit-layer messages forwarded by a non-leader */
        uint64_t txn_audits;          /* committed audits judged */
        uint64_t txn_blocked_max_ns;  /* longest blocking window (bl_txs_stats) of any
                                       * live replica: prepared, waiting for a decision */
};

/* Defaults: 3 nodes, 1 shard, replicas = nodes, seed 1, latency 50..500 us, no
 * link faults, links mixed, 3 clients, 5 keys of which 2 preloaded, all five
 * ops, timeout 50 ms, backoff 2 ms, tick from cfg, history on, fault_mask
 * BL_SIM_F_ALL. kernel and cfg NULL. Cannot fail. */
void bl_sim_opts_default(struct bl_sim_opts *o);

/* Create a simulator and every kernel instance; nothing runs yet (clients are
 * off until bl_sim_clients(s, 1)). Returns NULL with a message in eb on bad
 * options (BL_EINVAL-worthy) or when memory or a kernel instance could not
 * be allocated. */
struct bl_sim *bl_sim_create(const struct bl_sim_opts *o, struct bl_errbuf *eb);

/* Free everything, including instances and pending events. NULL is a no-op. */
void bl_sim_destroy(struct bl_sim *s);

/* Fire exactly one event (the earliest; ties by insertion order). Returns 1,
 * or 0 when nothing is pending. */
int bl_sim_step(struct bl_sim *s);

/* Fire every event due at or before now + ns, then set the clock to now + ns.
 * Stops early (clock at the last event) when a violation is recorded. */
void bl_sim_run_for(struct bl_sim *s, uint64_t ns);

/* Simulated time, ns since creation. */
uint64_t bl_sim_now(const struct bl_sim *s);
/* Events fired so far. */
uint64_t bl_sim_events(const struct bl_sim *s);
void bl_sim_get_stats(const struct bl_sim *s, struct bl_sim_stats *out);

/* Crash a node: its instances and stores are destroyed and its unsynced
 * records lost (see Disk; legacy kernels: kernel->crash); messages that
 * arrive for it are dropped and its ticks skipped until bl_sim_recover()
 * (messages it sent before the crash are still delivered). No-op if already
 * crashed or out of range. */
void bl_sim_crash(struct bl_sim *s, int node);
/* Recreate every instance of that node from its durable records (legacy
 * kernels: kernel->recover). No-op if not crashed. */
void bl_sim_recover(struct bl_sim *s, int node);
/* 1 if the node is crashed. */
int bl_sim_crashed(const struct bl_sim *s, int node);
/* side[node] = group id for every node; from now on only messages sent
 * between nodes of the same group deliver. Replaces any previous partition. */
void bl_sim_partition(struct bl_sim *s, const int *side);
/* Remove the partition: every link delivers again. */
void bl_sim_heal(struct bl_sim *s);
/* Change the link fault probabilities (clamped to [0, 0.99]). */
void bl_sim_set_link_faults(struct bl_sim *s, double drop, double dup);
/* Delay messages from node `from` to node `to` (-1: any node) sent from now
 * on by delay_ns +- jitter_ns (uniform; jitter clamped to delay), as the
 * runtime's `delay` fault. Replaces the rule of the same (from, to); delay_ns
 * 0 removes it. When several rules match a message, the largest draw counts.
 * Messages already in flight keep their time. Returns 0, BL_EINVAL for a node
 * out of range, BL_EBUSY when 16 rules are set already. */
int bl_sim_set_delay(struct bl_sim *s, int from, int to, uint64_t delay_ns, uint64_t jitter_ns);
/* Remove every delay rule. */
void bl_sim_clear_delays(struct bl_sim *s);
/* 1 when this simulator's links are FIFO (opts.links, or the draw for mixed). */
int bl_sim_fifo(const struct bl_sim *s);
/* Clients submit new operations while on. Turning them off lets outstanding
 * operations finish (they keep retrying) but starts no new ones. */
void bl_sim_clients(struct bl_sim *s, int on);

/* Placement: node hosting member `member` of `shard`, or -1 if out of range. */
int bl_sim_node_of(const struct bl_sim *s, int shard, int member);
/* Member index of `node` in `shard`'s group, or -1 if it holds no replica. */
int bl_sim_member_of(const struct bl_sim *s, int node, int shard);
/* Members per shard. */
int bl_sim_replicas(const struct bl_sim *s);

/* The kernel instance of node for shard, for white-box checks; NULL when the
 * node holds no replica of that shard. Valid until bl_sim_destroy(). */
void *bl_sim_instance(struct bl_sim *s, int node, int shard);
/* The store of that replica; NULL as above. */
struct bl_kv *bl_sim_kv(struct bl_sim *s, int node, int shard);

/* Node whose instance of `shard` says it leads (kernel->leader(k) == its own
 * member index), among nodes that are not crashed. If several do (an old
 * leader not yet deposed), the one with the highest kernel stats term; ties
 * (or no stats) go to the lowest node. -1 when none. */
int bl_sim_leader(const struct bl_sim *s, int shard);

/* Transaction mode: the store of that replica (NULL as above, or crashed)
 * and the node's commit layer (NULL while crashed). */
struct bl_txs *bl_sim_txs(struct bl_sim *s, int node, int shard);
struct bl_tpc *bl_sim_tpc(struct bl_sim *s, int node);
/* Transaction mode: what the client recorded for txn: BL_OUT_OK
 * (committed), BL_OUT_FAIL (aborted), BL_OUT_UNKNOWN, or -1 when it has no
 * outcome yet (outstanding, or never issued). */
int bl_sim_txn_outcome(const struct bl_sim *s, uint64_t txn);

/* Client operations completed / still outstanding. */
uint64_t bl_sim_completed(const struct bl_sim *s);
uint64_t bl_sim_pending(const struct bl_sim *s);
/* Number of events of `type` (common/events.h) emitted by kernels so far. */
uint64_t bl_sim_event_count(const struct bl_sim *s, int type);

/* The first recorded violation (digest divergence, two leaders in a term, the
 * invariant hook): 0 if none, else BL_ECHECK with its message in eb. */
int bl_sim_violation(const struct bl_sim *s, struct bl_errbuf *eb);

/* Safety checks: any recorded violation, then the digest prefixes of every
 * pair of replicas of each shard, then (when record_history) linearizability
 * of the history (completed ops plus outstanding ones as UNKNOWN) with
 * bl_lin_check, from opts.records. Returns 0, BL_ECHECK with a message naming the
 * shard / nodes / key, or BL_ENOMEM. */
int bl_sim_check(struct bl_sim *s, struct bl_errbuf *eb);

/* Apply a random fault schedule drawn from `seed` over fault_ns of simulated
 * time (running the simulator meanwhile): crashes and recoveries, partitions
 * and heals, drop/duplicate and delay phases, as allowed by opts.fault_mask.
 * Then heal, recover every node, clear the delays and restore the link faults
 * of opts. desc (may be NULL) receives a human-readable description ("fifo
 * links; t=12.500ms crash 2; ..."), cut with "..." when desc_len is too
 * small; the schedule is replayed by the same seed. Returns 0, or BL_ECHECK when a violation was
 * recorded meanwhile (the schedule then stops early). */
int bl_sim_random_schedule(struct bl_sim *s, uint64_t seed, uint64_t fault_ns, char *desc,
                           size_t desc_len);

/* Liveness: turn clients off and run until every outstanding client op has
 * completed or max_ns passed. Returns 0, or BL_ECHECK with a message naming
 * how many ops (and the first few: client, seq, key, op) are still pending,
 * or the violation recorded meanwhile. */
int bl_sim_settle(struct bl_sim *s, uint64_t max_ns, struct bl_errbuf *eb);

/* The client history: completed operations (outcome OK) followed by the
 * operations still outstanding (outcome UNKNOWN, return_ns UINT64_MAX). NULL
 * when record_history is off or memory ran out. Valid until the next call
 * that runs the simulator or bl_sim_destroy(). */
const struct bl_history *bl_sim_history(const struct bl_sim *s);

/*
 * One seed of a random-schedule test, as tests and `ballot sim` run it:
 * create with base (seed replaced), clients on, bl_sim_random_schedule(seed,
 * fault_ns), bl_sim_check (safety under faults, outstanding ops UNKNOWN),
 * bl_sim_settle(settle_ns) (liveness), bl_sim_check again, destroy. Returns
 * 0, or the failing code with the message in eb prefixed "faults (t=N ns): "
 * or "settle (t=N ns): " (BL_EINVAL when the simulator could not be created:
 * bad options or out of memory, eb says which). desc (may be NULL) receives
 * the schedule; st (may be NULL) the run's counters.
 */
int bl_sim_run_seed(const struct bl_sim_opts *base, uint64_t seed, uint64_t fault_ns,
                    uint64_t settle_ns, char *desc, size_t desc_len, struct bl_sim_stats *st,
                    struct bl_errbuf *eb);

/*
 * `ballot sim CONFIG.ini [options]`: random-schedule simulation of the
 * config's replication kernel, no MPI. argv[0] is the command name ("sim").
 * Prints a replay line for every failing seed and a summary. Returns the
 * process exit status: 0 every seed passed, 1 run-time error, 2 usage or
 * configuration error, 3 a check failed. `ballot sim --help` lists options.
 */
int bl_sim_main(int argc, char **argv);

#endif
