/* The HDF5 schema of a ballot result file: every path and attribute name, in one place. */
#ifndef BL_RESULTS_SCHEMA_H
#define BL_RESULTS_SCHEMA_H

/*
 * Layout of schema version 1. Strings in datasets are fixed-length
 * (null-terminated, UTF-8, as long as the longest value); strings in
 * attributes are variable-length. Units are in the names. "rank-major" means
 * row i was written by rank i; "concatenated" means rank 0's rows, then rank
 * 1's, ... with a rank column.
 *
 * /                              attrs: format = "ballot-results", schema_version (int),
 *                                  layout (this tree, short), ballot_version, git_revision,
 *                                  name, kernel, repl_kernel, commit_kernel, workload,
 *                                  nranks, seed, start_time, verdict ("pass"/"fail"/
 *                                  "inconclusive"/"unknown"),
 *                                  ops_per_s, p50_us, p99_us, p999_us, median_rtt_ns,
 *                                  config_fingerprint (16 hex digits: FNV-1a of the resolved
 *                                  options but experiment.seed, .name and .output_dir, and
 *                                  the rank count; results/fingerprint.h)
 * /provenance                    group; attrs: command_line, mpi_version, hdf5_version,
 *                                  hwloc_version, idle_policy, pinning_policy, history (0/1)
 * /provenance/hostnames          string [nranks], rank-major
 * /config                        group; one string attr per option, named "section.key"
 * /config/options                compound [n] {section, key, value}, in option-table order
 * /topology/ranks                compound [nranks] {rank, hostname, cpuset, numa_node,
 *                                  package, cores, clock_offset_ns (rank 0's clock minus
 *                                  this rank's, before the run), clock_error_ns,
 *                                  clock_offset_end_ns (the same after the run),
 *                                  clock_drift_ppm}, rank-major
 * /baseline                      group; attrs median_rtt_ns, msg_rate_per_s, rtt_p50_ns,
 *                                  rtt_p90_ns, rtt_p99_ns, rtt_max_ns, path_rtt_ns and
 *                                  path_pairs (the unit of p50_rtt); storage (NaN in
 *                                  memory mode): fsync_p50_us, fsync_p99_us (4 KiB append +
 *                                  fdatasync in storage.dir), write_mb_per_s, storage_io
 * /baseline/rtt_ns               float64 [nranks][nranks]: median round trip row -> column;
 *                                  0 on the diagonal, NaN when not measured
 * /summary                       compound [nops] {op, count, errors, unfinished, mean_us,
 *                                  p50_us, p90_us, p99_us, p999_us, max_us}; the row op = "all"
 *                                  covers every op; attrs ops, errors, ops_per_s, duration_s,
 *                                  warmup_ops, offered, unfinished, unserved, offered_per_s,
 *                                  achieved_per_s, deadline_hit, p50_rtt, msgs_per_op,
 *                                  mpi_msgs_per_op, bytes_per_op, mem_max_bytes,
 *                                  client_retries, client_timeouts, client_redirects,
 *                                  malformed_frames, syncs_per_op, disk_bytes_per_op,
 *                                  fsync_mean_us (the logs' fdatasync during the run)
 * /latency/bucket_low_ns         uint64 [nbuckets]  (bucket i: low <= latency < high)
 * /latency/bucket_high_ns        uint64 [nbuckets]
 * /latency/<op>/counts           uint64 [nbuckets], one group per /summary row
 * /timeseries                    group; attr interval_s
 * /timeseries/t_s, ops, errors, p99_us   [nintervals] (t_s: end of interval)
 * /messages                      group; attrs total_sent_count, total_sent_bytes
 * /messages/type_names           string [ntypes]
 * /messages/sent_count, sent_bytes, recv_count, recv_bytes
 *                                uint64 [nranks][ntypes], rank-major
 * /replicas                      compound [n] {shard, member, rank, applied, digest, term,
 *                                  commit, mem_bytes}, concatenated
 * /digests                       compound [n] {shard, member, rank, applied, digest},
 *                                  concatenated: every replica's digest checkpoints and its
 *                                  final (applied, digest), for the digest verdict
 * /events                        compound [n] {t_ns, rank, type (enum), a, b}, concatenated
 *                                  (each rank's rows in its own order); attr type_args
 * /verdicts                      compound [n] {name, result (enum fail=0 pass=1 unknown=-1
 *                                  inconclusive=-2), reason}; attrs lin_ops_checked,
 *                                  lin_ops_total, lin_checked_fraction (NaN: not checked)
 * /history                       compound [n] {rank, client, op (enum), outcome (enum
 *                                  ok/fail/unknown), key, arg, ret, ret_status, invoke_ns,
 *                                  return_ns}, concatenated; only when history was recorded
 *
 * Transaction runs only (a commit layer: 2pc/...); absent otherwise:
 * /timeseries/in_doubt, blocked, aborts   uint64 [nintervals], aligned with t_s: most
 *                                  transactions in doubt, most participants blocked during
 *                                  each interval, transactions aborted in it (each optional)
 * /txn                           group; attrs committed, aborted, unknown, aborted_lock,
 *                                  aborted_vote, aborted_timeout, aborted_failure,
 *                                  txn_per_s, aborts_per_s, abort_ratio (aborted / (committed
 *                                  + aborted); NaN: none finished), commit_mean_us,
 *                                  commit_p50_us, commit_p99_us, commit_max_us,
 *                                  commit_p50_rtt (in path_rtt_ns units, else median_rtt_ns),
 *                                  block_n, block_mean_us, block_p99_us, block_max_us,
 *                                  block_long_us, in_doubt_max, in_doubt_end
 * /txn/classes                   compound [n] {class, committed, aborted, unknown,
 *                                  commit_p50_us, commit_p99_us}
 * /txn/blocking                  compound [n] {rank, shard, txn, start_s, end_s (NaN: not
 *                                  over at the end)}, concatenated: blocking windows longer
 *                                  than block_long_us
 * /txn/history                   group; attrs txns, mops, values (row counts); only when a
 *                                  list-append history was recorded
 * /txn/history/txns              compound [n] {id, client, outcome (enum ok/fail/unknown),
 *                                  invoke_ns, complete_ns (-1: outcome unknown), first_mop,
 *                                  nmops}: transaction i's micro-ops are mops[first_mop ..
 *                                  first_mop + nmops)
 * /txn/history/mops              compound [m] {kind (enum append=0, read=1), key, value
 *                                  (append), read_off, read_len (read: the list read is
 *                                  values[read_off .. read_off + read_len))}
 * /txn/history/values            uint64 [v]: the elements of every list read, back to back
 *
 * Every dataset has a "description" attribute. Bump BL_SCHEMA_VERSION when a
 * reader of the old version would misread a new file (renamed or removed
 * objects, changed meaning); adding objects does not need a bump.
 */
