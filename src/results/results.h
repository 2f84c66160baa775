/* One run's results: the data model the runtime fills, the collective HDF5 writer and the reader.
 */
#ifndef BL_RESULTS_RESULTS_H
#define BL_RESULTS_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include <mpi.h>

#include "check/txnhist.h"
#include "check/verdict.h"
#include "common/err.h"

/*
 * The runtime fills one struct bl_run_result on every rank and calls
 * bl_results_write() collectively. Three parts, with different validity:
 *
 *   prov    provenance, identical on all ranks (the writer still takes
 *           rank 0's copy and broadcasts it, so only rank 0's must be right);
 *   local   this rank's own values; the writer places each rank's rows;
 *   global  valid on rank 0 only; other ranks may leave it zeroed.
 *
 * Every pointer is borrowed: the writer copies what it needs and never frees.
 * A NULL string is written as "". Arrays with a zero count may be NULL.
 * Units are in the field names (_ns, _us, _s, _bytes, _per_s).
 */

/* One resolved option, as bl_config_visit() reports it. */
struct bl_cfg_entry {
        const char *section;
        const char *key;
        const char *value;
};

/* A verdict's result is one of BL_VERDICT_PASS, _FAIL, _UNKNOWN (nothing to
 * judge) and _INCONCLUSIVE (the check could not finish): check/verdict.h. */

struct bl_provenance {
        const char *name;          /* experiment name */
        const char *kernel;        /* as given: "raft", "2pc/raft" */
        const char *repl_kernel;   /* replication kernel */
        const char *commit_kernel; /* commit kernel or "none" */
        const char *workload;      /* "ycsb-a", "counter", ... */
        const char *command_line;  /* argv joined by spaces */
        uint64_t seed;
        const char *start_time; /* ISO 8601 UTC, "2024-05-01T12:00:00Z" */
        /* NULL means "fill in for me": ballot version and git revision from
         * common/version.h, MPI from MPI_Get_library_version, HDF5 from
         * H5get_libversion; hwloc_version NULL is written as "". */
        const char *ballot_version;
        const char *git_revision;
        const char *mpi_version;
        const char *hdf5_version;
        const char *hwloc_version;
        const char *idle_policy;    /* as resolved: "busy", "yield" (auto is resolved) */
        const char *pinning_policy; /* "none", "core", ... */
        int history;                /* 1: client history recorded, /history is written */
        size_t n_config;
        const struct bl_cfg_entry *config; /* every option, in table order */
};

/* Where a rank runs. Unknown values: "" and -1. */
struct bl_binding {
        const char *cpuset;
        int32_t numa_node;
        int32_t package;
        const char *cores; /* core list, "0-3,8" */
};

/* One replica hosted by this rank, at the end of the run. */
struct bl_replica_info {
        int32_t shard;
        int32_t member; /* index in the shard's replica group */
        int32_t rank;   /* hosting rank */
        uint64_t applied;
        uint64_t digest; /* running digest of what was applied */
        uint64_t term;
        uint64_t commit;
        uint64_t mem_bytes;
};

/* One digest checkpoint of a replica hosted by this rank: after `applied`
 * commands its running digest was `digest` (store/kv.h), the replica's final
 * state included. */
struct bl_digest_rec {
        int32_t shard;
        int32_t member;
        int32_t rank;
        uint64_t applied;
        uint64_t digest;
};

/* One event (common/events.h). */
struct bl_event_rec {
        int64_t t_ns; /* since workload start, on the rank's corrected clock */
        int32_t rank; /* rank that recorded it */
        int32_t type; /* enum bl_event_type */
        int64_t a;
        int64_t b;
};

/* One client operation (the writer adds a `rank` column: the recording rank). */
struct bl_history_rec {
        uint32_t client;
        int32_t op;      /* enum bl_op (store/cmd.h) */
        int32_t outcome; /* enum bl_outcome (check/history.h): ok, fail, unknown */
        uint64_t key;
        uint64_t arg; /* value written, or increment delta */
        uint64_t ret; /* value read or returned */
        int32_t ret_status;
        int64_t invoke_ns;
        int64_t return_ns; /* -1 when the outcome is unknown */
};

