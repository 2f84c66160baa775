/* Multi-Paxos messages and persistent records: their fields, and bounds-checked encoding and
 * decoding. */
#ifndef BL_KERNELS_PAXOS_ENCODE_H
#define BL_KERNELS_PAXOS_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "common/wire.h"

/* Message types, as passed to env->send() and recv(). */
enum bl_paxos_msg {
        BL_PAXOS_MSG_PREPARE,     /* 1a */
        BL_PAXOS_MSG_PROMISE,     /* 1b (or its refusal) */
        BL_PAXOS_MSG_ACCEPT,      /* 2a, many slots; no slot: heartbeat */
        BL_PAXOS_MSG_ACCEPTED,    /* 2b (or its refusal) */
        BL_PAXOS_MSG_CATCHUP,     /* a learner asks for chosen slots (or snapshot chunks) */
        BL_PAXOS_MSG_LEARN,       /* chosen values */
        BL_PAXOS_MSG_SNAPSHOT,    /* one chunk of a snapshot */
        BL_PAXOS_MSG_TIMEOUT_NOW, /* leadership transfer: start phase 1 now */
        BL_PAXOS_MSG__COUNT
};

extern const char *const bl_paxos_msg_names[BL_PAXOS_MSG__COUNT];

/* Prepare (1a): "I want to lead with `ballot` for every slot from `from` on".
 * force: a leadership transfer, acceptors answer even if they hear a leader.
 * probe: only ask whether the acceptor would promise (phase1.c); nothing is
 * promised or persisted, the answer carries no values. */
struct bl_paxos_prepare {
        uint64_t ballot;
        uint64_t from;
        uint8_t force;
        uint8_t probe;
};

/* One value on the wire. In a Promise it names its slot and ballot; in an
 * Accept or Learn, slots are consecutive from the message's `first`. */
struct bl_paxos_wire_value {
        uint64_t slot;   /* Promise only */
        uint64_t ballot; /* Promise only */
        uint8_t type;
        uint32_t len;
        const uint8_t *buf;
};

#define BL_PAXOS_WIRE_VALUE         5  /* type u8, len u32 */
#define BL_PAXOS_WIRE_PROMISE_VALUE 21 /* slot u64, ballot u64, type u8, len u32 */

/* Promise (1b) answers. */
enum bl_paxos_promise_ok {
        BL_PAXOS_REFUSED = 0,  /* promised says what we promised instead */
        BL_PAXOS_PROMISED = 1, /* a promise, with the accepted values */
        BL_PAXOS_WOULD = 2,    /* the answer to a probe: we would promise */
};

/* Promise (1b). ok: enum bl_paxos_promise_ok.
 * commit and offset tell the candidate how far this acceptor has learned
 * and compacted. n accepted values follow, slots increasing, all >= the
 * prepare's `from`. */
struct bl_paxos_promise {
        uint64_t ballot; /* the ballot answered */
        uint8_t ok;
        uint64_t promised;
        uint64_t commit;
        uint64_t offset;
        uint32_t n;
        const uint8_t *values;
        size_t values_len;
};
#define BL_PAXOS_PROMISE_HEADER 37

/* Accept (2a) of n consecutive slots from `first`; commit piggybacks the
 * leader's commit point, round its latest read-confirmation round. */
struct bl_paxos_accept {
        uint64_t ballot;
        uint64_t commit;
        uint64_t round;
        uint64_t first;
        uint32_t n;
        const uint8_t *values;
        size_t values_len;
};
#define BL_PAXOS_ACCEPT_HEADER 36

/* Accepted (2b) of slots first..first+n-1 (n may be 0: a heartbeat answer).
 * ok = 0: refused, promised is the higher ballot. round echoes the Accept;
 * commit is the acceptor's own commit point. */
struct bl_paxos_accepted {
        uint64_t ballot;
        uint8_t ok;
        uint64_t promised;
        uint64_t first;
        uint32_t n;
        uint64_t round;
        uint64_t commit;
};

