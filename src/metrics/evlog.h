/* Event log: a growable, time-stamped array of run events (elections, faults, phases). */
#ifndef BL_METRICS_EVLOG_H
#define BL_METRICS_EVLOG_H

#include <stddef.h>
#include <stdint.h>

/*
 * One event. type is an enum bl_event_type (common/events.h), which also says
 * what a and b mean. 32 bytes, no padding, so arrays of events travel between
 * ranks as plain bytes (MPI_BYTE, n * sizeof(struct bl_event)).
 */
struct bl_event {
        uint64_t t_ns; /* time since the run's start */
        int32_t rank;  /* rank that saw the event */
        int32_t type;
        int64_t a, b;
};

/* The log. Events stay in the order they were added until bl_evlog_sort. */
struct bl_evlog {
        struct bl_event *ev;
        size_t count;
        size_t cap;
};

/* Set up an empty log with room for a few events. Returns 0 or BL_ENOMEM; on
 * failure log holds no memory (bl_evlog_free is still safe). */
int bl_evlog_init(struct bl_evlog *log);

/* Append one event; the array doubles when full (amortised O(1)). Returns 0,
 * BL_EINVAL for a type outside common/events.h, or BL_ENOMEM; on failure the
 * log is unchanged. */
int bl_evlog_add(struct bl_evlog *log, uint64_t t_ns, int32_t rank, int32_t type, int64_t a,
                 int64_t b);

/* Append n events (e.g. gathered from other ranks), unchecked. Returns 0 or
 * BL_ENOMEM; on failure the log is unchanged. */
int bl_evlog_append(struct bl_evlog *log, const struct bl_event *ev, size_t n);

/* Sort by (t_ns, rank), stably: events of one rank at the same time keep
 * their order. O(n log n) with a temporary copy: returns 0 or BL_ENOMEM (then
 * the log is unchanged). */
int bl_evlog_sort(struct bl_evlog *log);

/* Number of events. */
size_t bl_evlog_count(const struct bl_evlog *log);

/* Event i (0-based, in log order), or NULL if i >= count. */
const struct bl_event *bl_evlog_get(const struct bl_evlog *log, size_t i);

/* Release the memory; the log becomes empty. Safe to call twice. */
void bl_evlog_free(struct bl_evlog *log);

#endif