#define BL_SCHEMA_VERSION 1
#define BL_SCHEMA_FORMAT  "ballot-results"
#define BL_SCHEMA_LAYOUT                                                                           \
        "summary: /summary (per-op latency in us, row op=all covers all ops; totals in its "       \
        "attributes); correctness: /verdicts and attribute verdict; provenance: /provenance, "     \
        "/config; per-rank: /topology/ranks, /baseline/rtt_ns, /messages; histograms: "            \
        "/latency/<op>/counts with /latency/bucket_low_ns and bucket_high_ns; throughput over "    \
        "time: /timeseries; /replicas, /events, /history (optional); transactions: /txn "          \
        "(optional)"

/* Common attribute on every dataset. */
#define BL_SA_DESCRIPTION "description"

/* Root attributes. */
#define BL_SA_FORMAT         "format"
#define BL_SA_SCHEMA_VERSION "schema_version"
#define BL_SA_LAYOUT         "layout"
#define BL_SA_BALLOT_VERSION "ballot_version"
#define BL_SA_GIT_REVISION   "git_revision"
#define BL_SA_NAME           "name"
#define BL_SA_KERNEL         "kernel"
#define BL_SA_REPL_KERNEL    "repl_kernel"
#define BL_SA_COMMIT_KERNEL  "commit_kernel"
#define BL_SA_WORKLOAD       "workload"
#define BL_SA_NRANKS         "nranks"
#define BL_SA_SEED           "seed"
#define BL_SA_START_TIME     "start_time"
#define BL_SA_VERDICT        "verdict"
#define BL_SA_OPS_PER_S      "ops_per_s"
#define BL_SA_P50_US         "p50_us"
#define BL_SA_P99_US         "p99_us"
#define BL_SA_P999_US        "p999_us"
#define BL_SA_MEDIAN_RTT_NS  "median_rtt_ns"
#define BL_SA_FINGERPRINT    "config_fingerprint"

