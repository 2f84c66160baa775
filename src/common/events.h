/* Event types recorded in a run's event log, with one name table. */
#ifndef BL_COMMON_EVENTS_H
#define BL_COMMON_EVENTS_H

/* X-macro: code, name, meaning of the two integer arguments a and b. */
#define BL_EVENTS(X)                                                                               \
        X(BL_EV_PHASE, "phase", "phase number (0 warm-up, 1 measure, 2 drain), -")                 \
        X(BL_EV_ELECTION, "election", "term, shard")                                               \
        X(BL_EV_LEADER, "leader", "term, shard")                                                   \
        X(BL_EV_STEP_DOWN, "step_down", "term, shard")                                             \
        X(BL_EV_SNAPSHOT_SEND, "snapshot_send", "index, member")                                   \
        X(BL_EV_SNAPSHOT_INSTALL, "snapshot_install", "index, shard")                              \
        X(BL_EV_TRANSFER, "leader_transfer", "term, member")                                       \
        X(BL_EV_CRASH, "crash", "rank, fault index")                                               \
        X(BL_EV_RECOVER, "recover", "rank, fault index of the crash")                              \
        X(BL_EV_PARTITION, "partition", "fault index, groups")                                     \
        X(BL_EV_HEAL, "heal", "fault index (-1: timed end), -")                                    \
        X(BL_EV_PAUSE, "pause", "rank, fault index")                                               \
        X(BL_EV_RESUME, "resume", "rank, fault index")                                             \
        X(BL_EV_LINK_FAULT, "link_fault", "fault index, per-mille (delay: us)")                    \
        X(BL_EV_LINK_CLEAR, "link_clear", "kind, -")                                               \
        X(BL_EV_CLIENT_TIMEOUT, "client_timeout", "client, seq")                                   \
        X(BL_EV_WAL_TORN, "wal_torn", "rank, bytes cut from the log's torn tail")                  \
        X(BL_EV_WAL_CORRUPT, "wal_corrupt", "rank, error code: recovery refused")                  \
        X(BL_EV_WAL_DAMAGE, "wal_damage", "rank, fault index: corrupt-wal applied")                \
        X(BL_EV_TRANSFER_ASK, "transfer_ask", "rank, fault index")                                 \
        X(BL_EV_FAULT_SKIPPED, "fault_not_applied", "fault index, 1: after the end of the run")    \
        X(BL_EV_TXN_RESOLVED, "txn_resolved",                                                      \
          "txn id, outcome (1 commit, 0 abort): a leader of the first shard settled it for a "     \
          "QUERY")                                                                                 \
        X(BL_EV_TXN_ASK, "txn_coord_ask",                                                          \
          "txn id, first shard: its coordinator lost the shard before the decision was logged")    \
        X(BL_EV_TPC_RECOVER, "tpc_recover",                                                        \
          "commit decisions replayed, of which unacknowledged (DECIDEs resent)")

enum bl_event_type {
#define BL_EV_ENUM(code, name, args) code,
        BL_EVENTS(BL_EV_ENUM)
#undef BL_EV_ENUM
            BL_EV__COUNT
};

/* Name of an event type; "?" when out of range. */
const char *bl_event_name(int type);

#endif
