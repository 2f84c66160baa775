/*
 * Event log. Events are rare next to requests (elections, faults, client
 * timeouts), so a doubling array is enough; the runtime gathers every rank's
 * array at the end, appends them and sorts once.
 */
#include "metrics/evlog.h"

#include "common/alloc.h"
#include "common/err.h"
#include "common/events.h"

#include <stdint.h>
#include <string.h>

#define EVLOG_INITIAL_CAP 64

_Static_assert(sizeof(struct bl_event) == 32, "struct bl_event must be 32 bytes, no padding");

int bl_evlog_init(struct bl_evlog *log)
{
        memset(log, 0, sizeof(*log));
        log->ev = bl_malloc(EVLOG_INITIAL_CAP * sizeof(*log->ev));
        if (log->ev == NULL)
                return BL_ENOMEM;
        log->cap = EVLOG_INITIAL_CAP;
        return 0;
}

/* Make room for n more events. */
static int evlog_reserve(struct bl_evlog *log, size_t n)
{
        struct bl_event *ev;
        size_t cap;

        if (n > SIZE_MAX / sizeof(*ev) - log->count)
                return BL_ENOMEM;
        if (log->count + n <= log->cap)
                return 0;
        cap = log->cap ? log->cap : EVLOG_INITIAL_CAP;
        while (cap < log->count + n)
                cap = cap > SIZE_MAX / 2 / sizeof(*ev) ? log->count + n : cap * 2;
        ev = bl_realloc(log->ev, cap * sizeof(*ev));
        if (ev == NULL)
                return BL_ENOMEM;
        log->ev = ev;
        log->cap = cap;
        return 0;
}

int bl_evlog_add(struct bl_evlog *log, uint64_t t_ns, int32_t rank, int32_t type, int64_t a,
                 int64_t b)
{
        struct bl_event *e;

        if (type < 0 || type >= BL_EV__COUNT)
                return BL_EINVAL;
        if (evlog_reserve(log, 1) != 0)
                return BL_ENOMEM;
        e = &log->ev[log->count++];
        e->t_ns = t_ns;
        e->rank = rank;
        e->type = type;
        e->a = a;
        e->b = b;
        return 0;
}

int bl_evlog_append(struct bl_evlog *log, const struct bl_event *ev, size_t n)
{
        if (n == 0)
                return 0;
        if (evlog_reserve(log, n) != 0)
                return BL_ENOMEM;
        memcpy(log->ev + log->count, ev, n * sizeof(*ev));
        log->count += n;
        return 0;
}

static int event_before(const struct bl_event *x, const struct bl_event *y)
{
        if (x->t_ns != y->t_ns)
                return x->t_ns < y->t_ns;
        return x->rank < y->rank;
}

/* Bottom-up merge sort of n events in a, using tmp (n events); stable. The
 * result ends in a. */
static void merge_sort(struct bl_event *a, struct bl_event *tmp, size_t n)
{
        struct bl_event *src = a, *dst = tmp, *swap;

        for (size_t width = 1; width < n; width *= 2) {
                for (size_t lo = 0; lo < n; lo += 2 * width) {
                        size_t mid = lo + width < n ? lo + width : n;
                        size_t hi = mid + width < n ? mid + width : n;
                        size_t i = lo, j = mid, k = lo;

                        while (i < mid && j < hi)
                                dst[k++] = event_before(&src[j], &src[i]) ? src[j++] : src[i++];
                        while (i < mid)
                                dst[k++] = src[i++];
                        while (j < hi)
                                dst[k++] = src[j++];
                }
                swap = src;
                src = dst;
                dst = swap;
        }
        if (src != a)
                memcpy(a, src, n * sizeof(*a));
}

int bl_evlog_sort(struct bl_evlog *log)
{
        struct bl_event *tmp;

        if (log->count < 2)
                return 0;
        tmp = bl_malloc(log->count * sizeof(*tmp));
        if (tmp == NULL)
                return BL_ENOMEM;
        merge_sort(log->ev, tmp, log->count);
        bl_free(tmp);
        return 0;
}

size_t bl_evlog_count(const struct bl_evlog *log)
{
        return log->count;
}

const struct bl_event *bl_evlog_get(const struct bl_evlog *log, size_t i)
{
        return i < log->count ? &log->ev[i] : NULL;
}

void bl_evlog_free(struct bl_evlog *log)
{
        bl_free(log->ev);
        log->ev = NULL;
        log->count = 0;
        log->cap = 0;
}
