/* Internal state of one rank's runtime, shared by the files of src/run. */
#ifndef BL_RUN_RT_H
#define BL_RUN_RT_H

#include <mpi.h>
#include <stdint.h>

#include "check/history.h"
#include "check/sample.h"
#include "common/clockfit.h"
#include "common/rng.h"
#include "config/config.h"
#include "kernels/kernel.h"
#include "load/workload.h"
#include "metrics/evlog.h"
#include "metrics/hist.h"
#include "metrics/series.h"
#include "net/net.h"
#include "store/cmd.h"
#include "store/kv.h"
#include "storage/wal.h"
#include "topo/topo.h"

/* One replica of one shard hosted on this rank: a kernel instance and its
 * state machine. The kernel's env.ctx points here. */
struct bl_txs;
struct bl_rt_txn;

struct bl_replica {
        struct bl_rt *rt;
        int shard;
        int member;
        const int *ranks;   /* member -> rank, into rt->place */
        struct bl_kv *kv;   /* single-key runs */
        struct bl_txs *txs; /* transaction runs (run/txn.h), instead of kv */
        uint64_t txs_index; /* log index of the last command applied to txs */
        void *k;
        struct bl_rng rng;
        int crashed;
        /* Persistence (run/storage.c): the highest sequence number this
         * instance persisted in the rank's log, and the highest reported
         * durable to it through kernel->durable(). */
        uint64_t persisted, durable;
};

/* A proposal this rank's replicas accepted and still answer for, by client:
 * the tag of a client's proposal is its client id + 1, and a client has at
 * most one request outstanding, so the table is indexed by client id. */
struct bl_pending {
        uint64_t seq; /* 0: none */
        uint32_t origin;
        int shard;
};

/* A client session: at most one request outstanding (so the store can apply
 * each (client, seq) at most once). */
struct bl_session {
        uint32_t id; /* global session id: the client id in commands */
        int busy;
        struct bl_cmd cmd;
        uint64_t invoke_ns; /* when the op was due (open loop: intended time) */
        uint64_t sent_ns;   /* last (re)transmission */
        uint64_t resend_at; /* back-off after a redirect: resend then; 0 = none */
        int member;         /* member the last attempt went to */
        struct bl_workload wl;
};

enum bl_phase { BL_PHASE_WARMUP, BL_PHASE_MEASURE, BL_PHASE_DRAIN, BL_PHASE_DONE };

struct bl_rt {
        const struct bl_config *cfg;
        const struct bl_kernel *kern;
        struct bl_net *net;
        MPI_Comm comm;
        int rank;
        int size;
        int nserver;   /* ranks 0..nserver-1 host replicas */
        int is_client; /* this rank hosts client sessions */
        int nclient_ranks;
        int idle_yield;              /* resolved idle policy: 0 busy, 1 yield, 2 sleep */
        int node_ranks;              /* ranks on this node */
        int node_cores;              /* hardware threads available to this node's ranks */
        int local_rank;              /* index among the ranks of this node */
        struct bl_binding_info bind; /* pinning obtained */
        char hwloc_version[64];
        int *node_of_rank; /* [size]: node id (world rank of the node's first rank) */
        int *numa_of_rank; /* [size]: NUMA domain within the node, -1 unknown */
        /* Clock offsets to rank 0 (0 on rank 0's node unless BL_CLOCK_SYNC=all):
         * clock_offset_ns is rank 0's clock minus this rank's, estimated
         * before the run; clock_err_ns bounds its error, and after the end
         * estimate (bl_rt_clock_sync with end = 1) the error of the drift
         * fit. clock_samples holds this rank's exchanges of both estimates. */
        int64_t clock_offset_ns;
        uint64_t clock_err_ns;
        int clock_synced; /* this rank estimated its offset (another node, or forced) */
        struct bl_clock_sample clock_a, clock_b;
        struct bl_clock_sample *clock_samples;
        size_t n_clock_samples;
        struct bl_clock_fit clock_fit;

        int *place; /* [shards * replicas]: rank of (shard, member) */
        struct bl_replica *reps;
        int nreps;
        int *rep_of_shard; /* [shards]: index into reps or -1 */
        int *leader_rank;  /* [shards]: client-side belief, rank */
        struct bl_pending *pending;
        size_t npending;

        struct bl_session *sess;
        int nsess;
        uint32_t sess_base;
        uint32_t nsess_total;
        int *free_sess; /* stack of idle session indices: O(1) lookup per arrival */
        int nfree;
        uint64_t ops_quota; /* ops mode: measured operations this rank issues; 0 = by time */
        uint64_t issued;
        uint64_t issued_measured; /* issued with an intended time in the measured window */
        double rate_per_ns;       /* open loop: arrivals per ns on this rank; 0 = closed */
        /* Open loop: intended time of the oldest arrival not yet issued. The
         * arrivals form a FIFO queue that is never stored: every arrival at
         * or before now that has no session yet is waiting, and the next one
         * to get a session is next_arrival (the arrival stream is drawn
         * lazily from its own generator, in order). */
        uint64_t next_arrival;
        uint64_t next_scan; /* next timeout scan */
        struct bl_rng arrivals;