/*
 * Transactions (issue 11: Two-Phase Commit). All of it is optional: a run
 * without a commit layer leaves it zeroed and the file has no /txn group
 * (old files and single-key runs read as before).
 *
 * Abort reasons, in this order everywhere (arrays, file columns):
 *   lock     a participant voted NO on a lock conflict (no-wait, wait-die);
 *   vote     a participant voted NO on a constraint (bank: balance < 0);
 *   timeout  votes missing after the coordinator's timeout;
 *   failure  resolved abort: coordinator lost, crashed, or a QUERY said so.
 */
enum bl_txn_abort_reason {
        BL_TXA_LOCK = 0,
        BL_TXA_VOTE,
        BL_TXA_TIMEOUT,
        BL_TXA_FAILURE,
        BL_TXA__COUNT
};

/* One class of transactions (load/txn.h: "transfer", "audit", "rmw",
 * "list"), counted over the measured phase. */
struct bl_txn_class_row {
        const char *cls;
        uint64_t committed;
        uint64_t aborted;
        uint64_t unknown;     /* outcome never learned (timeout at the client, crash) */
        double commit_p50_us; /* latency of its committed transactions; NaN: none */
        double commit_p99_us;
};

/*
 * One blocking window that lasted long (the runtime decides what "long" is,
 * e.g. longer than the participant's query interval, and says it in
 * bl_txn_summary.block_long_us): a participant held prepared locks with no
 * decision from start_s to end_s (since the measured phase start, like the
 * time series; end_s NaN: still blocked at the end of the run).
 */
struct bl_block_rec {
        int32_t shard;
        int32_t rank; /* participant's rank (its replica of shard) */
        uint64_t txn;
        double start_s;
        double end_s;
};

/*
 * Global figures of a transaction run, rank 0's copy (like bl_run_global).
 * Counts are transactions of the measured phase, latencies those of
 * committed transactions (begin at the client to the outcome it learned).
 * The blocking window of a participant is the time from its PREPARE record
 * being committed (it voted YES) to it learning the decision; n, mean, p99,
 * max over all such windows of the measured phase (prepared read-only
 * participants released at once do not count). In doubt: transactions
 * prepared on at least one participant with no decision there yet.
 */
struct bl_txn_summary {
        int present; /* 1: a transaction run; the writer writes /txn */
        uint64_t committed;
        uint64_t aborted; /* = sum of aborted_by[] */
        uint64_t unknown;
        uint64_t aborted_by[BL_TXA__COUNT]; /* enum bl_txn_abort_reason */
        double txn_per_s;                   /* committed transactions per second */
        double commit_mean_us, commit_p50_us, commit_p99_us, commit_max_us;
        uint64_t block_n;
        double block_mean_us, block_p99_us, block_max_us;
        double block_long_us;  /* threshold of the /txn/blocking rows; NaN: none kept */
        uint64_t in_doubt_max; /* most transactions in doubt at once */
        uint64_t in_doubt_end; /* still in doubt when the run ended */
        size_t n_classes;
        const struct bl_txn_class_row *classes;
        /* Series aligned with bl_run_global's (n_intervals entries; NULL:
         * not recorded, the dataset is then absent). */
        const uint64_t *ts_in_doubt; /* most transactions in doubt during the interval */
        const uint64_t *ts_blocked;  /* most participants blocked during the interval */
        const uint64_t *ts_aborts;   /* transactions aborted in the interval */
};

struct bl_run_local {
        const char *hostname;
        struct bl_binding binding;
        int64_t clock_offset_ns;     /* estimate of rank 0's clock minus this rank's, before */
        int64_t clock_offset_end_ns; /* the same, after the run */
        double clock_drift_ppm;      /* the offset's drift between the two */
        uint64_t clock_error_ns;     /* bound on the drift fit's error (0 on rank 0's node) */
        /* Message counters. n_msg_types and the names must be identical on
         * every rank (the writer checks the count; names come from rank 0). */
        size_t n_msg_types;
        const char *const *msg_type_names;
        const uint64_t *sent_count; /* [n_msg_types] */
        const uint64_t *sent_bytes;
        const uint64_t *recv_count;
        const uint64_t *recv_bytes;
        /* [nranks]: median round trip from this rank to each rank; 0 on the
         * diagonal, NaN for pairs not measured. NULL: all NaN. */
        const double *rtt_ns;
        size_t n_replicas;
        const struct bl_replica_info *replicas;
        size_t n_digests;
        const struct bl_digest_rec *digests;
        size_t n_events;
        const struct bl_event_rec *events;
        size_t n_history; /* ignored unless prov.history */
        const struct bl_history_rec *history;
        /* Transaction runs (see struct bl_txn_summary); NULL/0 otherwise.
         * txn_history: list-append transactions recorded on this rank (or
         * the whole run's, gathered on rank 0, the others passing NULL),
         * times on one clock comparable across ranks as check/txnhist.h
         * requires. Written to /txn/history when any rank passes one;
         * `ballot check` re-judges it. Transaction ids must be unique. */
        const struct bl_txn_history *txn_history;
        size_t n_blocks;
        const struct bl_block_rec *blocks; /* long blocking windows seen here */
};

