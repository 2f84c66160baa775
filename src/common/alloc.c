/* Allocation wrapper with an out-of-memory injection hook for tests. */
#include "common/alloc.h"

#include <stdlib.h>
#include <string.h>

/* Countdown to an injected failure; 0 means off. Tests only; single-threaded. */
static long fail_countdown;

static int should_fail(void)
{
        if (fail_countdown <= 0)
                return 0;
        return --fail_countdown == 0;
}

void bl_alloc_fail_after(long n)
{
        fail_countdown = n;
}

void *bl_malloc(size_t size)
{
        return should_fail() ? NULL : malloc(size);
}

void *bl_calloc(size_t n, size_t size)
{
        return should_fail() ? NULL : calloc(n, size);
}

void *bl_realloc(void *p, size_t size)
{
        return should_fail() ? NULL : realloc(p, size);
}

void bl_free(void *p)
{
        free(p);
}

char *bl_strdup(const char *s)
{
        size_t n = strlen(s) + 1;
        char *d = bl_malloc(n);

        if (d != NULL)
                memcpy(d, s, n);
        return d;
}