        /* Clock: t0 is the start of the workload (warm-up included). */
        uint64_t t0, t_measure, t_end, t_drain_end;
        uint64_t t_stop;    /* when the measured phase ended (drain began) */
        int deadline_hit;   /* ops mode: experiment.deadline_s ended the run */
        uint64_t t_last_op; /* last completion (ops mode duration) */
        enum bl_phase phase;

        /* Measurements. */
        struct bl_hist lat[BL_OP__COUNT];
        uint64_t errors[BL_OP__COUNT];
        uint64_t measured_ops; /* completed (ok or error) with intended time in the window */
        uint64_t warmup_ops;
        /* Every intended operation of the measured window ends in exactly one
         * of: ok (in lat), error (errors), unfinished (sent, no answer by the
         * end; in lat with the time it waited, a lower bound), unserved
         * (never sent: no free session before the end; in lat_unserved with
         * the time it waited) or lost (waiting for a session when its client
         * crashed). */
        uint64_t unfinished[BL_OP__COUNT];
        uint64_t unserved, lost;
        struct bl_hist lat_unserved;
        /* The measured window by completion time: it opens when the
         * measured phase starts and closes when it ends (by time) or when
         * this rank's clients are done (by ops). Traffic per operation is
         * counted over it only, so warm-up, drain and settle traffic stay
         * out. counters: data-plane frames, their bytes, MPI messages,
         * write-ahead log syncs and bytes written. */
        int window_open;
        uint64_t t_window_close;
        uint64_t achieved_ok;             /* ok completions while the window was open */
        uint64_t window_done;             /* completions (ok or error) while it was open */
        uint64_t win_ctr0[5], win_ctr[5]; /* frames, bytes, MPI messages, WAL syncs, disk bytes */
        uint64_t retries, timeouts, redirects; /* client side, reported at the end */
        uint64_t acked_incr, unknown_incr;
        uint64_t malformed;
        struct bl_series series;
        /* Successful completions per (interval, shard), interval-major, for
         * per-shard availability: a one-shard outage vanishes in the merged
         * series. shard_ok_n intervals are allocated (grown by doubling). */
        uint32_t *shard_ok;
        size_t shard_ok_n;
        uint64_t t_run_end; /* when the loop ended: the series covers the run to here */
        struct bl_evlog ev;
        struct bl_history hist;
        struct bl_key_sample sample; /* keys whose operations go into hist */
        uint64_t hist_seen;          /* operations bl_rt_records was asked about */

        /* Status lines. */
        uint64_t status_from;          /* start of the current status interval */
        uint64_t next_status;          /* its end (bl_rt_status_next) */
        uint64_t pause_from, pause_to; /* the last pause of this rank (inject.c) */
        int status_k;
        uint64_t status_ops, status_err;
        struct bl_chist status_lat;
        void *status_agg; /* rank 0 aggregation state */

        /* Fault injection (inject.c). */
        const struct bl_fault_plan *faults;
        size_t next_fault;
        int crashed;               /* this rank is down (fail-stop emulation) */
        unsigned char *crashed_by; /* [plan size]: this rank went down for that crash */
        uint64_t partition_end;    /* monotonic end of a timed partition, 0 = none */
        int partitioned;
        int restart_clients; /* recovered: start the sessions again */

        /* Storage (storage.c): the rank's write-ahead log (NULL on client-only
         * ranks), the run's folder and this rank's in it (write, fsync), and
         * why recovery was refused ("" if it never was). */
        struct bl_wal *wal;
        char storage_run_dir[BL_PATH_MAX];
        char storage_dir[BL_PATH_MAX + 32];
        char storage_refused[BL_ERRMSG_SIZE];

        struct bl_rt_txn *txn; /* transaction runs (commit kernel 2pc), else NULL */

        uint8_t *buf; /* encoding scratch */
        size_t bufcap;
        int quiesced;
        int failed; /* a fatal error was seen; abort */
        struct bl_errbuf eb;
};

/* idle.c */
void bl_rt_idle(void *rt);
int bl_rt_wait(struct bl_rt *rt, MPI_Request *req);

/* server.c */
int bl_rt_servers_create(struct bl_rt *rt);
void bl_rt_servers_destroy(struct bl_rt *rt);
void bl_rt_on_request(struct bl_rt *rt, const struct bl_frame *f);
void bl_rt_on_kernel(struct bl_rt *rt, const struct bl_frame *f);
void bl_rt_tick(struct bl_rt *rt);
/* Fail-stop of one replica: the instance and its state machine are destroyed,
 * non-durable records are lost. Recovery rebuilds them from the records. */
void bl_rt_replica_crash(struct bl_rt *rt, struct bl_replica *r);
int bl_rt_replica_recover(struct bl_rt *rt, struct bl_replica *r);
int bl_rt_leaders(const struct bl_rt *rt);