/* /provenance */
#define BL_SP_PROVENANCE     "/provenance"
#define BL_SP_HOSTNAMES      "/provenance/hostnames"
#define BL_SA_COMMAND_LINE   "command_line"
#define BL_SA_MPI_VERSION    "mpi_version"
#define BL_SA_HDF5_VERSION   "hdf5_version"
#define BL_SA_HWLOC_VERSION  "hwloc_version"
#define BL_SA_IDLE_POLICY    "idle_policy"
#define BL_SA_PINNING_POLICY "pinning_policy"
#define BL_SA_HISTORY        "history"

/* /config: attributes named "<section>.<key>" plus a table. */
#define BL_SP_CONFIG         "/config"
#define BL_SP_CONFIG_OPTIONS "/config/options"
#define BL_SC_SECTION        "section"
#define BL_SC_KEY            "key"
#define BL_SC_VALUE          "value"
/* Options the reader needs (names owned by the config module's table). */
#define BL_SCFG_SHARDS   "cluster.shards"
#define BL_SCFG_REPLICAS "cluster.replicas"
#define BL_SCFG_RECORDS  "store.records"

/* /topology */
#define BL_SP_TOPOLOGY            "/topology"
#define BL_SP_TOPOLOGY_RANKS      "/topology/ranks"
#define BL_SC_RANK                "rank"
#define BL_SC_HOSTNAME            "hostname"
#define BL_SC_CPUSET              "cpuset"
#define BL_SC_NUMA_NODE           "numa_node"
#define BL_SC_PACKAGE             "package"
#define BL_SC_CORES               "cores"
#define BL_SC_CLOCK_OFFSET_NS     "clock_offset_ns"
#define BL_SC_CLOCK_ERROR_NS      "clock_error_ns"
#define BL_SC_CLOCK_OFFSET_END_NS "clock_offset_end_ns"
#define BL_SC_CLOCK_DRIFT_PPM     "clock_drift_ppm"

/* /baseline */
#define BL_SP_BASELINE       "/baseline"
#define BL_SP_RTT_NS         "/baseline/rtt_ns"
#define BL_SA_MSG_RATE_PER_S "msg_rate_per_s"
#define BL_SA_RTT_P50_NS     "rtt_p50_ns"
#define BL_SA_RTT_P90_NS     "rtt_p90_ns"
#define BL_SA_RTT_P99_NS     "rtt_p99_ns"
#define BL_SA_RTT_MAX_NS     "rtt_max_ns"
#define BL_SA_PATH_RTT_NS    "path_rtt_ns" /* median round trip of the request paths */
#define BL_SA_PATH_PAIRS     "path_pairs"  /* those paths: "client->server" rank pairs */
#define BL_SA_FSYNC_P50_US   "fsync_p50_us"
#define BL_SA_FSYNC_P99_US   "fsync_p99_us"
#define BL_SA_WRITE_MBPS     "write_mb_per_s"
#define BL_SA_STORAGE_IO     "storage_io"

