/* Where a run's result file will go: checked before the run starts. */
#ifndef BL_RESULTS_DEST_H
#define BL_RESULTS_DEST_H

#include "common/err.h"

/*
 * Check that a result file can be written where a run will put it, so that
 * a bad destination is found before the experiment instead of after it.
 *
 * With out_path (--out FILE): the name is not empty, does not end in '/',
 * is not a directory or any other existing non-regular file, its directory
 * exists and is writable, and no file exists there unless force is set.
 * Without it (out_path NULL): output_dir is a writable directory; when it
 * does not exist but its parent does, it is created (mode 0777 & ~umask).
 *
 * Returns 0, or BL_ECONFIG with a message that names the path, what is
 * wrong and what to do. Cannot block on the file system beyond stat(),
 * access() and mkdir(). Not collective: rank 0 calls it.
 */
int bl_result_dest_check(const char *out_path, const char *output_dir, int force,
                         struct bl_errbuf *eb);

#endif
