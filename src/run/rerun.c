/* `ballot run --from FILE.h5` (see rerun.h). */
#include "run/rerun.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"

static int user_sets(const char *const *user_ov, int n_user, const char *skey)
{
        size_t n = strlen(skey);

        for (int i = 0; i < n_user; i++)
                if (strncmp(user_ov[i], skey, n) == 0 && user_ov[i][n] == '=')
                        return 1;
        return 0;
}

/*
 * What the stored options cannot say exactly is refused, not guessed:
 * an option stored twice (which value ran?), and a relative fault schedule
 * path. That path was relative to the original config file's folder, which
 * the file does not record; resolving it against the current directory
 * would silently run whatever schedule of that name lies there, under the
 * same configuration fingerprint as the original. The user names the file.
 */
static int check_stored(const char *path, const struct bl_stored_config *c,
                        const char *const *user_ov, int n_user, struct bl_errbuf *eb)
{
        for (size_t i = 0; i < c->n; i++) {
                const struct bl_cfg_entry *e = &c->entries[i];

                for (size_t j = 0; j < i; j++)
                        if (strcmp(c->entries[j].section, e->section) == 0 &&
                            strcmp(c->entries[j].key, e->key) == 0)
                                return bl_errf(eb, BL_EINVAL,
                                               "%s: /config/options stores %s.%s twice ('%s' and "
                                               "'%s'): which one ran is unknown",
                                               path, e->section, e->key, c->entries[j].value,
                                               e->value);
                if (strcmp(e->section, "faults") == 0 && strcmp(e->key, "schedule") == 0 &&
                    e->value[0] != '\0' && e->value[0] != '/' &&
                    !user_sets(user_ov, n_user, "faults.schedule"))
                        return bl_errf(eb, BL_EINVAL,
                                       "%s: faults.schedule = %s is relative to the original "
                                       "config file's folder, which the result file does not "
                                       "record; give -o faults.schedule=PATH (the same schedule, "
                                       "from here), or -o faults.schedule= for none",
                                       path, e->value);
        }
        return 0;
}

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
        if ((rc = check_stored(path, &rr->stored, user_ov, n_user, eb)) != 0)
                return rc;
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
