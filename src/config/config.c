/*
 * The option table and everything derived from it: defaults, INI parsing,
 * "-o section.key=value" overrides, validation, the config dump and the
 * option listing for `ballot info`.
 *
 * Every option is one row of options[]: section, key, type, where the value
 * lives in struct bl_config, its default (as text, parsed by the same code
 * that parses files, so a default is always in its own range), range or
 * choices, and help. Adding an option means adding a field to struct
 * bl_config and one row here; nothing else knows defaults.
 *
 * Errors say where the bad value came from ("file:line", "override -o X", or
 * "default"), which option, which value, and what is allowed. To do that the
 * loader remembers for every option where it was last set (struct origin).
 * A check of a combination (replicas against the kernel, warm-up against the
 * duration, ...) blames the option that was set explicitly and names the
 * other one with its own origin.
 *
 * inih as packaged does not pass line numbers to the handler, so the file is
 * read through our own line reader (ini_parse_stream), which counts lines and
 * also catches what inih would accept silently: over-long lines (inih would
 * split them), unknown sections without keys, and indented lines, which inih
 * glues to the previous key as multi-line values.
 *
 * Nothing here allocates or prints, except bl_config_print_options to the
 * stream it is given. Loading costs O(lines x options), a few microseconds.
 */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "common/number.h"
#include "kernels/kernel.h"
#include "store/txn.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- name tables (shared by the parser and the bl_*_name helpers) ---- */

static const char *const idle_names[] = {"busy", "yield", "sleep", "auto", NULL};
static const char *const pinning_names[] = {"none", "core", "numa-spread", "numa-compact", NULL};
static const char *const placement_names[] = {"spread", "pack", NULL};
static const char *const dist_names[] = {"default", "uniform", "zipfian",
                                         "latest",  "hotspot", NULL};
static const char *const workload_names[] = {"ycsb-a",  "ycsb-b", "ycsb-c", "ycsb-d",      "ycsb-f",
                                             "counter", "bank",   "ycsb-t", "list-append", NULL};
static const char *const cc_names[] = {"no-wait", "wait-die", NULL};
static const char *const read_mode_names[] = BL_RAFT_READ_MODE_NAMES;
static const char *const paxos_read_mode_names[] = BL_PAXOS_READ_MODE_NAMES;
static const char *const storage_mode_names[] = {"memory", "write", "fsync", NULL};

/* Each table has one name per enum value, in order, plus the NULL. */
_Static_assert(ARRAY_LEN(idle_names) == BL_IDLE_AUTO + 2, "idle_names");
_Static_assert(ARRAY_LEN(pinning_names) == BL_PIN_NUMA_COMPACT + 2, "pinning_names");
_Static_assert(ARRAY_LEN(placement_names) == BL_PLACE_PACK + 2, "placement_names");
_Static_assert(ARRAY_LEN(dist_names) == BL_DIST_HOTSPOT + 2, "dist_names");
_Static_assert(ARRAY_LEN(workload_names) == BL_WL_LIST_APPEND + 2, "workload_names");
_Static_assert(ARRAY_LEN(cc_names) == BL_CC_WAIT_DIE + 2, "cc_names");
_Static_assert(ARRAY_LEN(read_mode_names) == BL_READ_INDEX + 2, "read_mode_names");
_Static_assert(ARRAY_LEN(paxos_read_mode_names) == BL_PAXOS_READ_QUORUM + 2,
               "paxos_read_mode_names");
/* Enum fields are stored through an int. */
_Static_assert(sizeof(enum bl_idle) == sizeof(int), "enum size");

/*
 * Commit kernels that are planned but not registered yet (none at the
 * moment; 2pc is registered): a single name from this list means "this commit
 * kernel over unreplicated shards", and the error for it says "not
 * implemented yet" rather than "unknown".
 */
static const char *const planned_commit_kernels[] = {NULL};

/* ---- the option table ---- */

enum opt_type { OPT_INT, OPT_U64, OPT_DOUBLE, OPT_BOOL, OPT_STRING, OPT_ENUM };

static const char *const type_names[] = {"int", "uint64", "double", "bool", "string", "enum"};

/* Double ranges: the bound itself is excluded. */
#define OPT_MIN_OPEN 0x1u
#define OPT_MAX_OPEN 0x2u
#define OPT_EMPTY_OK 0x4u /* OPT_STRING: the empty string is a value */

/* Why a string value is not acceptable, written into why (n bytes). */
typedef int (*opt_check_fn)(const char *v, char *why, size_t n);
/* What a string option accepts, as text. */
typedef void (*opt_allowed_fn)(char *buf, size_t n);

struct opt {
        const char *section;
        const char *key;
        enum opt_type type;
        size_t offset;            /* of the field in struct bl_config */
        size_t size;              /* of the field (string capacity) */
        const char *def;          /* default, as text */
        int64_t imin, imax;       /* OPT_INT */
        uint64_t umin, umax;      /* OPT_U64 */
        double dmin, dmax;        /* OPT_DOUBLE */
        unsigned flags;           /* OPT_MIN_OPEN, OPT_MAX_OPEN */
        const char *const *names; /* OPT_ENUM: NULL-terminated, index == value */
        opt_check_fn check;       /* OPT_STRING: extra check, may be NULL */
        opt_allowed_fn allowed;   /* OPT_STRING: description of what check accepts */
        const char *help;
};

/*
 * TYPED(f, T) is the offset of field f, and fails to compile unless f has
 * type T: the table cannot store a double into an int.
 */
#define TYPED(f, T)                                                                                \
        (offsetof(struct bl_config, f) + 0 * sizeof(_Generic(&((struct bl_config *)0)->f, T * : 1)))
#define FSIZE(f) sizeof(((struct bl_config *)0)->f)

#define O_INT(s, k, f, d, lo, hi, h)                                                               \
        {                                                                                          \
                .section = s, .key = k, .type = OPT_INT, .offset = TYPED(f, int),                  \
                .size = FSIZE(f), .def = d, .imin = lo, .imax = hi, .help = h                      \
        }
#define O_U64(s, k, f, d, lo, hi, h)                                                               \
        {                                                                                          \
                .section = s, .key = k, .type = OPT_U64, .offset = TYPED(f, uint64_t),             \
                .size = FSIZE(f), .def = d, .umin = lo, .umax = hi, .help = h                      \
        }
#define O_DBL(s, k, f, d, lo, hi, fl, h)                                                           \
        {                                                                                          \
                .section = s, .key = k, .type = OPT_DOUBLE, .offset = TYPED(f, double),            \
                .size = FSIZE(f), .def = d, .dmin = lo, .dmax = hi, .flags = fl, .help = h         \
        }
