/* Version stamp; BL_VERSION and BL_GIT_REV come from the Makefile. */
#include "common/version.h"

#ifndef BL_VERSION
#define BL_VERSION "0.0.0"
#endif
#ifndef BL_GIT_REV
#define BL_GIT_REV "unknown"
#endif

const char *bl_version(void)
{
        return BL_VERSION;
}

const char *bl_git_revision(void)
{
        return BL_GIT_REV;
}
