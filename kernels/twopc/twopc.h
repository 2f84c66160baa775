/* Two-Phase Commit: the coordinator and participant logic of one rank, over any replication kernel.
 */
#ifndef BL_KERNELS_TWOPC_TWOPC_H
#define BL_KERNELS_TWOPC_TWOPC_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "store/txn.h"

/*
 * The commit layer (issue 11). Pure like a kernel: no MPI, no clock, no
 * globals; it sees the world through struct bl_tpc_env, and the same object
 * runs in the MPI runtime (src/run) and in the simulator (src/sim).
 *
 * One struct bl_tpc per rank (per simulated node). It plays two roles:
 *
 *   participant  for every shard this rank holds a replica of: it turns
 *                PREPARE and DECIDE messages into proposals of that shard's
 *                replication kernel (env->propose) and answers once they are
 *                committed (bl_tpc_applied); it asks the coordinator about
 *                transactions that stay in doubt (QUERY);
 *   coordinator  for the transactions begun here (bl_tpc_begin): it sends
 *                PREPARE to each shard touched, gathers the votes, logs the
 *                decision, sends DECIDE until acknowledged, and reports the
 *                outcome (env->done).
 *
 * The participant's state is the shard's replicated struct bl_txs
 * (store/txn.h), which the runtime owns: the runtime applies every committed
 * transaction command to it (bl_txs_apply) on every replica, then calls
 * bl_tpc_applied (and bl_tpc_vote_ready for each vote bl_txs_next_vote
 * pops), so the commit layer keeps no participant state of its own beyond
 * the proposals in flight and a query timer: a new leader of a shard knows
 * every vote and decision its predecessor could have sent.
 *
 * Modes (bl_tpc_cfg.replicated):
 *
 *   2pc/none     (replicated = 0) classic 2PC over unreplicated shards. The
 *                coordinator is the client's rank (txn->coord = that rank).
 *                A commit decision is persisted in the rank's write-ahead log
 *                (env->persist, type BL_TPC_REC_DECISION) and sent once it is
 *                durable (bl_tpc_durable); aborts are not logged (presumed
 *                abort). After a crash the runtime destroys this object,
 *                creates a new one, bl_tpc_replay()s the durable records and
 *                bl_tpc_start()s it: QUERYs then get the logged decision, or
 *                abort for a transaction the log does not know. While the
 *                coordinator is down, its prepared participants stay
 *                blocked, holding their locks: 2PC's blocking.
 *   2pc/R        (replicated = 1) 2PC over replicated shards (Spanner-like).
 *                The coordinator is the leader of the transaction's first
 *                shard (the shard of its first op; txn->coord = that shard):
 *                the client sends the transaction there and bl_tpc_begin
 *                refuses with BL_ENOTLEADER elsewhere. The decision, commit
 *                or abort, is logged in that shard's group as the
 *                participant's own DECIDE (the first shard is always a
 *                participant, and its read-only optimisation is never used):
 *                the first DECIDE of a transaction in the shard's log wins
 *                (bl_txs_decide refuses the other), and the coordinator
 *                sends the decision that won. A QUERY reaches whoever leads
 *                the first shard now: it answers from the shard's store, and
 *                for a transaction still open there (and not coordinated by
 *                itself) it proposes DECIDE abort first, so a new leader
 *                finishes in-doubt transactions and never waits for a dead
 *                coordinator. A coordinator that loses its leadership before
 *                its decision is committed asks the same way.
 *
 * Messages (bl_tpc_msg types, little endian; every message is checked and a
 * malformed one is refused with BL_EPROTO):
 *
 *   PREPARE  coord -> leader(shard)   u64 txn, u64 ts, u32 coord, u8 flags,
 *                                      u32 shard, u32 nops, ops (store/txn.h)
 *   VOTE     leader(shard) -> coord   u64 txn, u32 shard, u8 vote, u8 reason,
 *                                      u32 nreads, reads (u64 value, u32 n,
 *                                      n x u64 list elements)
 *   DECIDE   coord -> leader(shard)   u64 txn, u32 shard, u8 commit
 *   ACK      leader(shard) -> coord   u64 txn, u32 shard, u8 commit
 *   QUERY    leader(shard) -> coord   u64 txn, u32 shard, u32 coord
 *
 * A VOTE or ACK answers a proposal and goes to the rank that sent the
 * PREPARE or DECIDE; a vote that becomes ready later (a wait-die waiter
 * granted) and a QUERY go to the coordinator's address (2pc/none: rank
 * coord; replicated: the leader of shard coord). The answer to a QUERY is a
 * DECIDE. "The leader of shard s" is env->send_shard: the runtime sends to
 * the rank it believes leads s and forwards from a rank that does not lead
 * it; nothing is guaranteed, so the coordinator resends PREPARE and DECIDE
 * every retry_ns until answered, and the participant asks again every
 * query_ns.
 *
 * Coordinator timeline of one transaction:
 *   begin        split the ops by shard (bl_shard_of), keeping each op's
 *                position, send PREPARE to every shard;
 *   votes        NO: decide abort (reason from the vote: lock, constraint);
 *                all YES or READ_ONLY: decide commit; none within
 *                timeout_ns of begin: decide abort (reason timeout);
 *   decide       log as above; commit and replicated abort are reported
 *                once logged; a 2pc/none abort at once;
 *   report       env->done with the outcome, the reason and the reads in
 *                the transaction's own op order;
 *   finish       DECIDE to every shard that voted YES or holds read locks
 *                (READ_ONLY without BL_TXS_RELEASE_READS) and to shards
 *                that did not vote (an abort), until each ACKs; then the
 *                transaction is forgotten (2pc/none keeps decided txns in
 *                memory for QUERY answers; they are small).
 * Read-only optimisation. A shard whose ops are all reads votes READ_ONLY.
 * Locks are taken when PREPARE is applied, so a read-only participant may
 * release them at once (BL_TXS_RELEASE_READS) only when every other
 * participant already holds its locks (store/txn.h explains why): the
 * coordinator prepares the writing shards first, with every read-only
 * shard but one, without the flag (in replicated mode the first shard is
 * always among them: it holds the decision); the last read-only shard gets
 * the flag and is prepared once all the others voted. (Two flagged shards
 * would break two-phase locking: one may release before the other locks;
 * the simulator found that G2-item cycle.) A single-shard transaction is prepared with the flag
 * when it only reads. A transaction that only reads on several shards is prepared everywhere
 * without the flag; when every vote is READ_ONLY it commits without logging anything with 2pc/none
 * (it wrote nothing) and DECIDE commit releases the read locks. In replicated mode it is logged
 * like any decision (DECIDE commit in the first shard, reported if it wins): a new leader of the
 * first shard answering a QUERY may have aborted it there, releasing those read locks before the
 * other shards took theirs, and the reads would then not be one snapshot (test_twopc_random finds
 * it).
 *
 * Reads. A VOTE carries, per op of the shard's PREPARE, the register value
 * and the committed list prefix the op read (the prefix's elements, taken
 * from the leader's store right after the apply, while the transaction
 * still holds its lock). env->done gives them per op of the transaction;
 * for a list the caller appends the transaction's own earlier appends to
 * the key (store/txn.h: "own earlier appends follow").
 *
 * Refused decisions. bl_txs_apply returns BL_EINVAL for a DECIDE that
 * contradicts the transaction's recorded state (commit after abort, abort
 * after commit): that is the "first DECIDE wins" rule, deterministic on
 * every replica, not an error. The runtime must not fail the run for it; it
 * calls bl_tpc_applied as for any other apply, and the commit layer reads
 * the state that won from env->store (bl_txs_info).
 *
 * Tags. The commit layer proposes with its own tags (> 0, unique per
 * object); the runtime hands every completion of a transaction command back
 * through bl_tpc_applied(tag) or bl_tpc_dropped(tag), tag 0 on replicas that
 * did not propose it.
 *
 * What the runtime owes the commit layer (implementation notes):
 *   - bl_tpc_applied on every replica for every transaction command, right
 *     after bl_txs_apply (BL_EINVAL included), then bl_tpc_vote_ready for
 *     each vote bl_txs_next_vote pops: every replica keeps the query timers
 *     and the ops of waiting PREPAREs, since any of them may lead next.
 *   - bl_tpc_recv's src is the rank that sent the message (not a rank that
 *     forwarded it): VOTE and ACK go back to it, and QUERY answers too.
 *   - Open transactions (PREPARED, READ_HELD) that reached a replica
 *     without an apply this object saw (a snapshot installed, a store
 *     rebuilt before this object existed) are found by a scan of
 *     bl_txs_open, at most every query_ns per shard and only when the
 *     store holds more open transactions than this object watches.
 *   - Events (common/events.h): txn_resolved, txn_coord_ask, tpc_recover.
 *
 * Changes to this interface since it was first landed: BL_TPC_REC_END
 * (below), BL_EEXIST added to common/err.h (bl_tpc_begin named it),
 * bl_txs_open added to store/txn.h.
 */

