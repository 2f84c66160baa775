/*
 * Result destination checks (dest.h). A run writes its file at the very end;
 * a destination that cannot take it would lose the whole experiment, so
 * main() asks here first. The same questions are asked again when the file
 * is renamed into place; this only moves the common mistakes (a typo in a
 * directory, --out naming a directory, a second run over the first) to the
 * start.
 */
#include "results/dest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"

/* The directory part of path ("." when it has none) into dir (n bytes).
 * Returns -1 when it does not fit. */
static int dir_of(const char *path, char *dir, size_t n)
{
        const char *slash = strrchr(path, '/');
        int len;

        if (slash == NULL)
                len = snprintf(dir, n, ".");
        else if (slash == path)
                len = snprintf(dir, n, "/");
        else
                len = snprintf(dir, n, "%.*s", (int)(slash - path), path);
        return len < 0 || (size_t)len >= n ? -1 : 0;
}

/* dir exists, is a directory and we may create files in it. */
static int writable_dir(const char *dir, const char *what, const char *path, struct bl_errbuf *eb)
{
        struct stat st;

        if (stat(dir, &st) != 0)
                return bl_errf(eb, BL_ECONFIG, "%s %s: directory %s: %s", what, path, dir,
                               strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return bl_errf(eb, BL_ECONFIG, "%s %s: %s is not a directory", what, path, dir);
        if (access(dir, W_OK | X_OK) != 0)
                return bl_errf(eb, BL_ECONFIG, "%s %s: cannot write into directory %s: %s", what,
                               path, dir, strerror(errno));
        return 0;
}

static int check_out(const char *out, int force, struct bl_errbuf *eb)
{
        char dir[BL_PATH_MAX];
        struct stat st;
        size_t len = strlen(out);

        if (len == 0)
                return bl_errf(eb, BL_ECONFIG,
                               "--out: empty file name; give the result file's "
                               "path, e.g. --out results/run1.h5");
        if (out[len - 1] == '/' || (stat(out, &st) == 0 && S_ISDIR(st.st_mode)))
                return bl_errf(eb, BL_ECONFIG,
                               "--out %s: is a directory; give a file name (e.g. %s%srun.h5), "
                               "or -o experiment.output_dir=%s for a generated name",
                               out, out, out[len - 1] == '/' ? "" : "/", out);
        if (lstat(out, &st) == 0) {
                if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
                        return bl_errf(eb, BL_ECONFIG,
                                       "--out %s: exists and is not a regular file; choose "
                                       "another name",
                                       out);
                if (!force)
                        return bl_errf(eb, BL_ECONFIG,
                                       "--out %s: exists (an earlier result?); give another "
                                       "name, or --force to replace it",
                                       out);
        }
        if (dir_of(out, dir, sizeof(dir)) < 0)
                return bl_errf(eb, BL_ECONFIG, "--out %.200s...: path too long", out);
        return writable_dir(dir, "--out", out, eb);
}

static int check_dir(const char *dir, struct bl_errbuf *eb)
{
        char parent[BL_PATH_MAX];
        struct stat st;

        if (dir[0] == '\0')
                return bl_errf(eb, BL_ECONFIG,
                               "[experiment] output_dir is empty; give a "
                               "directory, e.g. results");
        if (stat(dir, &st) != 0 && errno == ENOENT) {
                if (dir_of(dir, parent, sizeof(parent)) < 0)
                        return bl_errf(eb, BL_ECONFIG,
                                       "[experiment] output_dir %.200s...: too "
                                       "long",
                                       dir);
                if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
                        return bl_errf(eb, BL_ECONFIG,
                                       "[experiment] output_dir %s: does not exist, and neither "
                                       "does its parent %s; create it, or choose another "
                                       "directory",
                                       dir, parent);
                if (mkdir(dir, 0777) != 0 && errno != EEXIST)
                        return bl_errf(eb, BL_ECONFIG,
                                       "[experiment] output_dir %s: cannot create: %s", dir,
                                       strerror(errno));
        }
        return writable_dir(dir, "[experiment] output_dir", dir, eb);
}

int bl_result_dest_check(const char *out_path, const char *output_dir, int force,
                         struct bl_errbuf *eb)
{
        if (out_path != NULL)
                return check_out(out_path, force, eb);
        return check_dir(output_dir != NULL ? output_dir : "", eb);
}
