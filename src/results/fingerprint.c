/* Configuration fingerprint (see fingerprint.h). */
#include "results/fingerprint.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME  UINT64_C(0x100000001b3)

static uint64_t fnv(uint64_t h, const char *s)
{
        for (; *s != '\0'; s++) {
                h ^= (uint8_t)*s;
                h *= FNV_PRIME;
        }
        return h;
}

int bl_fingerprint_excluded(const char *section, const char *key)
{
        if (strcmp(section, "experiment") != 0)
                return 0;
        return strcmp(key, "seed") == 0 || strcmp(key, "output_dir") == 0 ||
               strcmp(key, "name") == 0;
}

/* 1 if skip is "section.key". */
static int is_skip(const char *skip, const char *section, const char *key)
{
        size_t ls = strlen(section);

        return skip != NULL && strncmp(skip, section, ls) == 0 && skip[ls] == '.' &&
               strcmp(skip + ls + 1, key) == 0;
}

uint64_t bl_fingerprint(const struct bl_cfg_entry *cfg, size_t n, int nranks, const char *skip)
{
        uint64_t h = FNV_OFFSET;
        char buf[32];

        for (size_t i = 0; i < n; i++) {
                if (bl_fingerprint_excluded(cfg[i].section, cfg[i].key) ||
                    is_skip(skip, cfg[i].section, cfg[i].key))
                        continue;
                h = fnv(h, cfg[i].section);
                h = fnv(h, ".");
                h = fnv(h, cfg[i].key);
                h = fnv(h, "=");
                h = fnv(h, cfg[i].value != NULL ? cfg[i].value : "");
                h = fnv(h, "\n");
        }
        snprintf(buf, sizeof(buf), "nranks=%d\n", nranks);
        return fnv(h, buf);
}

void bl_fingerprint_hex(uint64_t h, char out[BL_FINGERPRINT_LEN])
{
        snprintf(out, BL_FINGERPRINT_LEN, "%016" PRIx64, h);
}