#define O_BOOL(s, k, f, d, h)                                                                      \
        {                                                                                          \
                .section = s, .key = k, .type = OPT_BOOL, .offset = TYPED(f, int),                 \
                .size = FSIZE(f), .def = d, .help = h                                              \
        }
#define O_STR(s, k, f, d, chk, alw, h)                                                             \
        {                                                                                          \
                .section = s, .key = k, .type = OPT_STRING, .offset = TYPED(f[0], char),           \
                .size = FSIZE(f), .def = d, .check = chk, .allowed = alw, .help = h                \
        }
#define O_ENUM(s, k, f, T, nm, d, h)                                                               \
        {                                                                                          \
                .section = s, .key = k, .type = OPT_ENUM, .offset = TYPED(f, T), .size = FSIZE(f), \
                .def = d, .names = nm, .help = h                                                   \
        }

static int check_name(const char *v, char *why, size_t n);
static void allowed_name(char *buf, size_t n);
static int check_kernel(const char *v, char *why, size_t n);
static void allowed_kernel(char *buf, size_t n);

#define E  "experiment"
#define C  "cluster"
#define S  "store"
#define W  "workload"
#define CL "clients"
#define T  "txn"
#define BK "bank"
#define M  "metrics"
#define B  "baseline"
#define NO "none"
#define R  "raft"
#define P  "paxos"
#define F  "faults"
#define ST "storage"

static const struct opt options[] = {
    O_STR(E, "name", experiment.name, "default", check_name, allowed_name,
          "experiment name; prefix of the result file name"),
    O_STR(E, "kernel", experiment.kernel, "none", check_kernel, allowed_kernel,
          "protocol kernel: one of the kernels listed above"),
    O_U64(E, "seed", experiment.seed, "42", 0, UINT64_MAX,
          "seed of every random stream (workload, faults, kernels)"),
    O_DBL(E, "duration_s", experiment.duration_s, "3", 0, 1e6, 0,
          "measured phase in seconds; must be > 0 unless ops > 0"),
    O_DBL(E, "warmup_s", experiment.warmup_s, "0.5", 0, 1e6, 0,
          "warm-up in seconds, measured but left out of the summary"),
    O_U64(E, "ops", experiment.ops, "0", 0, UINT64_C(1000000000000),
          "run until this many measured operations (warm-up excluded) were issued; 0: run "
          "for duration_s"),
    O_DBL(E, "deadline_s", experiment.deadline_s, "300", 0, 1e6, OPT_MIN_OPEN,
          "ops > 0: end the measured phase after this many seconds even if the ops were not "
          "all issued (the verdict says so); a run by ops always has a deadline"),
    O_BOOL(E, "history", experiment.history, "false",
           "record every client operation in the result and check linearizability"),
    O_INT(E, "history_sample", experiment.history_sample, "64", 0, 1048576,
          "history off: still check linearizability on the keys of 1 in N (by key hash); "
          "0: off"),
    O_INT(E, "history_hot", experiment.history_hot, "8", 0, 1024,
          "history off: also check linearizability on the N hottest keys of the workload's "
          "key distribution (where a skewed workload's operations concentrate); 0: off"),
    O_DBL(E, "check_time_limit_s", experiment.check_time_limit_s, "60", 1e-6, 1e6, 0,
          "time budget of the linearizability check at the end; past it the verdict is "
          "inconclusive"),
    O_STR(E, "output_dir", experiment.output_dir, "results", NULL, NULL,
          "directory for the result file"),
    O_DBL(E, "status_interval_s", experiment.status_interval_s, "1", 0, 3600, 0,
          "period of rank 0's status line in seconds; 0: off"),

    O_INT(C, "shards", cluster.shards, "3", 1, 4096, "number of shards the keys hash to"),
    O_INT(C, "replicas", cluster.replicas, "1", 1, 15, "replicas per shard, each on its own rank"),
    O_INT(C, "client_ranks", cluster.client_ranks, "0", 0, 1 << 20,
          "0: clients on every rank; k: the last k ranks run clients only"),
    O_ENUM(C, "placement", cluster.placement, enum bl_placement, placement_names, "spread",
           "replicas of a shard across NUMA domains and nodes, or packed together"),
    O_ENUM(C, "pinning", cluster.pinning, enum bl_pinning, pinning_names, "none",
           "how ranks are bound to cores"),
    O_ENUM(C, "idle", cluster.idle, enum bl_idle, idle_names, "auto",
           "what an idle rank does; auto yields only when oversubscribed"),
    O_INT(C, "tick_us", cluster.tick_us, "1000", 10, 1000000, "kernel timer tick in microseconds"),

    O_U64(S, "records", store.records, "10000", 1, UINT64_C(1000000000),
          "keys preloaded into the store"),
    O_INT(S, "value_size", store.value_size, "100", 0, 1 << 20,
          "bytes per value carried on the wire"),

    O_ENUM(W, "type", workload.type, enum bl_workload_type, workload_names, "ycsb-a",
           "operation mix: YCSB core workload, increments of a few counters, or transactions "
           "(bank, ycsb-t, list-append; they need a commit kernel, e.g. 2pc/raft)"),
    O_ENUM(W, "distribution", workload.distribution, enum bl_dist, dist_names, "default",
           "key popularity; default: the workload's own"),
    O_DBL(W, "zipf_constant", workload.zipf_constant, "0.99", 0, 1, OPT_MIN_OPEN | OPT_MAX_OPEN,
          "skew of the zipfian distribution"),
    O_DBL(W, "hotspot_data_fraction", workload.hotspot_data_fraction, "0.2", 0, 1, OPT_MIN_OPEN,
          "hotspot: fraction of the keys that are hot"),
    O_DBL(W, "hotspot_op_fraction", workload.hotspot_op_fraction, "0.8", 0, 1, 0,
          "hotspot: fraction of the operations that go to hot keys"),
    O_INT(W, "counters", workload.counters, "4", 1, 1000000,
          "counter workload: number of counter keys (at most records)"),

    O_ENUM(T, "cc", txn.cc, enum bl_txn_cc, cc_names, "no-wait",
           "participants' two-phase locking: no-wait (a conflict votes NO at once) or "
           "wait-die (an older transaction waits, a younger one dies)"),
    O_INT(T, "keys", txn.keys, "4", 1, 1024,
          "ycsb-t: read-modify-writes per transaction (distinct keys, at most records)"),
    O_INT(T, "timeout_ms", txn.timeout_ms, "500", 1, 3600000,
          "the coordinator aborts a transaction whose votes are missing this long"),
    O_INT(T, "retry_ms", txn.retry_ms, "100", 1, 3600000,
          "the coordinator resends an unanswered PREPARE or DECIDE after this long"),
    O_INT(T, "query_ms", txn.query_ms, "200", 1, 3600000,
          "a participant holding a prepared transaction without a decision asks the "
          "coordinator this often"),

    O_U64(BK, "initial_balance", bank.initial_balance, "1000", 0, UINT64_C(1) << 40,
          "bank: balance of every account at the start (accounts = store.records)"),
    O_U64(BK, "max_transfer", bank.max_transfer, "100", 1, UINT64_C(1) << 40,
          "bank: transfer amounts are uniform in [1, max_transfer]"),
    O_DBL(BK, "audit_fraction", bank.audit_fraction, "0.1", 0, 1, 0,
          "bank: share of audit transactions (read accounts; the rest are transfers)"),
    O_U64(BK, "audit_accounts", bank.audit_accounts, "0", 0, UINT64_C(1000000000),
          "bank: accounts one audit reads (at most records); 0: all of them, so every audit "
          "checks the total"),
    O_DBL(BK, "cross_shard", bank.cross_shard, "0.9", 0, 1, 0,
          "bank: share of transfers between accounts of two different shards"),

    O_INT(CL, "per_rank", clients.per_rank, "4", 1, 4096, "client sessions per client rank"),
    O_INT(CL, "outstanding", clients.outstanding, "1", 1, 1024,
          "closed loop: requests in flight per client"),
    O_DBL(CL, "rate", clients.rate, "0", 0, 1e9, 0,
          "open loop: total target operations per second; 0: closed loop"),
    O_INT(CL, "timeout_ms", clients.timeout_ms, "1000", 1, 3600000,
          "a client retries after this long without a reply"),

    O_INT(M, "interval_ms", metrics.interval_ms, "100", 1, 60000,
          "time series bucket in milliseconds"),

    O_INT(B, "iterations", baseline.iterations, "200", 1, 1000000, "MPI ping-pongs per rank pair"),
    O_INT(B, "window", baseline.window, "64", 1, 4096,
          "messages in flight for the message-rate measurement"),

    BL_NONE_OPTION_ROWS(NO),
    BL_RAFT_OPTION_ROWS(R),
    BL_PAXOS_OPTION_ROWS(P),
    {.section = F,
     .key = "schedule",
     .type = OPT_STRING,
     .offset = TYPED(faults.schedule[0], char),
     .size = FSIZE(faults.schedule),
     .def = "",
     .flags = OPT_EMPTY_OK,
     .help = "fault schedule file (relative to this config file's folder); empty: no faults"},

    O_ENUM(ST, "mode", storage.mode, enum bl_storage_mode, storage_mode_names, "memory",
           "write-ahead log: memory (durable at once, no I/O), write (write() without sync: "
           "survives a process crash), fsync (fdatasync with group commit: survives power loss)"),
    {.section = ST,
     .key = "dir",
     .type = OPT_STRING,
     .offset = TYPED(storage.dir[0], char),
     .size = FSIZE(storage.dir),
     .def = "",
     .flags = OPT_EMPTY_OK,
     .help = "folder that holds each run's own log folder (write, fsync); empty: $TMPDIR, "
             "else /tmp"},
    O_BOOL(ST, "keep", storage.keep, "false",
           "keep the run's log folder at the end instead of removing it"),
};

