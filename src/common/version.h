/* Version and build provenance of this ballot binary. */
#ifndef BL_COMMON_VERSION_H
#define BL_COMMON_VERSION_H

const char *bl_version(void);      /* "0.1.0" */
const char *bl_git_revision(void); /* short hash, "-dirty" suffix, or "unknown" */

#endif