/* storage.c */
struct bl_storage_baseline;
/* Collective, first thing in set-up: agree on the run's storage folder. */
int bl_rt_storage_name(struct bl_rt *rt);
/* Create this rank's folder and open its log. Returns 0 or an error (rt->eb). */
int bl_rt_storage_open(struct bl_rt *rt);
/* Close the log; remove the folders unless storage.keep. */
void bl_rt_storage_close(struct bl_rt *rt);
/* Report durability to the kernels whose records became durable. */
void bl_rt_storage_step(struct bl_rt *rt);
/* env->persist for replica r: append to the log. Returns the sequence
 * number, or 0 after failing the run. */
uint64_t bl_rt_storage_persist(struct bl_rt *rt, struct bl_replica *r, int type, const void *buf,
                               size_t len);
/* The rank crashed: the log discards what is not durable. */
void bl_rt_storage_crash(struct bl_rt *rt);
/* Read the log back before the replicas restart. Returns 0, or an error
 * when recovery is refused (event, message, rt->storage_refused). */
int bl_rt_storage_recover(struct bl_rt *rt);
/* Feed replica r's records to its new instance. Returns 0 or the kernel's
 * error (message in rt->eb). */
int bl_rt_storage_replay(struct bl_rt *rt, struct bl_replica *r);
void bl_rt_storage_replay_done(struct bl_rt *rt);
/* Collective: rank 0 measures storage.dir (write, fsync mode; zeros in
 * memory mode) and every rank gets the figures. */
int bl_rt_storage_baseline(struct bl_rt *rt, struct bl_storage_baseline *out);

/* client.c */
int bl_rt_clients_create(struct bl_rt *rt);
void bl_rt_clients_destroy(struct bl_rt *rt);
void bl_rt_on_reply(struct bl_rt *rt, const struct bl_frame *f);
void bl_rt_clients_step(struct bl_rt *rt, uint64_t now);
int bl_rt_clients_idle(const struct bl_rt *rt);
/* End every open operation: crash = 0 at the end of the run, 1 when this
 * rank's client crashes (see client.c). */
void bl_rt_clients_abandon(struct bl_rt *rt, uint64_t now, int crash);
int bl_rt_records(struct bl_rt *rt, uint64_t key);
/* Whether an operation (or transaction) intended at `invoke` is part of the
 * measured window. */
int bl_rt_in_window(const struct bl_rt *rt, uint64_t invoke);
/* Whether one intended at `invoke` may be issued: not while draining or
 * crashed, and in ops mode only up to the quota of measured operations
 * (warm-up operations do not count against it). */
int bl_rt_may_issue(const struct bl_rt *rt, uint64_t invoke);
/* Per-shard series: count one success of shard in interval / make room for
 * n intervals (zero-filled). Return 0 or BL_ENOMEM. */
int bl_rt_shard_ok(struct bl_rt *rt, int shard, size_t interval);
int bl_rt_shard_grow(struct bl_rt *rt, size_t n);

/* baseline.c */
struct bl_baseline;
int bl_rt_baseline(struct bl_rt *rt, struct bl_baseline *base);

/* Estimate clock offsets to rank 0 (ranks on other nodes only, or every
 * rank with BL_CLOCK_SYNC=all in the environment). Collective. end = 0:
 * before the run; end = 1: after the drain, which also fits the drift
 * (rt->clock_fit) and sets clock_err_ns to the fit's bound. Returns 0 or an
 * error code with rt->eb set. */
int bl_rt_clock_sync(struct bl_rt *rt, int end);
/* Correct this rank's history and events for the drift fitted by the end
 * estimate, and widen the history intervals by the fit's error bound. Runs
 * once, after bl_rt_clock_sync(rt, 1), before the results are gathered. */
void bl_rt_clock_correct(struct bl_rt *rt);

/* status.c */
int bl_rt_status_init(struct bl_rt *rt);
void bl_rt_status_free(struct bl_rt *rt);
void bl_rt_status_step(struct bl_rt *rt, uint64_t now);
/* End of the status interval starting at `from` (cut at the start of
 * measurement, so no interval mixes warm-up and measured time). */
uint64_t bl_rt_status_next(const struct bl_rt *rt, uint64_t from);
void bl_rt_on_status(struct bl_rt *rt, const struct bl_frame *f);

/* inject.c */
int bl_rt_faults_init(struct bl_rt *rt, const struct bl_fault_plan *plan);
void bl_rt_faults_free(struct bl_rt *rt);
void bl_rt_faults_step(struct bl_rt *rt, uint64_t now);
/* Collective, after the main loop: rank 0 records the faults that no rank
 * applied (scheduled after the end of the run) as fault_not_applied events.
 * Returns 0 or BL_ENOMEM. */
int bl_rt_faults_close(struct bl_rt *rt);
int bl_rt_faults_active(struct bl_rt *rt, uint64_t now);

/* Record an event at the current time. */
void bl_rt_event(struct bl_rt *rt, int type, int64_t a, int64_t b);
/* Make rt->buf at least n bytes. Returns 0 or BL_ENOMEM. */
int bl_rt_buf(struct bl_rt *rt, size_t n);
/* Fatal error on this rank: message to stderr, then MPI_Abort by main's
 * policy (the runtime returns BL_EMPI up). */
void bl_rt_fail(struct bl_rt *rt, int code, const char *what);

#endif