#undef E
#undef C
#undef S
#undef W
#undef CL
#undef T
#undef BK
#undef M
#undef B
#undef F
#undef ST
#undef NO
#undef R
#undef P

#define N_OPTIONS ((int)ARRAY_LEN(options))

/* Offset of a field -> its option index; -1 if the field is no option. */
static int opt_of_field(size_t offset)
{
        for (int i = 0; i < N_OPTIONS; i++)
                if (options[i].offset == offset)
                        return i;
        return -1;
}
#define OPT(f) opt_of_field(offsetof(struct bl_config, f))

static int section_known(const char *section)
{
        for (int i = 0; i < N_OPTIONS; i++)
                if (strcmp(options[i].section, section) == 0)
                        return 1;
        return 0;
}

static int opt_find(const char *section, const char *key)
{
        for (int i = 0; i < N_OPTIONS; i++)
                if (strcmp(options[i].section, section) == 0 && strcmp(options[i].key, key) == 0)
                        return i;
        return -1;
}

/* Append to buf (n bytes) as snprintf would; never overflows. */
static void appendf(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t n, const char *fmt, ...)
{
        size_t len = strlen(buf);
        va_list ap;

        if (len + 1 >= n)
                return;
        va_start(ap, fmt);
        vsnprintf(buf + len, n - len, fmt, ap);
        va_end(ap);
}

/* "experiment, cluster, ..." in table order. */
static void list_sections(char *buf, size_t n)
{
        buf[0] = '\0';
        for (int i = 0; i < N_OPTIONS; i++)
                if (i == 0 || strcmp(options[i].section, options[i - 1].section) != 0)
                        appendf(buf, n, "%s%s", i == 0 ? "" : ", ", options[i].section);
}

static void list_keys(const char *section, char *buf, size_t n)
{
        buf[0] = '\0';
        for (int i = 0; i < N_OPTIONS; i++)
                if (strcmp(options[i].section, section) == 0)
                        appendf(buf, n, "%s%s", buf[0] == '\0' ? "" : ", ", options[i].key);
}

/* ---- kernels ---- */

static int in_list(const char *const *list, const char *name)
{
        for (int i = 0; list[i] != NULL; i++)
                if (strcmp(list[i], name) == 0)
                        return 1;
        return 0;
}

static int is_kernel(const char *name, enum bl_kernel_kind kind)
{
        const struct bl_kernel *k = bl_kernel_find(name);

        return k != NULL && k->kind == kind;
}

/* Registered kernels of one kind, "a, b". */
static void list_kernels(enum bl_kernel_kind kind, char *buf, size_t n)
{
        buf[0] = '\0';
        for (int i = 0; bl_kernels[i] != NULL; i++)
                if (bl_kernels[i]->kind == kind)
                        appendf(buf, n, "%s%s", buf[0] == '\0' ? "" : ", ", bl_kernels[i]->name);
}

/*
 * Split a kernel spec into its commit and replication parts (each buffer
 * BL_NAME_MAX bytes): "raft" -> none + raft, "2pc" -> 2pc + none, "2pc/raft"
 * -> 2pc + raft. Returns -1 if the spec is malformed (empty part, two '/').
 * Checks no names.
 */
