/* Raft's options: its sub-struct of struct bl_config and its rows of the option table. */
#ifndef BL_KERNELS_RAFT_OPTIONS_H
#define BL_KERNELS_RAFT_OPTIONS_H

/*
 * A kernel owns its options: the fields below are cfg->raft, and
 * BL_RAFT_OPTION_ROWS expands, inside src/config/config.c, to the [raft]
 * rows of the one option table (key, field, default, range, help), so the
 * INI parser, `-o raft.KEY=V`, `ballot info` and the config dump in the
 * result file all follow from here. Plain data only: config.h includes this.
 */

enum bl_read_mode { BL_READ_LOG, BL_READ_INDEX };

struct bl_raft_options {
        int election_timeout_ms; /* base; randomized in [t, 2t) */
        int heartbeat_ms;
        int prevote;
        int max_batch;      /* commands per AppendEntries */
        int batch_delay_us; /* wait at most this long to fill a batch */
        int pipeline;       /* AppendEntries in flight per follower */
        enum bl_read_mode read_mode;
        int snapshot_entries; /* trim the log after this many applied */
};

#define BL_RAFT_READ_MODE_NAMES                                                                    \
        {                                                                                          \
                "log", "index", NULL                                                               \
        }

/* Rows; O_INT, O_BOOL and O_ENUM are config.c's row makers. */
#define BL_RAFT_OPTION_ROWS(R)                                                                     \
        O_INT(R, "election_timeout_ms", raft.election_timeout_ms, "150", 1, 60000,                 \
              "base election timeout, randomized in [t, 2t); > heartbeat_ms"),                     \
            O_INT(R, "heartbeat_ms", raft.heartbeat_ms, "30", 1, 60000,                            \
                  "leader heartbeat period; < election_timeout_ms"),                               \
            O_BOOL(R, "prevote", raft.prevote, "true",                                             \
                   "pre-vote phase before an election (thesis section 9.6)"),                      \
            O_INT(R, "max_batch", raft.max_batch, "64", 1, 65536, "commands per AppendEntries"),   \
            O_INT(R, "batch_delay_us", raft.batch_delay_us, "0", 0, 1000000,                       \
                  "wait at most this long to fill a batch; 0: send at once"),                      \
            O_INT(R, "pipeline", raft.pipeline, "4", 1, 1024,                                      \
                  "AppendEntries in flight per follower"),                                         \
            O_ENUM(R, "read_mode", raft.read_mode, enum bl_read_mode, read_mode_names, "log",      \
                   "reads through the log, or by ReadIndex (thesis section 6.4)"),                 \
            O_INT(R, "snapshot_entries", raft.snapshot_entries, "10000", 1, 1000000000,            \
                  "snapshot and trim the log after this many applied entries")

#endif