/* Latency summary of one operation type; "all" is the row over every op. */
struct bl_op_summary {
        const char *op;
        uint64_t count;  /* successful operations */
        uint64_t errors; /* failed operations */
        double mean_us;
        double p50_us;
        double p90_us;
        double p99_us;
        double p999_us;
        double max_us;
        uint64_t unfinished; /* no answer by the end: in the percentiles as a lower bound */
};

/* One correctness verdict (check/verdict.h's struct bl_verdict, by reference). */
struct bl_verdict_row {
        const char *name;
        int32_t pass; /* BL_VERDICT_*; column "result" in the file */
        const char *reason;
};

/* One injected fault and what it cost (availability). */
struct bl_fault_row {
        double t_s;                 /* since the start of the measured phase */
        int32_t rank;               /* rank that applied it (crash, pause), or -1 */
        const char *description;    /* the schedule line, e.g. "2s crash leader:0" */
        double unavailable_s;       /* longest stretch with no completed operation */
        double recovery_s;          /* until throughput is back within 10%; NaN never */
        int32_t applied;            /* 0: not applied (scheduled after the end of the run);
                                       unavailable_s and recovery_s are then NaN */
        int32_t shard;              /* the shard unavailable longest, -1 none */
        double shard_unavailable_s; /* its longest stretch without a completion */
};

struct bl_run_global {
        /* Per-op summaries, in the order of the histogram rows. If no row is
         * named "all" the writer appends one computed from the others and the
         * histograms (percentiles as bucket midpoints). */
        size_t n_ops;
        const struct bl_op_summary *summary;
        /* Histograms: counts[n_ops][n_buckets] row-major, one row per summary
         * row; bucket i holds low_ns[i] <= v < high_ns[i]. */
        size_t n_buckets;
        const uint64_t *hist_counts;
        const uint64_t *bucket_low_ns;
        const uint64_t *bucket_high_ns;
        /* Totals of the measured phase. ops: successful operations (ops_per_s
         * counts only them); every intended operation of the window is in
         * offered = ops + errors + unfinished, and unserved is the part of
         * unfinished that never got a session (open loop). */
        uint64_t ops;
        uint64_t errors;
        double ops_per_s;
        double duration_s;
        uint64_t warmup_ops;
        uint64_t offered;
        uint64_t unfinished;
        uint64_t unserved;
        double offered_per_s;   /* intended operations of the window per second */
        double achieved_per_s;  /* successful completions while the window was open, per s */
        double mpi_msgs_per_op; /* MPI messages (frames coalesced) per completion, window */
        int deadline_hit;       /* ops mode: experiment.deadline_s ended the measured phase */
        /* Baseline. */
        double median_rtt_ns; /* the RTT unit */
        double msg_rate_per_s;
        double rtt_p50_ns;
        double rtt_p90_ns;
        double rtt_p99_ns;
        double rtt_max_ns;
        double path_rtt_ns;     /* median round trip of the paths requests take */
        const char *path_pairs; /* those paths, "0->1,2->1" (client rank -> serving rank) */
        double p50_rtt;         /* p50 latency of "all" in path_rtt_ns units */
        double msgs_per_op;     /* data-plane frames per completion, measured window */
        double bytes_per_op;
        /* Storage: baseline (NaN in memory mode) and the write-ahead logs'
         * fdatasync calls and bytes written, summed over ranks, per op. */
        double fsync_p50_us, fsync_p99_us, write_mbps;
        const char *storage_io; /* how the log reaches the disk: "thread" */
        double syncs_per_op, disk_bytes_per_op;
        double sync_mean_us; /* mean fdatasync time of the logs during the run; NaN: none */
        /* Time series, one entry per interval. */
        double interval_s;
        size_t n_intervals;
        const double *ts_t_s; /* interval end, since measured phase start */
        const uint64_t *ts_ops;
        const uint64_t *ts_errors;
        const double *ts_p99_us;
        /* Verdicts. */
        size_t n_verdicts;
        const struct bl_verdict_row *verdicts;
        const char *verdict; /* overall: "pass", "fail", "inconclusive" or "unknown" */
        /* Linearizability: operations on the checked keys (the history, or
         * the key sample) and all client operations; 0, 0 when not checked. */
        uint64_t lin_ops_checked, lin_ops_total;
        /* Faults injected, in time order. */
        size_t n_faults;
        const struct bl_fault_row *faults;
        uint64_t mem_max_bytes; /* largest memory use of any rank */
        /* Client retransmissions, timeouts, redirects; frames dropped as
         * malformed; summed over all ranks. */
        uint64_t retries, timeouts, redirects, malformed;
        /* Transactions: zeroed (present 0) in runs without a commit layer. */
        struct bl_txn_summary txn;
};