static int kernel_split(const char *spec, char *commit, char *repl)
{
        const char *slash = strchr(spec, '/');
        size_t len = strlen(spec);

        if (len == 0 || len >= BL_NAME_MAX)
                return -1;
        if (slash == NULL) {
                if (is_kernel(spec, BL_KERNEL_COMMIT) || in_list(planned_commit_kernels, spec)) {
                        memcpy(commit, spec, len + 1);
                        strcpy(repl, "none");
                } else {
                        strcpy(commit, "none");
                        memcpy(repl, spec, len + 1);
                }
                return 0;
        }
        if (slash == spec || slash[1] == '\0' || strchr(slash + 1, '/') != NULL)
                return -1;
        memcpy(commit, spec, (size_t)(slash - spec));
        commit[slash - spec] = '\0';
        strcpy(repl, slash + 1);
        return 0;
}

static void allowed_kernel(char *buf, size_t n)
{
        char repl[256], commit[256];

        list_kernels(BL_KERNEL_REPLICATION, repl, sizeof(repl));
        list_kernels(BL_KERNEL_COMMIT, commit, sizeof(commit));
        snprintf(buf, n, "REPL or COMMIT/REPL; REPL: %s; COMMIT: none%s%s", repl,
                 commit[0] != '\0' ? ", " : "", commit);
}

static int check_kernel(const char *v, char *why, size_t n)
{
        char commit[BL_NAME_MAX], repl[BL_NAME_MAX], allowed[400];

        allowed_kernel(allowed, sizeof(allowed));
        if (kernel_split(v, commit, repl) < 0) {
                snprintf(why, n, "malformed kernel name, allowed %s", allowed);
                return -1;
        }
        if (strcmp(commit, "none") != 0 && !is_kernel(commit, BL_KERNEL_COMMIT)) {
                if (in_list(planned_commit_kernels, commit))
                        snprintf(why, n, "commit kernel '%s' is not implemented yet, allowed %s",
                                 commit, allowed);
                else
                        snprintf(why, n, "unknown commit kernel '%s', allowed %s", commit, allowed);
                return -1;
        }
        if (!is_kernel(repl, BL_KERNEL_REPLICATION)) {
                snprintf(why, n, "unknown replication kernel '%s', allowed %s", repl, allowed);
                return -1;
        }
        return 0;
}

/* Fill the derived fields (repl, commit) from experiment.kernel. */
static void derive(struct bl_config *cfg)
{
        if (kernel_split(cfg->experiment.kernel, cfg->experiment.commit, cfg->experiment.repl) <
            0) {
                /* Only reachable with a hand-edited struct: keep it visible. */
                strcpy(cfg->experiment.commit, "?");
                strcpy(cfg->experiment.repl, "?");
        }
}

/* ---- strings ---- */

static int check_name(const char *v, char *why, size_t n)
{
        for (const char *p = v; *p != '\0'; p++) {
                if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-') {
                        char allowed[64];

                        allowed_name(allowed, sizeof(allowed));
                        snprintf(why, n, "character '%c' not allowed, allowed %s", *p, allowed);
                        return -1;
                }
        }
        return 0;
}

static void allowed_name(char *buf, size_t n)
{
        snprintf(buf, n, "1..%d chars of A-Za-z0-9._-", BL_NAME_MAX - 1);
}

/* ---- values: text <-> field ---- */

static void *field(struct bl_config *cfg, const struct opt *o)
{
        return (char *)cfg + o->offset;
}

static const void *cfield(const struct bl_config *cfg, const struct opt *o)
{
        return (const char *)cfg + o->offset;
}

/* Shortest text that reads back as the same double. */
static void format_double(double v, char *buf, size_t n)
{
        if (v == floor(v) && fabs(v) < 1e15) {
                snprintf(buf, n, "%.0f", v); /* 3600, not 3.6e+03 */
                return;
        }
        for (int prec = 1; prec <= 17; prec++) {
                snprintf(buf, n, "%.*g", prec, v);
                if (strtod(buf, NULL) == v)
                        return;
        }
}

/* What option o accepts, e.g. "1..15", "(0, 1)", "spread|pack". */
static void describe_allowed(const struct opt *o, char *buf, size_t n)
{
        char lo[40], hi[40];

        buf[0] = '\0';
        switch (o->type) {
        case OPT_INT:
                snprintf(buf, n, "%" PRId64 "..%" PRId64, o->imin, o->imax);
                break;
        case OPT_U64:
                snprintf(buf, n, "%" PRIu64 "..%" PRIu64, o->umin, o->umax);
                break;
        case OPT_DOUBLE:
                format_double(o->dmin, lo, sizeof(lo));
                format_double(o->dmax, hi, sizeof(hi));
                snprintf(buf, n, "%c%s, %s%c", (o->flags & OPT_MIN_OPEN) ? '(' : '[', lo, hi,
                         (o->flags & OPT_MAX_OPEN) ? ')' : ']');
                break;
        case OPT_BOOL:
                snprintf(buf, n, "true|false");
                break;
        case OPT_ENUM:
                for (int i = 0; o->names[i] != NULL; i++)
                        appendf(buf, n, "%s%s", i == 0 ? "" : "|", o->names[i]);
                break;
        case OPT_STRING:
                if (o->allowed != NULL)
                        o->allowed(buf, n);
                else
                        snprintf(buf, n, "1..%zu chars", o->size - 1);
                break;
        }
}

static int parse_bool(const char *s, int *out)
{
        static const char *const yes[] = {"true", "yes", "on", "1", NULL};
        static const char *const no[] = {"false", "no", "off", "0", NULL};

        if (in_list(yes, s))
                *out = 1;
        else if (in_list(no, s))
                *out = 0;
        else
                return -1;
        return 0;
}

/*
 * Parse text as a value of option o and store it into cfg. On failure
 * stores nothing, writes the reason and what is allowed into why (n bytes),
 * and returns -1.
 */