/* Message types (env->send_* type argument; the runtime frames them). */
enum bl_tpc_msg {
        BL_TPC_PREPARE = 0,
        BL_TPC_VOTE = 1,
        BL_TPC_DECIDE = 2,
        BL_TPC_ACK = 3,
        BL_TPC_QUERY = 4,
        BL_TPC_MSG__COUNT
};

/* Record types persisted by a 2pc/none coordinator. DECISION payload:
 * u64 txn, u8 commit, u32 nshards, nshards x u32 shard (those to DECIDE).
 * END payload: u64 txn; every DECIDE of a logged commit was acknowledged,
 * so recovery need not resend it (it still answers QUERYs with commit).
 * Both are replayed in log order; END is persisted without waiting for its
 * durability (losing it only costs a resend). */
#define BL_TPC_REC_DECISION 1
#define BL_TPC_REC_END      2

/* Outcome of a transaction (env->done). */
enum bl_tpc_outcome {
        BL_TPC_COMMITTED = 0,
        BL_TPC_ABORTED = 1,
};

/* Why a transaction aborted. */
#define BL_TPC_ABORTS(X)                                                                           \
        X(BL_TPC_A_NONE, "none")                                                                   \
        X(BL_TPC_A_LOCK, "lock")       /* a participant voted NO: lock conflict */                 \
        X(BL_TPC_A_VOTE, "vote")       /* a participant voted NO: constraint (bank floor) */       \
        X(BL_TPC_A_TIMEOUT, "timeout") /* votes missing after timeout_ns */                        \
        X(BL_TPC_A_FAILURE, "failure") /* resolved abort: coordinator lost or crashed */

