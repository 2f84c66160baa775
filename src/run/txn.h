/* Transactions in the rank runtime: the commit layer (2PC), its routing, and transaction clients.
 */
#ifndef BL_RUN_TXN_H
#define BL_RUN_TXN_H

#include <stdint.h>

#include "check/txnhist.h"
#include "kernels/twopc/twopc.h"
#include "load/txn.h"
#include "metrics/hist.h"
#include "results/results.h"
#include "run/rt.h"
#include "store/txn.h"

/*
 * With experiment.kernel = 2pc/REPL (rt->txn != NULL) every replica holds a
 * struct bl_txs instead of a bl_kv, and every rank runs one struct bl_tpc
 * (kernels/twopc/twopc.h): participant for the shards it hosts, coordinator
 * for the transactions begun here. The files:
 *
 *   txn_server.c  the commit layer's environment: proposals through the
 *                 shard's replication kernel, applies to the store, routing
 *                 of commit-layer frames to "the leader of shard s", the
 *                 coordinator's write-ahead log records, crash and recovery;
 *   txn_client.c  transaction client sessions (load/txn.h generators), their
 *                 outcomes, latencies and history;
 *   txn_finish.c  the end: blocking windows, atomicity, bank and
 *                 serializability verdicts, the /txn summary.
 *
 * Kernel callbacks never call back into a kernel: a committed transaction
 * command is applied to the store at once (in log order, so snapshots see
 * it), but the commit layer hears of it (bl_tpc_applied, bl_tpc_vote_ready)
 * from a queue drained by the loop, outside any kernel or commit-layer call.
 */

#define BL_TXN_CLASSES 4 /* enum bl_txn_class */

/* Per-class client counters of the measured window. */
struct bl_txn_cls {
        uint64_t committed, unknown;
        uint64_t aborted[BL_TXA__COUNT];
        struct bl_hist lat; /* committed: begin at the client to the outcome */
};

struct bl_txn_ev; /* txn_server.c: a deferred notification */

struct bl_rt_txn {
        struct bl_tpc *tpc; /* NULL while the rank is crashed */
        int replicated;     /* 2pc over a replicating kernel (coordinator = first shard's leader) */
        int cc;             /* enum bl_txs_cc */
        uint64_t initial;   /* registers' initial value (bank: the initial balance) */
        enum bl_txn_workload wl;

        /* Deferred notifications for the commit layer (FIFO). */
        struct bl_txn_ev *q;
        size_t qhead, qlen, qcap;
        int draining;

        /* Coordinator decision records in the rank's log (2pc/none). */
        uint64_t persisted, durable;

        /* Routing: when this rank last heard from each rank, and since when
         * the current belief of each shard's leader has been silent. */
        uint64_t *heard;        /* [size] */
        uint64_t *silent_since; /* [shards] */

        /* Participants (leader replicas here): blocking windows that ended
         * (decision applied) in the measured phase, the long ones as rows,
         * and the in-doubt series (per metrics interval: most prepared
         * transactions and most blocked participants seen at a sample). */
        struct bl_hist block;
        struct bl_block_rec *blocks;
        size_t nblocks, capblocks;
        uint64_t *ts_in_doubt, *ts_blocked, *ts_aborts;
        size_t nts;
        uint64_t next_sample;
        uint64_t einval_decides; /* refused DECIDEs: "first DECIDE wins" */

        /* Clients. */
        struct bl_txn_sess *sess; /* parallel to rt->sess */
        struct bl_txn_cls cls[BL_TXN_CLASSES];
        struct bl_hist lat_all;
        uint64_t committed_win; /* committed while the measured window was open */
        /* Atomicity inputs (every transaction, warm-up included): u64 txn,
         * u8 outcome, u32 n, n x u32 shards written, serialized. */
        uint8_t *outc;
        size_t noutc, capoutc;
        uint64_t ntxn_out;
        /* Bank: committed full audits judged here, and the first that failed. */
        uint64_t audits_checked, audits_failed;
        char audit_reason[256];
        /* List-append history (every transaction), times since t0. */
        struct bl_txn_history hist;

        /* Filled at the end (txn_finish.c), kept until the file is written. */
        struct bl_txn_class_row rows[BL_TXN_CLASSES];
        struct bl_txn_history merged; /* rank 0: the whole run's history */
};

/* txn_server.c */
int bl_rt_txn_create(struct bl_rt *rt);
void bl_rt_txn_destroy(struct bl_rt *rt);
/* A replica's store: create (or reset to its initial state) r->txs. */
int bl_rt_txn_store_reset(struct bl_rt *rt, struct bl_replica *r);
void bl_rt_txn_apply(struct bl_replica *r, const void *buf, size_t len, uint64_t index,
                     uint64_t tag);
void bl_rt_txn_dropped(struct bl_replica *r, uint64_t tag);
void bl_rt_txn_on_frame(struct bl_rt *rt, const struct bl_frame *f);
/* Timers, samples and deferred notifications; call every loop pass. */
void bl_rt_txn_step(struct bl_rt *rt, uint64_t now);
/* 1 when this rank's commit layer has nothing left to do (no transaction
 * it coordinates is open or unacknowledged; crashed counts as quiet), or
 * for a run without transactions. */
int bl_rt_txn_quiet(struct bl_rt *rt);
/* Deliver deferred notifications now. */
void bl_rt_txn_drain(struct bl_rt *rt);
void bl_rt_txn_durable(struct bl_rt *rt);
/* The rank crashed / recovered (after its replicas). */
void bl_rt_txn_crash(struct bl_rt *rt);
int bl_rt_txn_recover(struct bl_rt *rt);
/* Send a commit-layer or client frame; failures fail the run. */
void bl_rt_txn_send(struct bl_rt *rt, int dest, int kind, int type, uint32_t group, const void *buf,
                    size_t len);
/* The rank this rank believes leads shard (routing). */
int bl_rt_txn_leader_of(struct bl_rt *rt, int shard);
/* Begin a transaction here as coordinator; returns bl_tpc_begin's code. */
int bl_rt_txn_begin(struct bl_rt *rt, const struct bl_tpc_txn *x);

/* txn_client.c */
int bl_rt_txc_create(struct bl_rt *rt);
void bl_rt_txc_destroy(struct bl_rt *rt);
void bl_rt_txc_step(struct bl_rt *rt, uint64_t now);
void bl_rt_txc_abandon(struct bl_rt *rt, uint64_t now, int crash);
/* An outcome for a session of this rank (local coordinator or a reply). */
void bl_rt_txc_done(struct bl_rt *rt, const struct bl_tpc_result *res, int from_rank);
void bl_rt_txc_on_reply(struct bl_rt *rt, const struct bl_frame *f);
/* A coordinator's outcome for a client of rank origin: reply or local. */
void bl_rt_txn_reply(struct bl_rt *rt, const struct bl_tpc_result *res);

/* Make the in-doubt and abort series n intervals long (zero-filled). */
int bl_rt_txn_ts_grow(struct bl_rt *rt, size_t n);

/* txn_finish.c: collective. Adds verdicts (atomicity, bank, serializable)
 * into v[*nv] (rank 0) and fills *sum, local blocks and history. */
int bl_rt_txn_finish(struct bl_rt *rt, struct bl_verdict *v, int *nv, int maxv,
                     struct bl_txn_summary *sum, double duration_s);
void bl_rt_txn_finish_free(struct bl_rt *rt);

#endif
