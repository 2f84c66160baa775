/* One allocation wrapper, so tests can inject out-of-memory failures. */
#ifndef BL_COMMON_ALLOC_H
#define BL_COMMON_ALLOC_H

#include <stddef.h>

/* Like malloc/calloc/realloc/free. They return NULL on failure (real or
 * injected); they never abort. */
void *bl_malloc(size_t size);
void *bl_calloc(size_t n, size_t size);
void *bl_realloc(void *p, size_t size);
void bl_free(void *p);
char *bl_strdup(const char *s);

/* Test hook: make the n-th allocation from now fail (n >= 1), or disable
 * injection with n == 0. */
void bl_alloc_fail_after(long n);

#endif