/* /summary: dataset columns and attributes. */
#define BL_SP_SUMMARY           "/summary"
#define BL_SUMMARY_ALL          "all"
#define BL_SC_OP                "op"
#define BL_SC_COUNT             "count"
#define BL_SC_ERRORS            "errors"
#define BL_SC_UNFINISHED        "unfinished"
#define BL_SC_MEAN_US           "mean_us"
#define BL_SC_P50_US            "p50_us"
#define BL_SC_P90_US            "p90_us"
#define BL_SC_P99_US            "p99_us"
#define BL_SC_P999_US           "p999_us"
#define BL_SC_MAX_US            "max_us"
#define BL_SA_OPS               "ops"
#define BL_SA_ERRORS            "errors"
#define BL_SA_DURATION_S        "duration_s"
#define BL_SA_WARMUP_OPS        "warmup_ops"
#define BL_SA_P50_RTT           "p50_rtt"
#define BL_SA_MSGS_PER_OP       "msgs_per_op"
#define BL_SA_MPI_MSGS_PER_OP   "mpi_msgs_per_op"
#define BL_SA_OFFERED           "offered"
#define BL_SA_UNFINISHED        "unfinished"
#define BL_SA_UNSERVED          "unserved"
#define BL_SA_OFFERED_PER_S     "offered_per_s"
#define BL_SA_ACHIEVED_PER_S    "achieved_per_s"
#define BL_SA_DEADLINE_HIT      "deadline_hit"
#define BL_SA_BYTES_PER_OP      "bytes_per_op"
#define BL_SA_MEM_MAX_BYTES     "mem_max_bytes"
#define BL_SA_RETRIES           "client_retries"
#define BL_SA_TIMEOUTS          "client_timeouts"
#define BL_SA_REDIRECTS         "client_redirects"
#define BL_SA_MALFORMED         "malformed_frames"
#define BL_SA_SYNCS_PER_OP      "syncs_per_op"
#define BL_SA_DISK_BYTES_PER_OP "disk_bytes_per_op"
#define BL_SA_SYNC_MEAN_US      "fsync_mean_us"

/* /latency */
#define BL_SP_LATENCY        "/latency"
#define BL_SP_BUCKET_LOW_NS  "/latency/bucket_low_ns"
#define BL_SP_BUCKET_HIGH_NS "/latency/bucket_high_ns"
#define BL_SN_COUNTS         "counts" /* /latency/<op>/counts */

/* /timeseries */
#define BL_SP_TIMESERIES "/timeseries"
#define BL_SA_INTERVAL_S "interval_s"
#define BL_SN_TS_T_S     "t_s"
#define BL_SN_TS_OPS     "ops"
#define BL_SN_TS_ERRORS  "errors"
#define BL_SN_TS_P99_US  "p99_us"

/* /messages */
#define BL_SP_MESSAGES         "/messages"
#define BL_SP_MSG_TYPE_NAMES   "/messages/type_names"
#define BL_SN_SENT_COUNT       "sent_count"
#define BL_SN_SENT_BYTES       "sent_bytes"
#define BL_SN_RECV_COUNT       "recv_count"
#define BL_SN_RECV_BYTES       "recv_bytes"
#define BL_SA_TOTAL_SENT_COUNT "total_sent_count"
#define BL_SA_TOTAL_SENT_BYTES "total_sent_bytes"

/* /replicas */
#define BL_SP_REPLICAS  "/replicas"
#define BL_SC_SHARD     "shard"
#define BL_SC_MEMBER    "member"
#define BL_SC_APPLIED   "applied"
#define BL_SC_DIGEST    "digest"
#define BL_SC_TERM      "term"
#define BL_SC_COMMIT    "commit"
#define BL_SC_MEM_BYTES "mem_bytes"

/* /digests (columns as /replicas) */
#define BL_SP_DIGESTS "/digests"

/* /events */
#define BL_SP_EVENTS    "/events"
#define BL_SC_T_NS      "t_ns"
#define BL_SC_TYPE      "type"
#define BL_SC_A         "a"
#define BL_SC_B         "b"
#define BL_SA_TYPE_ARGS "type_args"

/* /verdicts */
#define BL_SP_VERDICTS        "/verdicts"
#define BL_SC_NAME            "name"
#define BL_SC_RESULT          "result"
#define BL_SC_REASON          "reason"
#define BL_SA_LIN_OPS_CHECKED "lin_ops_checked"
#define BL_SA_LIN_OPS_TOTAL   "lin_ops_total"
#define BL_SA_LIN_FRACTION    "lin_checked_fraction"

/* /faults: one row per injected fault, with the availability it cost */
#define BL_SP_FAULTS          "/faults"
#define BL_SC_T_S             "t_s"
#define BL_SC_DESCRIPTION     "description"
#define BL_SC_UNAVAILABLE_S   "unavailable_s"
#define BL_SC_RECOVERY_S      "recovery_s"
#define BL_SC_SHARD_UNAVAIL_S "shard_unavailable_s"
#define BL_SA_MAX_UNAVAIL_S   "max_unavailable_s"
#define BL_SA_MAX_RECOVERY_S  "max_recovery_s"
/* and BL_SC_APPLIED: 0 when the fault was timed after the end and not applied */

