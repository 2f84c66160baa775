/* Multi-Paxos options: its sub-struct of struct bl_config and its rows of the option table. */
#ifndef BL_KERNELS_PAXOS_OPTIONS_H
#define BL_KERNELS_PAXOS_OPTIONS_H

/*
 * A kernel owns its options: the fields below are cfg->paxos, and
 * BL_PAXOS_OPTION_ROWS expands, inside src/config/config.c, to the [paxos]
 * rows of the one option table, so the INI parser, `-o paxos.KEY=V`,
 * `ballot info` and the config dump in the result file all follow from
 * here. Plain data only: config.h includes this.
 */

enum bl_paxos_read_mode { BL_PAXOS_READ_LOG, BL_PAXOS_READ_QUORUM };

struct bl_paxos_options {
        int election_timeout_ms; /* leader silent this long (randomized [t, 2t)): phase 1 */
        int heartbeat_ms;
        int max_batch;      /* slots per Accept */
        int batch_delay_us; /* wait at most this long to fill a batch */
        int pipeline;       /* Accept batches in flight */
        enum bl_paxos_read_mode read_mode;
        int phase2_quorum;    /* Q2; 0: majority. Phase 1 then needs n - Q2 + 1 */
        int snapshot_entries; /* snapshot and trim after this many applied slots */
        int snapshot_chunk;   /* bytes per snapshot chunk on the wire */
};

#define BL_PAXOS_READ_MODE_NAMES                                                                   \
        {                                                                                          \
                "log", "quorum", NULL                                                              \
        }

/* Rows; O_INT and O_ENUM are config.c's row makers. */
#define BL_PAXOS_OPTION_ROWS(P)                                                                    \
        O_INT(P, "election_timeout_ms", paxos.election_timeout_ms, "150", 1, 60000,                \
              "leader silent this long (randomized in [t, 2t)): run phase 1; > heartbeat_ms"),     \
            O_INT(P, "heartbeat_ms", paxos.heartbeat_ms, "30", 1, 60000,                           \
                  "leader heartbeat period (carries the commit point); < election_timeout_ms"),    \
            O_INT(P, "max_batch", paxos.max_batch, "64", 1, 65536, "slots per Accept (phase 2a)"), \
            O_INT(P, "batch_delay_us", paxos.batch_delay_us, "0", 0, 1000000,                      \
                  "wait at most this long to fill a batch; 0: send at once"),                      \
            O_INT(P, "pipeline", paxos.pipeline, "4", 1, 1024, "Accept batches in flight"),        \
            O_ENUM(P, "read_mode", paxos.read_mode, enum bl_paxos_read_mode,                       \
                   paxos_read_mode_names, "log",                                                   \
                   "reads through slots, or served by the leader once a quorum confirms its "      \
                   "ballot (no lease)"),                                                           \
            O_INT(P, "phase2_quorum", paxos.phase2_quorum, "0", 0, 15,                             \
                  "flexible quorums (FPaxos): Q2 acceptors choose a value, phase 1 needs "         \
                  "replicas - Q2 + 1; 0: majority for both; at most replicas"),                    \
            O_INT(P, "snapshot_entries", paxos.snapshot_entries, "10000", 1, 1000000000,           \
                  "snapshot and trim the log after this many applied slots"),                      \
            O_INT(P, "snapshot_chunk", paxos.snapshot_chunk, "65536", 64, 1 << 26,                 \
                  "bytes per snapshot chunk sent to a learner that lags past compaction")

#endif
