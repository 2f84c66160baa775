/* The 2PC participant's replicated state machine: values, lists, two-phase locks and txn table. */
#ifndef BL_STORE_TXN_H
#define BL_STORE_TXN_H

#include <stddef.h>
#include <stdint.h>

/*
 * Groundwork for Two-Phase Commit (issue 11); nothing in the runtime uses it
 * yet. One struct bl_txs is one replica of one shard under a commit layer.
 *
 * How a 2PC layer uses it
 * -----------------------
 * The participant of shard s is the replication group of s. For each
 * transaction touching s, the coordinator sends the ops of s to the leader of
 * s, which proposes a PREPARE command (bl_txs_cmd_encode) through the shard's
 * replication kernel like any other command (kernel.h submit). Every replica
 * applies it in log order (bl_txs_apply), deterministically: the locks are
 * taken, the reads are taken, the vote is decided, all as part of the
 * replicated state. So the vote exists only once the PREPARE record is
 * committed in the group, and a new leader knows every vote its predecessor
 * could have sent. The leader sends the vote to the coordinator: at once when
 * bl_txs_apply reports it, or later when it becomes ready (wait-die waiters,
 * granted when another transaction's DECIDE releases a lock): after every
 * apply the caller drains bl_txs_next_vote. The coordinator logs its decision
 * in its own place (its rank's WAL with 2pc/none, its group with a replicated
 * kernel) and sends DECIDE to every participant except read-only ones that
 * released their locks (BL_TXS_RELEASE_READS, safe only for a transaction's
 * sole participant or its last one: see the flag); the participant leader
 * proposes it, and applying it commits (writes
 * applied, locks released) or aborts. A participant whose coordinator is
 * silent keeps its PREPARED transactions in doubt (bl_txs_in_doubt): that is
 * the blocking 2PC is known for, and the stats measure it. The participant may
 * abort unilaterally only before it voted YES (a DECIDE abort proposed by
 * itself for a WAITING transaction is fine).
 *
 * Presumed abort: a DECIDE abort for an unknown transaction is remembered, so
 * a PREPARE arriving later (a slow message) votes NO instead of taking locks
 * nobody will release. A duplicate PREPARE (a retry from the coordinator, or
 * from a new coordinator asking) returns the recorded vote and changes
 * nothing; a duplicate DECIDE too.
 *
 * Data model
 * ----------
 * Keys are u64; every key of the shard holds a u64 register, `initial` until
 * written (bank: the initial balance; ycsb-t: any token), and a list of u64,
 * empty until appended to (list-append). WRITE sets the register, ADD adds a
 * signed delta to it (as int64, refused below 0: the bank floor), APPEND adds
 * to the list, READ reads both. Single-key kv commands do not reach this
 * store: a run uses kv (src/store/kv.h) or this, not both on one key.
 *
 * Concurrency control (cc fixed at creation), strict two-phase locking:
 * READ takes S, WRITE/ADD/APPEND take X, one lock per distinct key, acquired
 * in increasing key order. A request is granted when it is compatible with
 * the holders and nobody waits on the key; otherwise
 *   NO_WAIT   the transaction votes NO (reason lock) at once;
 *   WAIT_DIE  if it is older than every holder and waiter of the key
 *             (smaller (ts, txn id)) it waits in the key's FIFO queue,
 *             otherwise it dies: NO (reason lock). Waits-for edges thus go
 *             from older to younger: no deadlock. When a lock is released,
 *             the queue's head is granted while compatible, and a granted
 *             transaction goes on with its next keys (which may grant, wait
 *             or die again).
 * Reads are taken when the key's lock is granted: the register as this
 * transaction's earlier ops on the key left it, and the committed list's
 * length (lists only grow, so that prefix is the list read, followed by the
 * transaction's own earlier appends to the key; bl_txs_list gives it).
 * Once all its locks are held, a transaction with no write votes READ_ONLY
 * (and, with BL_TXS_RELEASE_READS, releases its locks at once: the read-only
 * optimisation, see the flag for when it is safe); one whose ADDs
 * would take a register below 0 votes NO (reason constraint) and releases;
 * any other votes YES and stays PREPARED, holding its locks, until DECIDE.
 * The ops' effects are computed at commit from the locked values, which
 * nobody else could change.
 *
 * State, snapshot, digest
 * -----------------------
 * The value tables, the lock queues and the transaction table are the state.
 * Transactions are remembered forever (finished ones as a record of about
 * 100 bytes without their ops, for presumed abort and idempotence; a later
 * session may truncate below a watermark the coordinators agree on). Every state change folds into
 * a running digest (votes, decisions, written values), so replicas that applied the same command
 * sequence have equal digests. The snapshot is canonical: equal states give equal bytes. Timestamps
 * (`now` arguments) and the ready-vote queue are this replica's observations, kept out of both; log
 * indexes are state.
 *
 * Allocation happens before any change: apply, prepare, decide and restore
 * reserve what they may need first, so BL_ENOMEM leaves the state as it was,
 * and lock releases (with the grants they cause) never allocate.
 * Single-threaded.
 */