/* /history */
#define BL_SP_HISTORY    "/history"
#define BL_SC_CLIENT     "client"
#define BL_SC_OUTCOME    "outcome"
#define BL_SC_ARG        "arg"
#define BL_SC_RET        "ret"
#define BL_SC_RET_STATUS "ret_status"
#define BL_SC_INVOKE_NS  "invoke_ns"
#define BL_SC_RETURN_NS  "return_ns"
/* BL_SC_KEY and BL_SC_OP are shared with /config and /summary. */

/* Transactions (only in runs with a commit layer). */
#define BL_SN_TS_IN_DOUBT       "in_doubt" /* /timeseries/in_doubt */
#define BL_SN_TS_BLOCKED        "blocked"
#define BL_SN_TS_ABORTS         "aborts"
#define BL_SP_TXN               "/txn"
#define BL_SA_TXN_COMMITTED     "committed"
#define BL_SA_TXN_ABORTED       "aborted"
#define BL_SA_TXN_UNKNOWN       "unknown"
#define BL_SA_TXN_ABORTED_LOCK  "aborted_lock" /* one per enum bl_txn_abort_reason */
#define BL_SA_TXN_ABORTED_VOTE  "aborted_vote"
#define BL_SA_TXN_ABORTED_TIME  "aborted_timeout"
#define BL_SA_TXN_ABORTED_FAIL  "aborted_failure"
#define BL_SA_TXN_PER_S         "txn_per_s"
#define BL_SA_TXN_ABORTS_PER_S  "aborts_per_s"
#define BL_SA_TXN_ABORT_RATIO   "abort_ratio"
#define BL_SA_TXN_COMMIT_MEAN   "commit_mean_us"
#define BL_SA_TXN_COMMIT_P50    "commit_p50_us"
#define BL_SA_TXN_COMMIT_P99    "commit_p99_us"
#define BL_SA_TXN_COMMIT_MAX    "commit_max_us"
#define BL_SA_TXN_COMMIT_P50RTT "commit_p50_rtt"
#define BL_SA_TXN_BLOCK_N       "block_n"
#define BL_SA_TXN_BLOCK_MEAN    "block_mean_us"
#define BL_SA_TXN_BLOCK_P99     "block_p99_us"
#define BL_SA_TXN_BLOCK_MAX     "block_max_us"
#define BL_SA_TXN_BLOCK_LONG    "block_long_us"
#define BL_SA_TXN_IN_DOUBT_MAX  "in_doubt_max"
#define BL_SA_TXN_IN_DOUBT_END  "in_doubt_end"
#define BL_SP_TXN_CLASSES       "/txn/classes"
#define BL_SC_CLASS             "class"
#define BL_SC_COMMITTED         "committed"
#define BL_SC_ABORTED           "aborted"
#define BL_SC_UNKNOWN           "unknown"
#define BL_SC_COMMIT_P50_US     "commit_p50_us"
#define BL_SC_COMMIT_P99_US     "commit_p99_us"
#define BL_SP_TXN_BLOCKING      "/txn/blocking"
#define BL_SC_TXN               "txn"
#define BL_SC_START_S           "start_s"
#define BL_SC_END_S             "end_s"
#define BL_SP_TXN_HISTORY       "/txn/history"
#define BL_SA_TXH_TXNS          "txns"
#define BL_SA_TXH_MOPS          "mops"
#define BL_SA_TXH_VALUES        "values"
#define BL_SP_TXH_TXNS          "/txn/history/txns"
#define BL_SC_ID                "id"
#define BL_SC_COMPLETE_NS       "complete_ns"
#define BL_SC_FIRST_MOP         "first_mop"
#define BL_SC_NMOPS             "nmops"
#define BL_SP_TXH_MOPS          "/txn/history/mops"
#define BL_SC_KIND              "kind"
#define BL_SC_READ_OFF          "read_off"
#define BL_SC_READ_LEN          "read_len"
#define BL_SP_TXH_VALUES        "/txn/history/values"
/* BL_SC_CLIENT, BL_SC_OUTCOME, BL_SC_INVOKE_NS, BL_SC_KEY, BL_SC_VALUE, BL_SC_RANK and
 * BL_SC_SHARD are shared with the tables above. */

#endif
