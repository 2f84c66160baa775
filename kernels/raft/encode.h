/* Raft messages: their fields, and bounds-checked encoding and decoding. */
#ifndef BL_KERNELS_RAFT_ENCODE_H
#define BL_KERNELS_RAFT_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "common/wire.h"

/* Message types, as passed to env->send() and recv(). */
enum bl_raft_msg {
        BL_RAFT_MSG_REQUEST_VOTE,
        BL_RAFT_MSG_REQUEST_VOTE_RESULT,
        BL_RAFT_MSG_APPEND_ENTRIES,
        BL_RAFT_MSG_APPEND_ENTRIES_RESULT,
        BL_RAFT_MSG_INSTALL_SNAPSHOT,
        BL_RAFT_MSG_INSTALL_SNAPSHOT_RESULT,
        BL_RAFT_MSG_TIMEOUT_NOW,
        BL_RAFT_MSG_PRE_VOTE,        /* a RequestVote of the Pre-Vote phase */
        BL_RAFT_MSG_PRE_VOTE_RESULT, /* its answer */
        BL_RAFT_MSG__COUNT
};

extern const char *const bl_raft_msg_names[BL_RAFT_MSG__COUNT];

/* RequestVote and PreVote. For PreVote, term is the term the candidate would
 * take (its current term + 1); nobody adopts it. */
struct bl_raft_request_vote {
        uint64_t term;
        uint64_t last_index;
        uint64_t last_term;
};

/* RequestVoteResult and PreVoteResult. */
struct bl_raft_request_vote_result {
        uint64_t term;
        uint8_t granted;
};

/* One entry on the wire: term u64, type u8, len u32, len bytes. */
#define BL_RAFT_WIRE_ENTRY_HEADER 13

struct bl_raft_wire_entry {
        uint64_t term;
        uint8_t type;
        uint32_t len;
        const uint8_t *buf;
};

/* AppendEntries. The entries stay encoded in the received buffer; walk them
 * with bl_raft_entries_next(). seq is the leader's ReadIndex round when the
 * message was sent; the result echoes it. */
struct bl_raft_append_entries {
        uint64_t term;
        uint64_t prev_index;
        uint64_t prev_term;
        uint64_t commit;
        uint64_t seq;
        uint32_t n;
        const uint8_t *entries; /* n encoded entries */
        size_t entries_len;
};

/*
 * AppendEntriesResult. On success, match is the index of the last entry known
 * to match the leader (prev_index + n). On rejection, match is the follower's
 * last index, and conflict_term/conflict_index say where the logs differ: the
 * term of the follower's entry at prev_index and the first index it holds of
 * that term (conflict_term 0 when the follower's log is too short).
 *
 * seq and req_term identify the request answered: its ReadIndex round and the
 * term it was sent in. term is the follower's current term, which is later
 * than req_term when the request was stale (rule 1). A leader counts a reply
 * as contact and as an acknowledgement of round seq only when req_term is its
 * current term: a node leads a term at most once, so (req_term, seq) names one
 * round of one leadership, even across crashes (raft.c).
 */
struct bl_raft_append_entries_result {
        uint64_t term;
        uint8_t success;
        uint64_t match;
        uint64_t rejected; /* the prev_index of the request answered */
        uint64_t conflict_term;
        uint64_t conflict_index;
        uint64_t seq;
        uint64_t req_term; /* term of the request answered: 1..term, == term on success */
};

/* InstallSnapshot, sent whole (no chunks). */
struct bl_raft_install_snapshot {
        uint64_t term;
        uint64_t index;     /* lastIncludedIndex */
        uint64_t snap_term; /* lastIncludedTerm */
        uint64_t seq;
        const uint8_t *data;
        size_t len;
};

/* InstallSnapshotResult: index is what the follower's state now covers (0
 * for a stale request); seq and req_term as in AppendEntriesResult. */
struct bl_raft_install_snapshot_result {
        uint64_t term;
        uint64_t index;
        uint64_t seq;
        uint64_t req_term;
};

struct bl_raft_timeout_now {
        uint64_t term;
};

/*
 * Encoders write into the caller's buffer and return the bytes written, or 0
 * when cap is too small. The *_size() functions give the exact size.
 */
size_t bl_raft_encode_request_vote(const struct bl_raft_request_vote *m, void *buf, size_t cap);
size_t bl_raft_encode_request_vote_result(const struct bl_raft_request_vote_result *m, void *buf,
                                          size_t cap);
/* AppendEntries is built in two steps: the header (m->n says how many
 * entries follow; m->entries is ignored), then bl_raft_put_entry() n times.
 * Check w->ok at the end. */
#define BL_RAFT_APPEND_ENTRIES_HEADER 44
void bl_raft_put_append_entries(struct bl_wbuf *w, const struct bl_raft_append_entries *m);
void bl_raft_put_entry(struct bl_wbuf *w, uint64_t term, uint8_t type, const void *data,
                       uint32_t len);
size_t bl_raft_encode_append_entries_result(const struct bl_raft_append_entries_result *m,
                                            void *buf, size_t cap);
#define BL_RAFT_INSTALL_SNAPSHOT_HEADER 40
size_t bl_raft_encode_install_snapshot(const struct bl_raft_install_snapshot *m, void *buf,
                                       size_t cap);
size_t bl_raft_encode_install_snapshot_result(const struct bl_raft_install_snapshot_result *m,
                                              void *buf, size_t cap);
size_t bl_raft_encode_timeout_now(const struct bl_raft_timeout_now *m, void *buf, size_t cap);

/*
 * Decoders read exactly len bytes and validate every length, count and field
 * that has a range (flags are 0/1, entry types known, entry terms between
 * prev_term and term and never decreasing, counts that fit the bytes). They
 * return 0, or BL_EPROTO for a malformed message without allocating.
 */
int bl_raft_decode_request_vote(const void *buf, size_t len, struct bl_raft_request_vote *m);
int bl_raft_decode_request_vote_result(const void *buf, size_t len,
                                       struct bl_raft_request_vote_result *m);
int bl_raft_decode_append_entries(const void *buf, size_t len, struct bl_raft_append_entries *m);
int bl_raft_decode_append_entries_result(const void *buf, size_t len,
                                         struct bl_raft_append_entries_result *m);
int bl_raft_decode_install_snapshot(const void *buf, size_t len,
                                    struct bl_raft_install_snapshot *m);
int bl_raft_decode_install_snapshot_result(const void *buf, size_t len,
                                           struct bl_raft_install_snapshot_result *m);
int bl_raft_decode_timeout_now(const void *buf, size_t len, struct bl_raft_timeout_now *m);

/* Walk the entries of a decoded AppendEntries: init r over m->entries, then
 * call next m->n times. Returns 0, or BL_EPROTO past the end (cannot happen
 * for a message that decoded). */
int bl_raft_entries_next(struct bl_rbuf *r, struct bl_raft_wire_entry *e);

#endif