static int opt_set(struct bl_config *cfg, const struct opt *o, const char *text, char *why,
                   size_t n)
{
        char allowed[256]; /* short enough that every message fits */
        int rc;

        describe_allowed(o, allowed, sizeof(allowed));
        if (text[0] == '\0' && !(o->type == OPT_STRING && (o->flags & OPT_EMPTY_OK))) {
                snprintf(why, n, "empty value, allowed %s", allowed);
                return -1;
        }
        switch (o->type) {
        case OPT_INT: {
                int64_t v;

                if ((rc = bl_parse_i64(text, &v)) == BL_NUM_SYNTAX) {
                        snprintf(why, n, "not an integer (decimal digits), allowed %s", allowed);
                        return -1;
                }
                if (rc != 0 || v < o->imin || v > o->imax) {
                        snprintf(why, n, "out of range, allowed %s", allowed);
                        return -1;
                }
                *(int *)field(cfg, o) = (int)v;
                return 0;
        }
        case OPT_U64: {
                uint64_t v;

                if ((rc = bl_parse_u64(text, &v)) == BL_NUM_SYNTAX) {
                        snprintf(why, n, "not a non-negative integer (decimal digits), allowed %s",
                                 allowed);
                        return -1;
                }
                if (rc != 0 || v < o->umin || v > o->umax) {
                        snprintf(why, n, "out of range, allowed %s", allowed);
                        return -1;
                }
                *(uint64_t *)field(cfg, o) = (uint64_t)v;
                return 0;
        }
        case OPT_DOUBLE: {
                double v;

                if ((rc = bl_parse_double(text, &v)) == BL_NUM_SYNTAX) {
                        snprintf(why, n, "not a number (decimal, e.g. 2.5 or 1e-3), allowed %s",
                                 allowed);
                        return -1;
                }
                if (rc != 0 || v < o->dmin || v > o->dmax ||
                    ((o->flags & OPT_MIN_OPEN) && v == o->dmin) ||
                    ((o->flags & OPT_MAX_OPEN) && v == o->dmax)) {
                        snprintf(why, n, "out of range, allowed %s", allowed);
                        return -1;
                }
                *(double *)field(cfg, o) = v;
                return 0;
        }
        case OPT_BOOL: {
                int v;

                if (parse_bool(text, &v) < 0) {
                        snprintf(why, n,
                                 "not a boolean, allowed true|false (or yes|no, on|off, "
                                 "1|0)");
                        return -1;
                }
                *(int *)field(cfg, o) = v;
                return 0;
        }
        case OPT_ENUM:
                for (int i = 0; o->names[i] != NULL; i++) {
                        if (strcmp(o->names[i], text) == 0) {
                                *(int *)field(cfg, o) = i;
                                return 0;
                        }
                }
                snprintf(why, n, "unknown choice, allowed %s", allowed);
                return -1;
        case OPT_STRING: {
                size_t len = strlen(text);

                if (len >= o->size) {
                        snprintf(why, n, "too long (%zu chars), allowed %s", len, allowed);
                        return -1;
                }
                if (o->check != NULL && o->check(text, why, n) < 0)
                        return -1;
                memset(field(cfg, o), 0, o->size);
                memcpy(field(cfg, o), text, len);
                return 0;
        }
        }
        snprintf(why, n, "unknown option type");
        return -1;
}

/* The resolved value of option o as text (what visit reports). */
static void opt_format(const struct bl_config *cfg, const struct opt *o, char *buf, size_t n)
{
        const void *p = cfield(cfg, o);
        int v;

        switch (o->type) {
        case OPT_INT:
                snprintf(buf, n, "%d", *(const int *)p);
                return;
        case OPT_U64:
                snprintf(buf, n, "%" PRIu64, *(const uint64_t *)p);
                return;
        case OPT_DOUBLE:
                format_double(*(const double *)p, buf, n);
                return;
        case OPT_BOOL:
                snprintf(buf, n, "%s", *(const int *)p ? "true" : "false");
                return;
        case OPT_ENUM: {
                int count = 0;

                while (o->names[count] != NULL)
                        count++;
                v = *(const int *)p;
                snprintf(buf, n, "%s", v >= 0 && v < count ? o->names[v] : "?");
                return;
        }
        case OPT_STRING:
                snprintf(buf, n, "%.*s", (int)o->size, (const char *)p);
                return;
        }
        buf[0] = '\0';
}

/* ---- origins and messages ---- */

/* Where an option's value came from; all zero: the default. */
struct origin {
        const char *file;     /* set in this file ... */
        int line;             /* ... at this line (> 0) */
        const char *override; /* or by this -o argument */
        int seq;              /* order of setting: later is larger; 0: default */
};

/* "file:line", "override -o X" or "default" (org may be NULL: unknown). */
static void where(const struct origin *org, char *buf, size_t n)
{
        if (org == NULL)
                buf[0] = '\0';
        else if (org->line > 0)
                snprintf(buf, n, "%s:%d", org->file, org->line);
        else if (org->override != NULL)
                snprintf(buf, n, "override -o %s", org->override);
        else
                snprintf(buf, n, "default");
}

/* "WHERE: [section] key = value: why" into eb; returns BL_ECONFIG. */
static int value_error(struct bl_errbuf *eb, const struct origin *org, const struct opt *o,
                       const char *value, const char *why)
{
        char loc[BL_PATH_MAX + 64];

        where(org, loc, sizeof(loc));
        return bl_errf(eb, BL_ECONFIG, "%s%s[%s] %s = %.80s: %s", loc, loc[0] ? ": " : "",
                       o->section, o->key, value, why);
}

/* ---- combinations ---- */

/*
 * A combination of two options is impossible. Blames the one set last (an
 * override before the file, a later line before an earlier one, anything
 * before a default; `a` on a tie) and names the other with its origin. org
 * may be NULL (no origins known).
 */