enum bl_tpc_abort {
#define BL_TPC_ABORT_ENUM(code, name) code,
        BL_TPC_ABORTS(BL_TPC_ABORT_ENUM)
#undef BL_TPC_ABORT_ENUM
            BL_TPC_A__COUNT
};

/* One op of a client transaction (keys map to shards by bl_shard_of). */
struct bl_tpc_op {
        uint8_t kind; /* enum bl_txs_opkind */
        uint64_t key;
        uint64_t arg;
};

/* A transaction to coordinate. ops are copied by bl_tpc_begin. */
struct bl_tpc_txn {
        uint64_t id;     /* unique across the run, restarts included (the runtime's job) */
        uint64_t ts;     /* wait-die age: smaller is older (e.g. first begin time) */
        uint64_t cookie; /* the caller's, handed back in env->done */
        uint32_t nops;
        const struct bl_tpc_op *ops;
};

/* What one op read (zero for non-reads). list valid during env->done only. */
struct bl_tpc_read {
        uint64_t value;
        uint32_t list_len;
        const uint64_t *list;
};

/* env->done's report. reads: one per op (NULL unless committed with reads
 * known: a transaction resolved by a QUERY after a lost leadership commits
 * without them). */
struct bl_tpc_result {
        uint64_t id;
        uint64_t cookie;
        uint8_t outcome; /* enum bl_tpc_outcome */
        uint8_t reason;  /* enum bl_tpc_abort */
        uint32_t nops;
        const struct bl_tpc_read *reads;
        uint32_t nshards; /* shards the transaction wrote (committed: applied there) */
        const uint32_t *shards;
};

struct bl_tpc_env {
        void *ctx;
        uint64_t (*now)(void *ctx);
        /* Send a message to the leader of shard s (runtime routing; best effort). */
        void (*send_shard)(void *ctx, int shard, int type, const void *buf, size_t len);
        /* Send a message to a rank (the sender of a PREPARE or DECIDE; 2pc/none coordinators). */
        void (*send_rank)(void *ctx, int rank, int type, const void *buf, size_t len);
        /* Propose a transaction command (store/txn.h encoding) through this
         * rank's replica of shard. Returns 0 (completion later through
         * bl_tpc_applied(tag) or bl_tpc_dropped(tag)), BL_ENOTLEADER,
         * BL_EBUSY, BL_ENOTFOUND (no replica of shard here) or BL_ENOMEM. */
        int (*propose)(void *ctx, int shard, const void *cmd, size_t len, uint64_t tag);
        /* 1 if this rank's replica of shard believes it leads the group. */
        int (*is_leader)(void *ctx, int shard);
        /* This rank's replica's store of shard, or NULL (no replica, crashed). */
        struct bl_txs *(*store)(void *ctx, int shard);
        /* 2pc/none: append a record to the rank's log (as bl_env.persist;
         * durable later through bl_tpc_durable). 0: storage failed. */
        uint64_t (*persist)(void *ctx, int type, const void *buf, size_t len);
        /* A transaction begun here is over. */
        void (*done)(void *ctx, const struct bl_tpc_result *r);
        /* Events (common/events.h), e.g. a decision resolved by a QUERY. */
        void (*event)(void *ctx, int type, int64_t a, int64_t b);
};