/* CatchUp: send me chosen slots from `from` on; while a snapshot is coming
 * in chunks, snap_index/snap_got say which and how many bytes arrived. */
struct bl_paxos_catchup {
        uint64_t from;
        uint64_t snap_index;
        uint64_t snap_got;
};

/* Learn: chosen values of slots first..first+n-1; commit is the sender's. */
struct bl_paxos_learn {
        uint64_t commit;
        uint64_t first;
        uint32_t n;
        const uint8_t *values;
        size_t values_len;
};
#define BL_PAXOS_LEARN_HEADER 20

/* Snapshot chunk: bytes [offset, offset + len) of a snapshot of `total`
 * bytes covering slots up to `index`. */
struct bl_paxos_snapshot {
        uint64_t index;
        uint64_t total;
        uint64_t offset;
        const uint8_t *data;
        size_t len;
};
#define BL_PAXOS_SNAPSHOT_HEADER 24

struct bl_paxos_timeout_now {
        uint64_t ballot;
};

/* Encoders of fixed-size messages: return bytes written, 0 when cap is too small. */
size_t bl_paxos_encode_prepare(const struct bl_paxos_prepare *m, void *buf, size_t cap);
size_t bl_paxos_encode_accepted(const struct bl_paxos_accepted *m, void *buf, size_t cap);
size_t bl_paxos_encode_catchup(const struct bl_paxos_catchup *m, void *buf, size_t cap);
size_t bl_paxos_encode_timeout_now(const struct bl_paxos_timeout_now *m, void *buf, size_t cap);

/* Messages with values are built in two steps: the header (m->n says how
 * many values follow; m->values is ignored), then a put_value per value.
 * Check w->ok at the end. */
void bl_paxos_put_promise(struct bl_wbuf *w, const struct bl_paxos_promise *m);
void bl_paxos_put_accept(struct bl_wbuf *w, const struct bl_paxos_accept *m);
void bl_paxos_put_learn(struct bl_wbuf *w, const struct bl_paxos_learn *m);
void bl_paxos_put_snapshot(struct bl_wbuf *w, const struct bl_paxos_snapshot *m);
void bl_paxos_put_value(struct bl_wbuf *w, uint8_t type, const void *buf, uint32_t len);
void bl_paxos_put_promise_value(struct bl_wbuf *w, uint64_t slot, uint64_t ballot, uint8_t type,
                                const void *buf, uint32_t len);

/*
 * Decoders read exactly len bytes and validate every length, count and
 * field with a range (flags 0/1, value types known, ballots non-zero,
 * promise slots increasing and values of its ballot at most the promise's,
 * slot ranges that do not wrap, chunks inside their snapshot). They return
 * 0, or BL_EPROTO for a malformed message, without allocating.
 */
int bl_paxos_decode_prepare(const void *buf, size_t len, struct bl_paxos_prepare *m);
int bl_paxos_decode_promise(const void *buf, size_t len, struct bl_paxos_promise *m);
int bl_paxos_decode_accept(const void *buf, size_t len, struct bl_paxos_accept *m);
int bl_paxos_decode_accepted(const void *buf, size_t len, struct bl_paxos_accepted *m);
int bl_paxos_decode_catchup(const void *buf, size_t len, struct bl_paxos_catchup *m);
int bl_paxos_decode_learn(const void *buf, size_t len, struct bl_paxos_learn *m);
int bl_paxos_decode_snapshot(const void *buf, size_t len, struct bl_paxos_snapshot *m);
int bl_paxos_decode_timeout_now(const void *buf, size_t len, struct bl_paxos_timeout_now *m);

/* Walk the values of a decoded message: init r over m->values, then call
 * next m->n times (promise = 1 for Promise values). Returns 0, or BL_EPROTO
 * past the end (cannot happen for a message that decoded). */
int bl_paxos_values_next(struct bl_rbuf *r, int promise, struct bl_paxos_wire_value *v);

/* Check n values in buf (exactly len bytes). Used by the decoders and by
 * record replay. */
int bl_paxos_values_check(const uint8_t *buf, size_t len, uint32_t n, int promise);

#endif