static int combo_error(const struct bl_config *cfg, const struct origin *org, int a, int b,
                       struct bl_errbuf *eb, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int combo_error(const struct bl_config *cfg, const struct origin *org, int a, int b,
                       struct bl_errbuf *eb, const char *fmt, ...)
{
        char why[BL_ERRMSG_SIZE], val[BL_PATH_MAX + 8], oval[BL_PATH_MAX + 8];
        char oloc[BL_PATH_MAX + 64];
        va_list ap;
        int t;

        if (org != NULL && org[b].seq > org[a].seq) {
                t = a;
                a = b;
                b = t;
        }
        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        opt_format(cfg, &options[a], val, sizeof(val));
        opt_format(cfg, &options[b], oval, sizeof(oval));
        where(org != NULL ? &org[b] : NULL, oloc, sizeof(oloc));
        appendf(why, sizeof(why), " (with [%s] %s = %.80s%s%s)", options[b].section, options[b].key,
                oval, oloc[0] ? " from " : "", oloc);
        return value_error(eb, org != NULL ? &org[a] : NULL, &options[a], val, why);
}

/* Checks of combinations that do not depend on the rank count. */
static int check_combinations(const struct bl_config *cfg, const struct origin *org,
                              struct bl_errbuf *eb)
{
        const struct bl_config *c = cfg; /* shorter lines */

        if (strcmp(c->experiment.repl, "none") == 0 && c->cluster.replicas > 1)
                return combo_error(cfg, org, OPT(cluster.replicas), OPT(experiment.kernel), eb,
                                   "replication kernel 'none' keeps one copy of each shard, "
                                   "allowed replicas = 1, or a replicating kernel");
        if (c->experiment.ops == 0 && c->experiment.duration_s <= 0)
                return combo_error(cfg, org, OPT(experiment.duration_s), OPT(experiment.ops), eb,
                                   "a run by time needs duration_s > 0 (or set ops > 0)");
        if (c->experiment.ops == 0 && c->experiment.warmup_s >= c->experiment.duration_s)
                return combo_error(cfg, org, OPT(experiment.warmup_s), OPT(experiment.duration_s),
                                   eb, "warm-up must be shorter than the run");
        if (c->workload.type == BL_WL_COUNTER && (uint64_t)c->workload.counters > c->store.records)
                return combo_error(cfg, org, OPT(workload.counters), OPT(store.records), eb,
                                   "the counter workload needs counters <= records");
        if (bl_workload_is_txn(c->workload.type) && strcmp(c->experiment.commit, "none") == 0)
                return combo_error(cfg, org, OPT(workload.type), OPT(experiment.kernel), eb,
                                   "a transaction workload needs a commit layer, allowed kernel "
                                   "= 2pc/%s (2PC over the same replication), or a single-key "
                                   "workload (ycsb-a..f, counter)",
                                   c->experiment.repl);
        if (!bl_workload_is_txn(c->workload.type) && strcmp(c->experiment.commit, "none") != 0)
                return combo_error(cfg, org, OPT(experiment.kernel), OPT(workload.type), eb,
                                   "commit kernel '%s' runs transactions, allowed workload.type "
                                   "= bank, ycsb-t or list-append (or kernel = %s for "
                                   "single-key workloads)",
                                   c->experiment.commit, c->experiment.repl);
        if (bl_workload_is_txn(c->workload.type) && c->clients.rate > 0)
                return combo_error(cfg, org, OPT(clients.rate), OPT(workload.type), eb,
                                   "transaction clients run closed loop (clients.outstanding "
                                   "transactions per session), allowed rate = 0");
        if ((c->workload.type == BL_WL_BANK || c->workload.type == BL_WL_YCSB_T) &&
            c->store.records < 2)
                return combo_error(cfg, org, OPT(store.records), OPT(workload.type), eb,
                                   "transactions need at least 2 keys, allowed records >= 2");
        if (c->workload.type == BL_WL_YCSB_T && (uint64_t)c->txn.keys > c->store.records)
                return combo_error(cfg, org, OPT(txn.keys), OPT(store.records), eb,
                                   "ycsb-t transactions use distinct keys, allowed keys <= "
                                   "records");
        if (c->workload.type == BL_WL_BANK && c->bank.audit_accounts > c->store.records)
                return combo_error(cfg, org, OPT(bank.audit_accounts), OPT(store.records), eb,
                                   "an audit reads distinct accounts, allowed audit_accounts <= "
                                   "records (0: all)");
        if (c->workload.type == BL_WL_BANK && c->bank.audit_fraction > 0 &&
            (c->bank.audit_accounts != 0 ? c->bank.audit_accounts : c->store.records) >
                BL_TXS_MAX_OPS)
                return combo_error(cfg, org, OPT(bank.audit_accounts), OPT(store.records), eb,
                                   "an audit is one transaction of at most %u reads, allowed "
                                   "audit_accounts <= %u (0 reads all %" PRIu64
                                   " accounts), or bank.audit_fraction = 0",
                                   BL_TXS_MAX_OPS, BL_TXS_MAX_OPS, c->store.records);
        if (c->raft.heartbeat_ms >= c->raft.election_timeout_ms)
                return combo_error(cfg, org, OPT(raft.heartbeat_ms), OPT(raft.election_timeout_ms),
                                   eb, "heartbeat_ms must be below election_timeout_ms");
        if (c->paxos.heartbeat_ms >= c->paxos.election_timeout_ms)
                return combo_error(cfg, org, OPT(paxos.heartbeat_ms),
                                   OPT(paxos.election_timeout_ms), eb,
                                   "heartbeat_ms must be below election_timeout_ms");
        /* Flexible Paxos (Howard et al.): with phase 1 quorums of
         * q1 = replicas - Q2 + 1, q1 + q2 > replicas holds exactly when
         * 1 <= Q2 <= replicas. */
        if (strcmp(c->experiment.repl, "paxos") == 0 &&
            c->paxos.phase2_quorum > c->cluster.replicas)
                return combo_error(cfg, org, OPT(paxos.phase2_quorum), OPT(cluster.replicas), eb,
                                   "phase 1 would need replicas - Q2 + 1 = %d acceptors, and "
                                   "q1 + q2 > replicas needs Q2 <= replicas: allowed 0 "
                                   "(majority) or 1..%d",
                                   c->cluster.replicas - c->paxos.phase2_quorum + 1,
                                   c->cluster.replicas);
        return 0;
}

static int check_ranks(const struct bl_config *cfg, const struct origin *org, int nranks,
                       struct bl_errbuf *eb)
{
        int clients = cfg->cluster.client_ranks;
        int servers = clients > 0 ? nranks - clients : nranks;
        int ci = OPT(cluster.client_ranks), ri = OPT(cluster.replicas);
        char why[200], val[32];

        if (nranks <= 0)
                return 0;
        if (clients >= nranks) {
                snprintf(why, sizeof(why),
                         "no rank left for servers in a job of %d ranks, allowed 0..%d", nranks,
                         nranks - 1);
                opt_format(cfg, &options[ci], val, sizeof(val));
                return value_error(eb, org != NULL ? &org[ci] : NULL, &options[ci], val, why);
        }
        if (cfg->cluster.replicas > servers)
                return combo_error(cfg, org, ri, ci, eb,
                                   "each replica of a shard needs its own server rank, and %d of "
                                   "the %d ranks are servers, allowed 1..%d",
                                   servers, nranks, servers);
        return 0;
}

/* ---- loading ---- */

struct load {
        struct bl_config *cfg;
        struct origin origin[N_OPTIONS];
        struct bl_errbuf *eb;
        const char *path;
        FILE *fp;
        int line;     /* number of the line being parsed */
        int indented; /* it starts with white space */
        int last_opt; /* option of the previous key line, -1 */
        int err_line; /* line of the first error, 0: none */
        int seq;      /* options set so far (struct origin.seq) */
};

/* Record the first error only; the message is in ld->eb. */
static int fail_line(struct load *ld, int line)
{
        if (ld->err_line == 0)
                ld->err_line = line;
        return 0;
}

static void section_line(struct load *ld, const char *s)
{
        char name[BL_NAME_MAX], allowed[256];
        const char *end;
        size_t len;

        if (ld->line == 1 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
                s += 3;
        while (isspace((unsigned char)*s))
                s++;
        if (*s != '[' || (end = strchr(s, ']')) == NULL)
                return; /* not a section, or malformed: inih reports that */
        len = (size_t)(end - s - 1);
        if (len < sizeof(name)) {
                memcpy(name, s + 1, len);
                name[len] = '\0';
                if (section_known(name))
                        return;
        }
        if (ld->err_line != 0)
                return;
        list_sections(allowed, sizeof(allowed));
        bl_errf(ld->eb, BL_ECONFIG, "%s:%d: [%.*s]: unknown section, allowed %s", ld->path,
                ld->line, (int)(len > 80 ? 80 : len), s + 1, allowed);
        fail_line(ld, ld->line);
}

/* fgets-style reader for ini_parse_stream that counts lines. fgets would
 * hide a NUL byte (the line would seem to end there and the rest would be
 * ignored), so the line is read byte by byte and a NUL is refused. */
static char *read_line(char *str, int num, void *stream)
{
        struct load *ld = stream;
        size_t len = 0;
        int c = EOF;

        if (ld->err_line != 0 || num < 2)
                return NULL;
        while (len + 1 < (size_t)num && (c = getc(ld->fp)) != EOF) {
                if (c == '\0') {
                        bl_errf(ld->eb, BL_ECONFIG,
                                "%s:%d: holds a NUL byte; a config file is text", ld->path,
                                ld->line + 1);
                        fail_line(ld, ld->line + 1);
                        return NULL;
                }
                str[len++] = (char)c;
                if (c == '\n')
                        break;
        }
        if (len == 0)
                return NULL;
        str[len] = '\0';
        ld->line++;
        if (str[len - 1] != '\n') {
                c = getc(ld->fp);
                if (c != EOF) {
                        bl_errf(ld->eb, BL_ECONFIG, "%s:%d: line too long, at most %d characters",
                                ld->path, ld->line, num - 3);
                        fail_line(ld, ld->line);
                        return NULL;
                }
        }
        ld->indented = str[0] == ' ' || str[0] == '\t';
        section_line(ld, str);
        return str;
}

/* ini_parse_stream handler: one key = value line. Returns 1, or 0 on error. */
static int on_key(void *user, const char *section, const char *key, const char *value)
{
        struct load *ld = user;
        struct origin here = {.file = ld->path, .line = ld->line};
        char why[BL_ERRMSG_SIZE], list[512];
        int i, prev = ld->last_opt;

        if (ld->err_line != 0)
                return 1; /* report the first error only */
        i = opt_find(section, key);
        ld->last_opt = i;
        if (ld->indented && prev >= 0 && i == prev) {
                bl_errf(ld->eb, BL_ECONFIG,
                        "%s:%d: indented line '%.80s' would continue [%s] %s: remove the "
                        "indentation (multi-line values are not supported)",
                        ld->path, ld->line, value, section, key);
                return fail_line(ld, ld->line);
        }
        if (section[0] == '\0') {
                list_sections(list, sizeof(list));
                bl_errf(ld->eb, BL_ECONFIG,
                        "%s:%d: %s = %.80s: key outside any section, allowed sections %s", ld->path,
                        ld->line, key, value, list);
                return fail_line(ld, ld->line);
        }
        if (!section_known(section))
                return fail_line(ld, ld->line); /* reported by section_line */
        if (i < 0) {
                list_keys(section, list, sizeof(list));
                bl_errf(ld->eb, BL_ECONFIG, "%s:%d: [%s] %s = %.80s: unknown key, allowed %s",
                        ld->path, ld->line, section, key, value, list);
                return fail_line(ld, ld->line);
        }
        if (ld->origin[i].line > 0) {
                snprintf(why, sizeof(why), "duplicate key, first set on line %d",
                         ld->origin[i].line);
                value_error(ld->eb, &here, &options[i], value, why);
                return fail_line(ld, ld->line);
        }
        if (opt_set(ld->cfg, &options[i], value, why, sizeof(why)) < 0) {
                value_error(ld->eb, &here, &options[i], value, why);
                return fail_line(ld, ld->line);
        }
        here.seq = ++ld->seq;
        ld->origin[i] = here;
        return 1;
}

static int copy_trimmed(const char *s, size_t len, char *buf, size_t n);

/* Text of line `line` of fp (for messages), trimmed; "" if unreadable. */
static void nth_line(FILE *fp, int line, char *buf, size_t n)
{
        char tmp[256];

        buf[0] = '\0';
        rewind(fp);
        for (int i = 1; i <= line; i++)
                if (fgets(buf, (int)n, fp) == NULL) {
                        buf[0] = '\0';
                        return;
                }
        if (copy_trimmed(buf, strlen(buf), tmp, sizeof(tmp)) == 0)
                memcpy(buf, tmp, strlen(tmp) + 1);
}

static int load_file(struct load *ld, const char *path)
{
        char text[256];
        int rc;

        ld->path = path;
        ld->fp = fopen(path, "r");
        if (ld->fp == NULL)
                return bl_errf(ld->eb, BL_ECONFIG, "%s: cannot open: %s", path, strerror(errno));
        ld->last_opt = -1;
        rc = ini_parse_stream(read_line, ld, on_key, ld);
        if (ferror(ld->fp) && ld->err_line == 0) {
                fclose(ld->fp);
                return bl_errf(ld->eb, BL_ECONFIG, "%s: read error", path);
        }
        if (rc > 0 && (ld->err_line == 0 || rc < ld->err_line)) {
                nth_line(ld->fp, rc, text, sizeof(text));
                fclose(ld->fp);
                return bl_errf(ld->eb, BL_ECONFIG,
                               "%s:%d: syntax error in '%.80s', expected [section] or key = value",
                               path, rc, text);
        }
        fclose(ld->fp);
        if (rc < 0 && ld->err_line == 0)
                return bl_errf(ld->eb, BL_ECONFIG, "%s: cannot parse (inih error %d)", path, rc);
        return ld->err_line != 0 ? BL_ECONFIG : 0;
}

/* Copy [s, s+len) without surrounding white space into buf (n bytes).
 * Returns -1 if it does not fit. */
static int copy_trimmed(const char *s, size_t len, char *buf, size_t n)
{
        while (len > 0 && isspace((unsigned char)*s)) {
                s++;
                len--;
        }
        while (len > 0 && isspace((unsigned char)s[len - 1]))
                len--;
        if (len >= n)
                return -1;
        memcpy(buf, s, len);
        buf[len] = '\0';
        return 0;
}

/* Apply one "section.key=value" override. */
static int load_override(struct load *ld, const char *arg)
{
        struct origin here = {.override = arg};
        char section[BL_NAME_MAX], key[BL_NAME_MAX], value[BL_PATH_MAX + 64];
        char why[BL_ERRMSG_SIZE], list[512];
        const char *eq = strchr(arg, '=');
        const char *dot = eq != NULL ? memchr(arg, '.', (size_t)(eq - arg)) : NULL;
        int i;

        if (eq == NULL || dot == NULL)
                return bl_errf(ld->eb, BL_ECONFIG,
                               "override -o %s: malformed, expected section.key=value "
                               "(e.g. cluster.shards=8)",
                               arg);
        if (copy_trimmed(eq + 1, strlen(eq + 1), value, sizeof(value)) < 0)
                return bl_errf(ld->eb, BL_ECONFIG, "override -o %.80s...: value too long", arg);
        if (copy_trimmed(arg, (size_t)(dot - arg), section, sizeof(section)) < 0 ||
            !section_known(section)) {
                list_sections(list, sizeof(list));
                return bl_errf(ld->eb, BL_ECONFIG,
                               "override -o %s: unknown section '%.*s', allowed %s", arg,
                               (int)(dot - arg), arg, list);
        }
        if (copy_trimmed(dot + 1, (size_t)(eq - dot - 1), key, sizeof(key)) < 0 ||
            (i = opt_find(section, key)) < 0) {
                list_keys(section, list, sizeof(list));
                return bl_errf(ld->eb, BL_ECONFIG,
                               "override -o %s: [%s] %.*s = %.80s: unknown key, allowed %s", arg,
                               section, (int)(eq - dot - 1), dot + 1, value, list);
        }
        if (opt_set(ld->cfg, &options[i], value, why, sizeof(why)) < 0)
                return value_error(ld->eb, &here, &options[i], value, why);
        here.seq = ++ld->seq;
        ld->origin[i] = here;
        return 0;
}

void bl_config_defaults(struct bl_config *cfg)
{
        char why[BL_ERRMSG_SIZE];

        memset(cfg, 0, sizeof(*cfg));
        /* Defaults are checked by the unit tests: opt_set cannot fail here. */
        for (int i = 0; i < N_OPTIONS; i++)
                (void)opt_set(cfg, &options[i], options[i].def, why, sizeof(why));
        derive(cfg);
}

int bl_config_load(struct bl_config *cfg, const char *path, const char *const *overrides,
                   int n_overrides, int nranks, struct bl_errbuf *eb)
{
        struct load ld;
        int rc;

        memset(&ld, 0, sizeof(ld));
        ld.cfg = cfg;
        ld.eb = eb;
        if (eb != NULL)
                eb->msg[0] = '\0';
        bl_config_defaults(cfg);
        if (path != NULL && (rc = load_file(&ld, path)) < 0)
                return rc;
        for (int i = 0; i < n_overrides; i++)
                if ((rc = load_override(&ld, overrides[i])) < 0)
                        return rc;
        derive(cfg);
        rc = check_combinations(cfg, ld.origin, eb);
        if (rc == 0)
                rc = check_ranks(cfg, ld.origin, nranks, eb);
        return rc;
}

int bl_config_validate_ranks(const struct bl_config *cfg, int nranks, struct bl_errbuf *eb)
{
        return check_ranks(cfg, NULL, nranks, eb);
}

void bl_config_visit(const struct bl_config *cfg, bl_config_visit_fn fn, void *arg)
{
        char buf[BL_PATH_MAX + 8];

        for (int i = 0; i < N_OPTIONS; i++) {
                opt_format(cfg, &options[i], buf, sizeof(buf));
                fn(arg, options[i].section, options[i].key, buf);
        }
}

void bl_config_print_options(FILE *out)
{
        char name[2 * BL_NAME_MAX], allowed[512];
        int wname = (int)strlen("option"), wtype = (int)strlen("type");
        int wdef = (int)strlen("default"), wallowed = (int)strlen("allowed");
        int len;

        for (int i = 0; i < N_OPTIONS; i++) {
                const struct opt *o = &options[i];

                len = snprintf(name, sizeof(name), "%s.%s", o->section, o->key);
                wname = len > wname ? len : wname;
                len = (int)strlen(type_names[o->type]);
                wtype = len > wtype ? len : wtype;
                len = (int)strlen(o->def);
                wdef = len > wdef ? len : wdef;
                describe_allowed(o, allowed, sizeof(allowed));
                len = (int)strlen(allowed);
                wallowed = len > wallowed ? len : wallowed;
        }
        /* A long choice list overflows its row rather than widen every row. */
        wallowed = wallowed > 36 ? 36 : wallowed;
        fprintf(out, "# %-*s  %-*s  %-*s  %-*s  %s\n", wname - 2, "option", wtype, "type", wdef,
                "default", wallowed, "allowed", "description");
        for (int i = 0; i < N_OPTIONS; i++) {
                const struct opt *o = &options[i];

                snprintf(name, sizeof(name), "%s.%s", o->section, o->key);
                describe_allowed(o, allowed, sizeof(allowed));
                fprintf(out, "%-*s  %-*s  %-*s  %-*s  %s\n", wname, name, wtype,
                        type_names[o->type], wdef, o->def, wallowed, allowed, o->help);
        }
}

static const char *name_of(const char *const *names, int count, int v)
{
        return v >= 0 && v < count ? names[v] : "?";
}

const char *bl_idle_name(enum bl_idle v)
{
        return name_of(idle_names, (int)ARRAY_LEN(idle_names) - 1, (int)v);
}

const char *bl_pinning_name(enum bl_pinning v)
{
        return name_of(pinning_names, (int)ARRAY_LEN(pinning_names) - 1, (int)v);
}

const char *bl_placement_name(enum bl_placement v)
{
        return name_of(placement_names, (int)ARRAY_LEN(placement_names) - 1, (int)v);
}

const char *bl_workload_name(enum bl_workload_type v)
{
        return name_of(workload_names, (int)ARRAY_LEN(workload_names) - 1, (int)v);
}

const char *bl_dist_name(enum bl_dist v)
{
        return name_of(dist_names, (int)ARRAY_LEN(dist_names) - 1, (int)v);
}

const char *bl_read_mode_name(enum bl_read_mode v)
{
        return name_of(read_mode_names, (int)ARRAY_LEN(read_mode_names) - 1, (int)v);
}

const char *bl_storage_mode_name(enum bl_storage_mode v)
{
        return name_of(storage_mode_names, (int)ARRAY_LEN(storage_mode_names) - 1, (int)v);
}

const char *bl_txn_cc_name(enum bl_txn_cc v)
{
        return name_of(cc_names, (int)ARRAY_LEN(cc_names) - 1, (int)v);
}

int bl_workload_is_txn(enum bl_workload_type v)
{
        return v == BL_WL_BANK || v == BL_WL_YCSB_T || v == BL_WL_LIST_APPEND;
}
