/* `ballot run --from FILE.h5` (see rerun.h). */
#include "run/rerun.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"

int bl_rerun_load(const char *path, const char *const *user_ov, int n_user, struct bl_rerun *rr,
                  struct bl_errbuf *eb)
{
        size_t bytes = 0, pos = 0;
        int rc;

        memset(rr, 0, sizeof(*rr));
        rc = bl_results_read_config(path, &rr->stored, eb);
        if (rc != 0)
                return rc;
        if (rr->stored.n == 0)
                return bl_errf(eb, BL_EINVAL, "%s: the result file stores no options", path);
        for (size_t i = 0; i < rr->stored.n; i++) {
                const struct bl_cfg_entry *e = &rr->stored.entries[i];
                bytes += strlen(e->section) + strlen(e->key) + strlen(e->value) + 3;
        }
        rr->text = bl_malloc(bytes);
        rr->ov = bl_calloc(rr->stored.n + (size_t)n_user + 1, sizeof(*rr->ov));
        if (rr->text == NULL || rr->ov == NULL)
                return bl_errf(eb, BL_ENOMEM, "out of memory");
        for (size_t i = 0; i < rr->stored.n; i++) {
                const struct bl_cfg_entry *e = &rr->stored.entries[i];

                rr->ov[rr->n++] = rr->text + pos;
                pos += (size_t)snprintf(rr->text + pos, bytes - pos, "%s.%s=%s", e->section, e->key,
                                        e->value) +
                       1;
        }
        for (int i = 0; i < n_user; i++)
                rr->ov[rr->n++] = user_ov[i];
        return 0;
}

void bl_rerun_free(struct bl_rerun *rr)
{
        bl_stored_config_free(&rr->stored);
        bl_free(rr->ov);
        bl_free(rr->text);
        memset(rr, 0, sizeof(*rr));
}
