/* Fault schedules: parse and validate the text file named by `[faults] schedule`. */
#ifndef BL_RUN_FAULTS_H
#define BL_RUN_FAULTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/*
 * A fault schedule is a small text file, one fault per line. `#` starts a
 * comment; blank lines are ignored. Every line reads
 *
 *     TIME ACTION ARGUMENTS...
 *
 * TIME counts from the start of the workload (warm-up included). Times and
 * durations are a decimal number and a unit: ns, us, ms or s ("2.5s",
 * "300ms", "50us"); the resolution is 1 ns and the largest value 1000000s.
 *
 *     TIME crash TARGET                       fail-stop crash of a rank: all
 *                                             its replicas and clients stop
 *     TIME recover TARGET                     restart it from its persistent
 *                                             state; ends the latest crash of
 *                                             the same TARGET
 *     TIME partition GROUPS [for DUR]         split the ranks into groups that
 *                                             cannot talk to each other
 *     TIME heal                               end the current partition
 *     TIME drop FRACTION [LINKS] [for DUR]    drop that fraction of messages
 *     TIME duplicate FRACTION [LINKS] [for DUR]
 *                                             deliver that fraction twice
 *     TIME delay MEAN [jitter J] [LINKS] [for DUR]
 *                                             hold messages MEAN +- J
 *     TIME pause TARGET DUR                   the rank stops processing for
 *                                             DUR (a GC pause, a VM freeze)
 *     TIME transfer shard:S [to member:M]     ask the leader of shard S to hand
 *                                             leadership over (to member M)
 *     TIME corrupt-wal rank:R tail|middle     damage the write-ahead log of a
 *                                             crashed rank before it recovers:
 *                                             tail cuts its last record short
 *                                             (a torn write: recovery cuts it
 *                                             off), middle flips a byte in a
 *                                             record with more after it
 *                                             (recovery refuses; the rank stays
 *                                             down). storage.mode write or fsync
 *
 * TARGET     rank:R (0 <= R < ranks) or leader:S (the rank that leads shard S
 *            when the fault fires; 0 <= S < shards).
 * GROUPS     groups separated by '|', ranks in a group by ',', ranges as
 *            "3-5": "0,1|2", "0|1,2|3-5". Ranks not listed form one more
 *            group, so "0" cuts rank 0 off from everyone else.
 * FRACTION   0.05 or 5%, within [0, 1].
 * LINKS      which messages (sender -> receiver): all (the default), R->Q
 *            (one direction), R<->Q (both), R->* (everything R sends), *->Q
 *            (everything Q receives); several separated by commas:
 *            "0->1,2<->3".
 * for DUR    the fault ends by itself after DUR (> 0); without it a partition
 *            lasts until `heal` and a drop/duplicate/delay until the end.
 * Blanks around ',', '|', ':', '%', "->" and "<->" are allowed. Action and
 * keyword names are case-insensitive; units are not.
 *
 * Example (3 ranks, 1 shard):
 *
 *     # the leader dies at 2 s and comes back 2 s later
 *     2s   crash leader:0
 *     4s   recover leader:0
 *     5s   partition 0|1,2 for 1.5s     # rank 0 alone, heals at 6.5 s
 *     7s   drop 5% 0<->1 for 1s
 *     8s   delay 1ms jitter 0.5ms
 *     9s   pause rank:2 300ms
 *     10s  transfer shard:0 to member:1
 *
 * Validation (each error is BL_ECONFIG, "FILE:LINE: "<the line>": what is
 * wrong; what is allowed"): the syntax above; ranks, shards and link ends
 * must exist; no rank listed twice in a partition and at least two groups;
 * times not negative, durations positive; a delay's jitter not above its mean;
 * in time order: a corrupt-wal needs an earlier, unrecovered crash of the
 * same rank:R; a recover needs an earlier, unrecovered crash of the same
 * TARGET (rank:R matches rank:R, leader:S matches leader:S), a TARGET is not
 * crashed twice without a recover in between, a partition does not start
 * while another is active (not healed, its `for` not expired), a heal needs an
 * active partition. At most 10000 lines of at most 1024 bytes.
 *
 * What is not checked, because it depends on the run: whether leader:S and
 * rank:R name the same rank (crashing an already crashed rank, or recovering
 * a live one, is for the runtime to treat as a no-op), transfer's member
 * against the replica count (only against the rank count here), and faults
 * timed after the end of the run. Crashing every rank is allowed.
 */

enum bl_fault_kind {
        BL_FAULT_CRASH,
        BL_FAULT_RECOVER,
        BL_FAULT_PARTITION,
        BL_FAULT_HEAL,
        BL_FAULT_DROP,
        BL_FAULT_DUP,
        BL_FAULT_DELAY,
        BL_FAULT_PAUSE,
        BL_FAULT_TRANSFER,
        BL_FAULT_CORRUPT_WAL,
        BL_FAULT__COUNT
};

/* What a TARGET names. */
enum bl_fault_target {
        BL_TARGET_NONE,   /* the action takes no target */
        BL_TARGET_RANK,   /* target is a rank */
        BL_TARGET_LEADER, /* target is a shard: its leader when the fault fires */
};

#define BL_FAULTS_MAX_LINES 10000
#define BL_FAULTS_LINE_MAX  1024                /* bytes per line, line end excluded */
#define BL_FAULTS_MAX_NS    1000000000000000ULL /* 1000000 s */

/* One directed link pattern; -1 at either end matches any rank. */
struct bl_fault_link {
        int src, dst;
};

/*
 * One parsed fault. Fields that an action does not use are zero, except
 * to_member and crash_id, which are -1.
 */
struct bl_fault {
        enum bl_fault_kind kind;
        int line;        /* line in the schedule, 1-based */
        uint64_t at_ns;  /* since the start of the workload */
        uint64_t for_ns; /* partition/drop/dup/delay: 0 = until heal / the end */

        enum bl_fault_target target_kind; /* crash, recover, pause, transfer */
        int target;                       /* rank, or shard (leader:S, transfer) */
        int to_member;                    /* transfer: member index, -1 = any */
        int wal_middle;                   /* corrupt-wal: 0 tail, 1 middle */

        double fraction;    /* drop, duplicate: in [0, 1] */
        uint64_t delay_ns;  /* delay: mean */
        uint64_t jitter_ns; /* delay: the delay is uniform in mean +- jitter */
        uint64_t pause_ns;  /* pause: > 0 */

        /* drop, duplicate, delay: a message src->dst is affected when any
         * pattern matches (bl_fault_link_matches). `all` is one {-1, -1}. */
        int nlinks;
        struct bl_fault_link *links;

        /* partition: group_of_rank[r] for r < nranks, groups 0..ngroups-1 in
         * the order listed, the unlisted ranks (if any) last. Ranks in
         * different groups cannot exchange messages. */
        int nranks;
        int ngroups;
        int *group_of_rank;

        int crash_id; /* recover: index in the plan of the crash it ends */
};

/* A parsed schedule: faults sorted by at_ns, stably (same time: file order). */
struct bl_fault_plan {
        struct bl_fault *f;
        size_t n;
        int nranks;
        int nshards;
};

/*
 * Parse and validate the schedule in text (a NUL-terminated string; name is
 * used in messages, e.g. the file name) for a run of nranks ranks and nshards
 * shards. Returns 0 and fills plan (free it with bl_faults_free); an empty
 * schedule gives n == 0. On failure returns BL_ECONFIG (a message naming
 * name:line, the line and what is allowed), BL_EINVAL (nranks or nshards < 1,
 * NULL arguments) or BL_ENOMEM; plan is then empty and holds no memory.
 */
int bl_faults_parse_text(const char *name, const char *text, int nranks, int nshards,
                         struct bl_fault_plan *plan, struct bl_errbuf *eb);

/* Read the file at path and parse it as bl_faults_parse_text does. A file
 * that cannot be read or holds a NUL byte is BL_ECONFIG too. */
int bl_faults_parse_file(const char *path, int nranks, int nshards, struct bl_fault_plan *plan,
                         struct bl_errbuf *eb);

/* Release a plan's memory; the plan becomes empty. Safe to call twice. */
void bl_faults_free(struct bl_fault_plan *plan);

/* "crash", "recover", "partition", "heal", "drop", "duplicate", "delay",
 * "pause", "transfer", "corrupt-wal"; "unknown" out of range. Never NULL. */
const char *bl_fault_kind_name(int kind);

/*
 * One line of schedule text for f, e.g. "2.5s partition 0|1,2 for 2s": what
 * event logs and reports print, and what parses back (with the same ranks and
 * shards) to an equal fault. Writes at most len bytes, NUL-terminated when
 * len > 0, and returns the length the whole text needs (as snprintf does:
 * truncated when >= len), or BL_EINVAL for a fault of unknown kind.
 */
int bl_faults_describe(const struct bl_fault *f, char *buf, size_t len);

/*
 * Resolve a schedule path as written in a config file: an absolute schedule
 * is used as is, a relative one is taken from the directory of config_path
 * (the current directory when config_path is NULL or has no '/'). Writes the
 * result into out (len bytes). Returns 0, or BL_ECONFIG when schedule is
 * empty or the result does not fit (out is then an empty string).
 */
int bl_faults_resolve_path(const char *config_path, const char *schedule, char *out, size_t len,
                           struct bl_errbuf *eb);

/* Whether a message from rank src to rank dst is subject to f (drop,
 * duplicate, delay). Cannot fail; 0 for other kinds. */
int bl_fault_link_matches(const struct bl_fault *f, int src, int dst);

/* When f ends by itself: at + for (partition, drop, duplicate, delay with a
 * `for`), at + pause (pause); UINT64_MAX when it does not (no `for`: until
 * heal or the end of the run) and at_ns for instant actions (crash,
 * recover, heal, transfer). */
uint64_t bl_fault_end_ns(const struct bl_fault *f);

#endif