enum bl_txs_cc {
        BL_TXS_NO_WAIT = 0,
        BL_TXS_WAIT_DIE = 1,
};

enum bl_txs_opkind {
        BL_TXS_READ = 0,
        BL_TXS_WRITE = 1,  /* register = arg */
        BL_TXS_ADD = 2,    /* register += (int64)arg; NO (constraint) if it goes below 0 */
        BL_TXS_APPEND = 3, /* list += arg */
        BL_TXS_OP__COUNT
};

/* One operation of a transaction on this shard. */
struct bl_txs_op {
        uint8_t kind; /* enum bl_txs_opkind */
        uint64_t key;
        uint64_t arg; /* WRITE, APPEND: the value; ADD: int64 delta as bits; READ: 0 */
};

enum bl_txs_vote {
        BL_TXS_PENDING = 0, /* waiting for a lock (wait-die): the vote comes later */
        BL_TXS_YES = 1,
        BL_TXS_NO = 2,
        BL_TXS_READ_ONLY = 3,
};

#define BL_TXS_REASONS(X)                                                                          \
        X(BL_TXS_R_NONE, "none")                                                                   \
        X(BL_TXS_R_LOCK, "lock")             /* lock conflict (no-wait) or died (wait-die) */      \
        X(BL_TXS_R_CONSTRAINT, "constraint") /* an ADD would go below 0 */                         \
        X(BL_TXS_R_ABORTED, "aborted")       /* decided abort before or while preparing */

enum bl_txs_reason {
#define BL_TXS_REASON_ENUM(code, name) code,
        BL_TXS_REASONS(BL_TXS_REASON_ENUM)
#undef BL_TXS_REASON_ENUM
            BL_TXS_R__COUNT
};

enum bl_txs_state {
        BL_TXS_WAITING = 0,   /* queued for a lock */
        BL_TXS_PREPARED = 1,  /* voted YES, holds its locks: in doubt until DECIDE */
        BL_TXS_COMMITTED = 2, /* writes applied */
        BL_TXS_ABORTED = 3,   /* voted NO, or decided abort (presumed abort included) */
        BL_TXS_READ_DONE = 4, /* voted READ_ONLY: done, locks released */
        BL_TXS_READ_HELD = 5, /* voted READ_ONLY, holds its S locks until DECIDE */
};

/*
 * PREPARE flags.
 * BL_TXS_RELEASE_READS: a read-only participant releases its S locks as it
 * votes and needs no DECIDE (the read-only optimisation). Locks are taken
 * when PREPARE is applied, so this is safe only when every other participant
 * of the transaction already holds its locks: the transaction has this
 * participant alone, or the coordinator prepares it last, after all the
 * others voted YES. Otherwise releasing early breaks two-phase locking (the
 * transaction would release a lock here before it acquires one elsewhere:
 * test_txn_store_serial finds the G2-item cycle) and the read-only
 * participant keeps its locks (READ_HELD) until a DECIDE, either way,
 * releases them; it still logs no writes and joins no commit log.
 */
#define BL_TXS_RELEASE_READS 0x1u

/* What one read op saw (ops in the PREPARE's order; non-reads are zero). */
struct bl_txs_read {
        uint64_t value;    /* the register */
        uint64_t list_len; /* committed list prefix length; own earlier appends follow */
};

/* A vote for the coordinator. reads points into the store: valid until the
 * next prepare, decide or restore. NULL unless vote is YES or READ_ONLY, and
 * NULL too once the transaction is finished and its ops were let go: a
 * duplicate PREPARE of a decided or read-only transaction gets the vote
 * without its reads (the coordinator then restarts the transaction). */
struct bl_txs_vote_msg {
        uint64_t txn;
        uint32_t coord;
        uint8_t vote;   /* enum bl_txs_vote */
        uint8_t reason; /* enum bl_txs_reason (NO only) */
        uint32_t nreads;
        const struct bl_txs_read *reads; /* one per op of the PREPARE */
};

/* One transaction's record, for measurement and the atomicity log. Times are
 * the `now` given to the apply that caused the event (0: not yet, or lost in
 * a restore); indexes are the log indexes given. */
