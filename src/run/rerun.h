/* `ballot run --from FILE.h5`: the configuration stored in a result file, as overrides. */
#ifndef BL_RUN_RERUN_H
#define BL_RUN_RERUN_H

#include "common/err.h"
#include "results/results.h"

struct bl_rerun {
        struct bl_stored_config stored;
        const char **ov; /* every stored option as "section.key=value", then the user's */
        char *text;      /* storage of the stored overrides */
        int n;
};

/*
 * Read the resolved options (seed included) of result file path and append
 * the user's overrides (applied last, so they win). Loading the overrides
 * on the defaults (bl_config_load with no INI file) gives the stored
 * configuration exactly, changed only where the user asked. Returns 0 or
 * the reader's error codes with a message naming the file. Free rr with
 * bl_rerun_free, also after a failure.
 */
int bl_rerun_load(const char *path, const char *const *user_ov, int n_user, struct bl_rerun *rr,
                  struct bl_errbuf *eb);
void bl_rerun_free(struct bl_rerun *rr);

#endif