struct bl_run_result {
        struct bl_provenance prov;
        struct bl_run_local local;
        struct bl_run_global global;
};

/*
 * Write r to the HDF5 file `path`, collectively over comm (every rank calls
 * it with its own r). The data goes to "<path>.tmp.<pid of rank 0>" through
 * parallel HDF5, which rank 0 renames to path once the file is closed; an
 * existing file at path is replaced only then. On any failure on any rank
 * the temporary file is removed, nothing is created at path, and every rank
 * returns the same negative code with the same message in eb (the path, the
 * step, and the failing rank when only one failed). The layout is in
 * results/schema.h.
 */
int bl_results_write(MPI_Comm comm, const char *path, const struct bl_run_result *r,
                     struct bl_errbuf *eb);

/* One line of `ballot report`: the headline numbers of one result file.
 * Missing numbers are NaN, unknown counts -1. */
struct bl_report_row {
        char name[128];
        char kernel[64];
        int ranks;
        int shards;
        int replicas;
        char workload[64];
        double ops_per_s;
        double p50_us;
        double p99_us;
        double p999_us;
        double rtt_us; /* median baseline RTT */
        double p50_rtt;
        double msg_rate; /* baseline messages/s */
        double msgs_per_op;
        double bytes_per_op;
        char verdict[16];
        double fsync_us;          /* baseline fdatasync p50; NaN: memory mode or older file */
        double syncs_per_op;      /* fdatasync calls per op, every rank */
        double disk_bytes_per_op; /* bytes written to the logs per op */
        double unavail_ms;        /* worst unavailability over the faults; NaN: no faults */
        double recovery_ms; /* worst recovery time; NaN: no faults, +inf: not recovered ("never") */
        double errors;      /* failed operations of the measured phase */
        double offered_per_s;   /* intended operations per second */
        double achieved_per_s;  /* successful completions per second */
        double mpi_msgs_per_op; /* MPI messages per completion */
        char fingerprint[24];   /* configuration fingerprint (results/fingerprint.h), hex */
        /* Transaction runs only (NaN otherwise): committed per second, share
         * of finished transactions that aborted, commit latency (p50 also in
         * round trips), blocking window, most transactions in doubt. */
        double txn_per_s;
        double abort_ratio;
        double commit_p50_us;
        double commit_p99_us;
        double commit_p50_rtt;
        double block_mean_ms;
        double block_max_ms;
        double in_doubt_max;
        char file[1024];
};

/*
 * Read the report row of one result file, serially (default file driver;
 * MPI need not be initialized). Returns 0, or BL_EIO (cannot open),
 * BL_EHDF5 (not an HDF5 file, or HDF5 failed), BL_EINVAL (not a ballot
 * result file, or a schema version this build does not read) or
 * BL_ENOTFOUND (a required dataset or attribute is missing; it is named),
 * with a message that starts with the path.
 */
int bl_results_read_row(const char *path, struct bl_report_row *row, struct bl_errbuf *eb);

/* The resolved options stored in a result file (/config/options, in
 * option-table order), its rank count and seed. */
struct bl_stored_config {
        size_t n;
        struct bl_cfg_entry *entries; /* [n], strings owned by rows */
        void *rows;
        int nranks;
        uint64_t seed;
};

/*
 * Read the stored configuration of one result file, serially. Returns 0 or
 * the codes of bl_results_read_row, with a message naming the file; free c
 * with bl_stored_config_free (also after a failure).
 */
int bl_results_read_config(const char *path, struct bl_stored_config *c, struct bl_errbuf *eb);
void bl_stored_config_free(struct bl_stored_config *c);

#endif