struct bl_txs_info {
        uint8_t state; /* enum bl_txs_state */
        uint8_t vote;
        uint8_t reason;
        uint64_t ts;
        uint32_t coord;
        uint64_t prepare_index, decide_index; /* 0: none */
        uint64_t prepare_ns;                  /* PREPARE applied */
        uint64_t vote_ns;                     /* vote became known (YES: prepared, locks held) */
        uint64_t decide_ns;                   /* DECIDE applied */
};

/* Counters of this replica. Blocking window: for each transaction that
 * voted YES and was then decided, decide_ns - vote_ns (how long it held
 * prepared locks without a decision); pass nonzero times, since a vote time
 * of 0 means unknown (lost in a restore) and is not counted. Open windows:
 * bl_txs_in_doubt and bl_txs_info's vote_ns. */
struct bl_txs_stats {
        uint64_t waiting, in_doubt; /* now */
        uint64_t read_held;         /* now: READ_HELD */
        uint64_t committed, aborted, read_only;
        uint64_t no_votes[BL_TXS_R__COUNT];
        uint64_t blocked_n, blocked_sum_ns, blocked_max_ns;
};

struct bl_txs;

/* Create the store of `shard` (0 <= shard < nshards; nshards <= 0 taken as
 * 1). Returns NULL on allocation failure, a bad shard or an unknown cc. */
struct bl_txs *bl_txs_create(int shard, int nshards, int cc, uint64_t initial);
/* Free the store. NULL is a no-op. */
void bl_txs_destroy(struct bl_txs *s);

/*
 * Apply PREPARE(txn, ts, coord, flags, ops) at log index `index`, time `now`, and
 * fill *out with the vote (PENDING when it waits). Every op key must belong
 * to this shard and nops <= BL_TXS_MAX_OPS; ops may repeat a key. A known
 * txn gets its recorded vote back (PENDING if it still waits, NO if it was
 * aborted, YES once committed) and nothing changes.
 * Returns 0, BL_EINVAL (a key of another shard, an unknown op kind, too many
 * ops, unknown flags; nothing changes, deterministic on every replica), or BL_ENOMEM
 * (nothing changes).
 */
int bl_txs_prepare(struct bl_txs *s, uint64_t txn, uint64_t ts, uint32_t coord, unsigned flags,
                   const struct bl_txs_op *ops, uint32_t nops, uint64_t index, uint64_t now,
                   struct bl_txs_vote_msg *out);

/*
 * Apply DECIDE(txn, commit) at log index `index`, time `now`.
 *   commit   a PREPARED txn: its writes are applied in op order, it is added
 *            to the commit log, its locks released; a READ_HELD one: locks
 *            released, READ_DONE; a COMMITTED or READ_DONE one: nothing
 *            (duplicate). Anything else: BL_EINVAL, nothing
 *            changes (a commit needs a YES vote: a coordinator bug).
 *   abort    a WAITING, PREPARED or READ_HELD txn: released, ABORTED; an unknown one:
 *            recorded ABORTED (presumed abort); ABORTED: nothing. A
 *            COMMITTED one: BL_EINVAL, nothing changes. READ_DONE: nothing.
 * Releases grant waiting transactions; their votes are queued for
 * bl_txs_next_vote. Returns 0, BL_EINVAL or BL_ENOMEM (nothing changes).
 */
int bl_txs_decide(struct bl_txs *s, uint64_t txn, int commit, uint64_t index, uint64_t now);

/*
 * Votes that became known during the applies since the last call (granted
 * waiters), oldest first: pops one into *out and returns 1, or returns 0
 * when there is none. The vote is the transaction's current one (a waiter
 * aborted in between is not reported). Cannot fail. The queue is not state:
 * a restore empties it; a coordinator that missed a vote asks again with a
 * duplicate PREPARE.
 */
int bl_txs_next_vote(struct bl_txs *s, struct bl_txs_vote_msg *out);

/* A transaction's record. Returns 0 or BL_ENOTFOUND. */
int bl_txs_info(const struct bl_txs *s, uint64_t txn, struct bl_txs_info *info);
/* Fill stats. Cannot fail. */
void bl_txs_stats(const struct bl_txs *s, struct bl_txs_stats *st);

/* The commit log: committed txns with at least one write here, in commit
 * order (the atomicity verdict's `applied`, check/txnverdict.h). *ids stays
 * valid until the next change. Cannot fail. */
size_t bl_txs_commit_log(const struct bl_txs *s, const uint64_t **ids);
/* The PREPARED txns, ascending, into ids[0 .. min(n, cap)); returns n (the
 * atomicity verdict's `in_doubt`). Cannot fail. */