struct bl_tpc_cfg {
        int rank;            /* this rank (2pc/none: the coordinator address) */
        int nshards;         /* shards of the run */
        int replicated;      /* 0: 2pc/none, 1: 2pc over a replicated kernel */
        uint64_t retry_ns;   /* resend PREPARE / DECIDE after this long unanswered */
        uint64_t timeout_ns; /* abort a transaction whose votes are missing this long */
        uint64_t query_ns;   /* a participant asks about a txn in doubt this long */
};

/* Counters of this rank's coordinator and participants. */
struct bl_tpc_stats {
        uint64_t begun, committed, aborted[BL_TPC_A__COUNT];
        uint64_t active;  /* coordinated, not yet reported */
        uint64_t unacked; /* decided, some DECIDE not yet acknowledged */
        uint64_t prepares_sent, decides_sent, queries_sent, queries_answered;
        uint64_t resolved_aborts; /* DECIDE abort proposed to answer a QUERY */
        uint64_t malformed;       /* refused messages */
};

struct bl_tpc;

/* Create. env and cfg are copied. NULL on allocation failure or bad cfg. */
struct bl_tpc *bl_tpc_create(const struct bl_tpc_env *env, const struct bl_tpc_cfg *cfg);
/* Free. Transactions in flight are forgotten without env->done (a crash). */
void bl_tpc_destroy(struct bl_tpc *t);
/* 2pc/none recovery: one durable record, in log order. 0 or BL_EPROTO. */
int bl_tpc_replay(struct bl_tpc *t, uint64_t seq, int type, const void *buf, size_t len);
/* Replay is over: resend the DECIDEs of replayed commit decisions. */
void bl_tpc_start(struct bl_tpc *t);

/* Coordinate a transaction. Returns 0 (env->done follows, possibly from
 * inside this call), BL_ENOTLEADER (replicated: this rank does not lead the
 * first shard), BL_EINVAL (no ops, too many, unknown kind), BL_EEXIST (id
 * being decided here: its report will come) or BL_ENOMEM.
 * A client may resend a transaction whose report it lost, with the same
 * id: if this object already reported it (and still finishes it), or is a
 * 2pc/none coordinator that logged its commit, env->done reports it again
 * from inside this call (reads NULL when no longer held); otherwise the
 * transaction runs again, and the participants' records decide: a
 * participant that already committed it votes YES without reads, the
 * coordinator's abort then loses to that commit and the report says
 * committed, without reads. */
int bl_tpc_begin(struct bl_tpc *t, const struct bl_tpc_txn *x);

/* A commit-layer message from rank `src`. Returns 0 or BL_EPROTO. */
int bl_tpc_recv(struct bl_tpc *t, int src, int type, const void *buf, size_t len);

/* The runtime applied a committed transaction command to this rank's
 * replica of shard (every replica, in log order). v is bl_txs_apply's
 * output; tag is this object's tag when this replica proposed it, else 0. */
void bl_tpc_applied(struct bl_tpc *t, int shard, const struct bl_txs_cmd *c,
                    const struct bl_txs_vote_msg *v, uint64_t tag);
/* A vote bl_txs_next_vote popped on this rank's replica of shard. */
void bl_tpc_vote_ready(struct bl_tpc *t, int shard, const struct bl_txs_vote_msg *v);
/* A proposal of this object will not be committed through this replica. */
void bl_tpc_dropped(struct bl_tpc *t, int shard, uint64_t tag);
/* 2pc/none: every record persisted with sequence number <= seq is durable. */
void bl_tpc_durable(struct bl_tpc *t, uint64_t seq);
/* Timers: resends, coordinator timeouts, participant queries. Call every tick. */
void bl_tpc_tick(struct bl_tpc *t);

void bl_tpc_stats(const struct bl_tpc *t, struct bl_tpc_stats *out);
const char *bl_tpc_msg_name(int type);
const char *bl_tpc_abort_name(int reason);

#endif
