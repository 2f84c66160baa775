/* Resolved experiment configuration: one plain struct, filled from one option table. */
#ifndef BL_CONFIG_CONFIG_H
#define BL_CONFIG_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "kernels/none/options.h"
#include "kernels/paxos/options.h"
#include "kernels/raft/options.h"

#define BL_NAME_MAX 64
#define BL_PATH_MAX 512

enum bl_idle { BL_IDLE_BUSY, BL_IDLE_YIELD, BL_IDLE_SLEEP, BL_IDLE_AUTO };
enum bl_pinning { BL_PIN_NONE, BL_PIN_CORE, BL_PIN_NUMA_SPREAD, BL_PIN_NUMA_COMPACT };
enum bl_placement { BL_PLACE_SPREAD, BL_PLACE_PACK };
enum bl_dist { BL_DIST_DEFAULT, BL_DIST_UNIFORM, BL_DIST_ZIPFIAN, BL_DIST_LATEST, BL_DIST_HOTSPOT };
enum bl_workload_type {
        BL_WL_YCSB_A,
        BL_WL_YCSB_B,
        BL_WL_YCSB_C,
        BL_WL_YCSB_D,
        BL_WL_YCSB_F,
        BL_WL_COUNTER,
        BL_WL_BANK,        /* transactions (need a commit layer): transfers and audits */
        BL_WL_YCSB_T,      /* transactions of txn.keys read-modify-writes */
        BL_WL_LIST_APPEND, /* transactions of appends and list reads (serializability) */
};
/* Same order as enum bl_txs_cc (src/store/txn.h). */
enum bl_txn_cc { BL_CC_NO_WAIT, BL_CC_WAIT_DIE };
/* Same order as enum bl_wal_mode (src/storage/wal.h). */
enum bl_storage_mode { BL_STORAGE_MEMORY, BL_STORAGE_WRITE, BL_STORAGE_FSYNC };

/*
 * Every field has exactly one entry in the option table (config.c), which
 * gives its INI section and key, type, default, range and help. Nothing else
 * knows defaults. Kernels read their own sub-struct; they include this header
 * only for the plain data (it has no I/O).
 */
struct bl_config {
        struct {
                char name[BL_NAME_MAX];   /* experiment name; file name prefix */
                char kernel[BL_NAME_MAX]; /* "none", "raft", "2pc/raft", ... as given */
                char repl[BL_NAME_MAX];   /* replication kernel, derived from kernel */
                char commit[BL_NAME_MAX]; /* commit kernel or "none", derived */
                uint64_t seed;
                double duration_s;  /* measured phase length (ignored if ops > 0) */
                double warmup_s;    /* measured, excluded from the summary */
                uint64_t ops;       /* measured operations to issue; 0 = by duration */
                double deadline_s;  /* ops > 0: longest measured phase, seconds */
                int history;        /* record the client history */
                int history_sample; /* check 1 in N keys when history is off; 0 = off */
                int history_hot;    /* ... and the N hottest keys of the workload */
                char output_dir[BL_PATH_MAX];
                double status_interval_s;  /* rank 0 status line period; 0 = off */
                double check_time_limit_s; /* linearizability check budget at the end */
        } experiment;
        struct {
                int shards;
                int replicas;
                int client_ranks; /* 0: clients on every rank; k: last k ranks only */
                enum bl_placement placement;
                enum bl_pinning pinning;
                enum bl_idle idle;
                int tick_us; /* kernel tick period */
        } cluster;
        struct {
                uint64_t records; /* preloaded keys */
                int value_size;   /* bytes per value on the wire */
        } store;
        struct {
                enum bl_workload_type type;
                enum bl_dist distribution; /* DEFAULT: the workload's own */
                double zipf_constant;
                double hotspot_data_fraction;
                double hotspot_op_fraction;
                int counters; /* keys used by the counter workload */
        } workload;
        struct {
                enum bl_txn_cc cc; /* participants' two-phase locking: no-wait | wait-die */
                int keys;          /* ycsb-t: read-modify-writes per transaction */
                int timeout_ms;    /* coordinator aborts a txn whose votes are missing */
                int retry_ms;      /* coordinator resends PREPARE / DECIDE */
                int query_ms;      /* a participant in doubt asks the coordinator */
        } txn;
        struct {
                uint64_t initial_balance; /* per account (accounts = store.records) */
                uint64_t max_transfer;    /* amounts uniform in [1, max_transfer] */
                double audit_fraction;    /* share of audit transactions */
                uint64_t audit_accounts;  /* accounts an audit reads; 0: all */
                double cross_shard;       /* share of transfers between two shards */
        } bank;
        struct {
                int per_rank;    /* client sessions per client rank */
                int outstanding; /* closed loop: requests in flight per client */
                double rate;     /* open loop: total target ops/s; 0 = closed */
                int timeout_ms;  /* retry after this long without a reply */
        } clients;
        struct {
                int interval_ms; /* time series bucket */
        } metrics;
        struct {
                int iterations; /* ping-pongs per rank pair */
                int window;     /* message-rate window */
        } baseline;
        struct bl_none_options none;   /* kernels/none/options.h */
        struct bl_raft_options raft;   /* kernels/raft/options.h */
        struct bl_paxos_options paxos; /* kernels/paxos/options.h */
        struct {
                char schedule[BL_PATH_MAX]; /* fault schedule file; "" = none */
        } faults;
        struct {
                enum bl_storage_mode mode;
                char dir[BL_PATH_MAX]; /* parent of the run's folder; "" = $TMPDIR or /tmp */
                int keep;              /* keep the run's folder at the end */
        } storage;
};

/*
 * Load a configuration: defaults, then the INI file (path may be NULL for
 * defaults only), then "section.key=value" overrides in order, then
 * validation of each value and of combinations that need the rank count
 * (nranks <= 0 skips those). On error returns BL_ECONFIG with a message that
 * names the file, line, key, value and what is allowed; cfg is then
 * unspecified.
 */
int bl_config_load(struct bl_config *cfg, const char *path, const char *const *overrides,
                   int n_overrides, int nranks, struct bl_errbuf *eb);

/* Defaults only. Cannot fail. */
void bl_config_defaults(struct bl_config *cfg);

/* Checks that need the rank count (replicas <= server ranks, ...). */
int bl_config_validate_ranks(const struct bl_config *cfg, int nranks, struct bl_errbuf *eb);

/* Visit every option with its resolved value as text, in table order. Used
 * for the config dump in the result file and for printing. */
typedef void (*bl_config_visit_fn)(void *arg, const char *section, const char *key,
                                   const char *value);
void bl_config_visit(const struct bl_config *cfg, bl_config_visit_fn fn, void *arg);

/* Print every option with type, default, range and help (for `ballot info`). */
void bl_config_print_options(FILE *out);

/* Helpers for the name tables of enums, for reports. */
const char *bl_idle_name(enum bl_idle v);
const char *bl_pinning_name(enum bl_pinning v);
const char *bl_placement_name(enum bl_placement v);
const char *bl_workload_name(enum bl_workload_type v);
const char *bl_dist_name(enum bl_dist v);
const char *bl_read_mode_name(enum bl_read_mode v);
const char *bl_storage_mode_name(enum bl_storage_mode v);
const char *bl_txn_cc_name(enum bl_txn_cc v);
/* 1 for the transaction workloads (bank, ycsb-t, list-append). */
int bl_workload_is_txn(enum bl_workload_type v);

#endif