size_t bl_txs_in_doubt(const struct bl_txs *s, uint64_t *ids, size_t cap);
/* Like bl_txs_in_doubt, for the txns waiting for a DECIDE: PREPARED and
 * READ_HELD (a commit layer that lost its own list of them, after a crash or
 * a snapshot install, finds them here to ask their coordinator). */
size_t bl_txs_open(const struct bl_txs *s, uint64_t *ids, size_t cap);

/* The register of key (initial when never written). Cannot fail. */
uint64_t bl_txs_value(const struct bl_txs *s, uint64_t key);
/* The committed list of key: *list (NULL when empty) valid until the next
 * change; returns its length. Cannot fail. */
size_t bl_txs_list(const struct bl_txs *s, uint64_t key, const uint64_t **list);

/* Running digest of the state changes (0 for a fresh store). */
uint64_t bl_txs_digest(const struct bl_txs *s);

/*
 * Serialize the state (values, lists, transaction table with the live
 * transactions' ops and reads, lock queues, commit log, digest). Canonical:
 * little endian, everything sorted by key or txn id, lock holders by txn id,
 * waiters in queue order, a checksum at the end. *buf is from bl_malloc
 * (caller frees with bl_free). Returns 0 or BL_ENOMEM (*buf NULL).
 */
int bl_txs_snapshot(const struct bl_txs *s, void **buf, size_t *len);
/* Replace the state with a snapshot of a store of the same shard, nshards,
 * cc and initial. Returns 0, BL_EPROTO (malformed, truncated, corrupted,
 * foreign or inconsistent) or BL_ENOMEM; on error nothing changes. Times and
 * stats are this replica's and are reset; the vote queue is emptied. */
int bl_txs_restore(struct bl_txs *s, const void *buf, size_t len);

/* ---- commands (through the shard's replication kernel) ---- */

/*
 * Encoding, little endian:
 *   PREPARE  u8 0xa1, u64 txn, u64 ts, u32 coord, u8 flags, u32 nops,
 *            nops x (u8 kind, u64 key, u64 arg)
 *   DECIDE   u8 0xa2, u64 txn, u8 commit (0 or 1)
 * The first byte of a single-key command (store/cmd.h) is its op, below
 * BL_OP__COUNT, so the two kinds never collide: bl_txs_cmd_is tells them
 * apart from the first byte, and each decoder refuses the other's.
 */
#define BL_TXS_CMD_PREPARE 0xa1
#define BL_TXS_CMD_DECIDE  0xa2
#define BL_TXS_MAX_OPS     65536u

struct bl_txs_cmd {
        uint8_t type; /* BL_TXS_CMD_PREPARE or BL_TXS_CMD_DECIDE */
        uint64_t txn;
        uint64_t ts;    /* PREPARE */
        uint32_t coord; /* PREPARE */
        uint8_t flags;  /* PREPARE: BL_TXS_RELEASE_READS */
        uint8_t commit; /* DECIDE */
        uint32_t nops;
        const struct bl_txs_op *ops; /* PREPARE: encode reads it; decode allocates it */
};

/* 1 if buf starts like a transaction command (not a single-key one). */
int bl_txs_cmd_is(const void *buf, size_t len);
/* Encoded size of c. */
size_t bl_txs_cmd_size(const struct bl_txs_cmd *c);
/* Encode c into buf (cap bytes). Returns bytes written, 0 if cap is too
 * small or c is invalid (unknown type, flag or op kind, nops > BL_TXS_MAX_OPS). */
size_t bl_txs_cmd_encode(const struct bl_txs_cmd *c, void *buf, size_t cap);
/* Decode exactly len bytes. On success c->ops is from bl_malloc (NULL when
 * nops is 0): release with bl_txs_cmd_free. Returns 0, BL_EPROTO (unknown
 * type, kind or flag, bad commit flag, too many ops, short, trailing bytes) or
 * BL_ENOMEM; on error c holds nothing to free. */
int bl_txs_cmd_decode(struct bl_txs_cmd *c, const void *buf, size_t len);
/* Free what decode allocated. */
void bl_txs_cmd_free(struct bl_txs_cmd *c);

/* Decode and apply one transaction command. A PREPARE fills *out (and
 * out->vote says PENDING when it waits); a DECIDE sets out->txn and
 * out->vote to PENDING. Returns the decoder's or the apply's code. */
int bl_txs_apply(struct bl_txs *s, const void *buf, size_t len, uint64_t index, uint64_t now,
                 struct bl_txs_vote_msg *out);

/* "none", "lock", ...; "?" if unknown. */
const char *bl_txs_reason_name(int reason);
/* "pending", "yes", "no", "read-only"; "?" if unknown. */
const char *bl_txs_vote_name(int vote);

#endif
