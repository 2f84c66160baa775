/* Transport: framed, non-blocking MPI point-to-point messages between ranks. */
#ifndef BL_NET_NET_H
#define BL_NET_NET_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/*
 * A frame is an 8-byte header (magic, kind, type, group) followed by the
 * payload. Frames to one destination are coalesced: bl_net_send appends
 * them (length-prefixed) to that destination's queue, and the queue leaves
 * as one non-blocking MPI message on a private duplicate of the run's
 * communicator when the receiver side has processed the batch it was
 * working on (or the queue grows past 64 KiB). Under load this turns many
 * small messages into few large ones, as a server's reply burst; on an idle
 * path it adds nothing, since the queue leaves at the very next poll.
 * Receives use matched probes (MPI_Improbe + MPI_Mrecv) so any size fits. A frame with a bad magic,
 * unknown kind or short header is counted as malformed and dropped, never handed up.
 *
 * Counters: messages and bytes sent and received per message class. A class
 * is a (kind, type) pair flattened by the caller into an index below
 * BL_NET_MAX_CLASSES (see bl_net_class).
 */

enum bl_msg_kind {
        BL_MSG_KERNEL = 1,  /* protocol message; type = kernel message type */
        BL_MSG_REQUEST = 2, /* client command to a replica; group = shard */
        BL_MSG_REPLY = 3,   /* replica answer to a client */
        BL_MSG_PING = 4,    /* baseline round trip */
        BL_MSG_PONG = 5,
        BL_MSG_STATUS = 6, /* per-interval progress to rank 0 */
        /* Transactions (only once bl_net_enable_txn was called): */
        BL_MSG_TXN = 7,       /* client transaction to its coordinator; group = first shard */
        BL_MSG_TXN_REPLY = 8, /* coordinator's outcome (or redirect) to the client */
        BL_MSG_LEADER = 9,    /* leader hint: group = shard, payload the rank leading it */
        BL_MSG_COMMIT = 10,   /* commit-layer message; type = its message type; group = shard
                                 whose leader it is for, or BL_NET_NO_GROUP (to a rank) */
};

#define BL_NET_NO_GROUP  UINT32_MAX
#define BL_NET_TXN_FIXED 3 /* txn request, txn reply, leader hint: classes after the kernel's */

#define BL_NET_FIXED_CLASSES 6 /* request, reply, ping, pong, status, malformed */
#define BL_NET_MAX_CLASSES   64
#define BL_NET_HEADER        8

struct bl_frame {
        int src;
        uint8_t kind;
        uint8_t type;
        uint32_t group;
        const void *data; /* valid until the next bl_net_poll */
        size_t len;
};

struct bl_net_counters {
        uint64_t dropped;    /* data-plane frames dropped by injected faults */
        uint64_t duplicated; /* frames sent twice by injected faults */
        uint64_t delayed;    /* frames held back by injected delays */
        uint64_t sent[BL_NET_MAX_CLASSES];
        uint64_t sent_bytes[BL_NET_MAX_CLASSES];
        uint64_t recv[BL_NET_MAX_CLASSES];
        uint64_t recv_bytes[BL_NET_MAX_CLASSES];
};

struct bl_net;

/* Create on a communicator (duplicated inside). NULL + message on failure. */
struct bl_net *bl_net_create(MPI_Comm comm, int n_kernel_types, struct bl_errbuf *eb);
/* Waits for outstanding sends, then frees. NULL is a no-op. */
void bl_net_destroy(struct bl_net *n);

/* Queue a message (payload copied). Returns 0, BL_ENOMEM or BL_EMPI. */
int bl_net_send(struct bl_net *n, int dest, int kind, int type, uint32_t group, const void *buf,
                size_t len);
/* Send every queued frame now (one MPI message per destination). Frames
 * are queued by bl_net_send and leave at the next bl_net_poll that finds
 * the current batch used up, so a burst of frames to one rank travels as
 * one MPI message. Returns 0 or BL_ENOMEM/BL_EMPI. */
int bl_net_flush_out(struct bl_net *n);
/* Receive one frame if one is waiting: 1 with *f filled, 0 if none, or a
 * negative error. Also advances pending sends. */
int bl_net_poll(struct bl_net *n, struct bl_frame *f);
/* Free the buffers of completed sends. */
void bl_net_progress(struct bl_net *n);
/* Block (with the given idle function between tests) until every send
 * queued so far has completed. */
int bl_net_flush(struct bl_net *n, void (*idle)(void *), void *arg);

/* Messages sent to each rank so far (array of nranks), for the final drain. */
const uint64_t *bl_net_sent_to(const struct bl_net *n);
/* Messages received from each rank so far. */
const uint64_t *bl_net_recv_from(const struct bl_net *n);

/* Counter class of a (kind, type) pair; kernel types follow the fixed
 * classes. Returns -1 for an invalid pair. */
int bl_net_class(const struct bl_net *n, int kind, int type);
int bl_net_nclasses(const struct bl_net *n);
const struct bl_net_counters *bl_net_counters(const struct bl_net *n);
/* Name of a fixed class ("client_request", ...) or NULL for kernel classes. */
const char *bl_net_fixed_class_name(int cls);
/* Accept the transaction kinds (BL_MSG_TXN .. BL_MSG_COMMIT) with
 * n_commit_types commit-layer message types. Their classes follow the
 * kernel's: BL_NET_TXN_FIXED of their own (bl_net_txn_class_name), then the
 * commit layer's types. Call once, before any frame. Returns 0 or BL_EINVAL
 * (too many classes). */
int bl_net_enable_txn(struct bl_net *n, int n_commit_types);
/* "txn_request", "txn_reply", "leader_hint" for i < BL_NET_TXN_FIXED, else NULL. */
const char *bl_net_txn_class_name(int i);

/*
 * Fault injection, identical for every kernel. Only the data plane
 * (protocol messages, client requests and replies) is affected; baseline
 * and status frames are the measurement plane and pass untouched.
 * Decisions are made on the sending side with a seeded stream; an isolated
 * (crashed) rank also discards what it receives.
 */
enum bl_net_rule_kind { BL_NET_DROP, BL_NET_DUP, BL_NET_DELAY };

struct bl_net_rule {
        enum bl_net_rule_kind kind;
        int src, dst;       /* ranks; -1 = any */
        double fraction;    /* DROP, DUP: share of matching frames */
        uint64_t delay_ns;  /* DELAY: mean */
        uint64_t jitter_ns; /* DELAY: uniform in [mean - jitter, mean + jitter] */
        uint64_t end_ns;    /* monotonic time the rule expires; UINT64_MAX = never */
};

void bl_net_fault_seed(struct bl_net *n, uint64_t seed);
/* Crash emulation: drop every data-plane frame this rank sends or receives. */
void bl_net_isolate(struct bl_net *n, int on);
/* group_of_rank[nranks] is copied; frames between groups are dropped.
 * NULL heals. Returns 0 or BL_ENOMEM. */
int bl_net_partition(struct bl_net *n, const int *group_of_rank);
/* Add a link rule. Returns 0 or BL_ENOMEM. */
int bl_net_add_rule(struct bl_net *n, const struct bl_net_rule *r);
/* Rules still in force at time now (expired ones are removed). */
int bl_net_active_rules(struct bl_net *n, uint64_t now);
/* Drop every delayed frame not yet sent (before the final drain). */
void bl_net_discard_delayed(struct bl_net *n);

#endif
