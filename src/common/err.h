/* Error codes shared by every ballot module, with one string table. */
#ifndef BL_COMMON_ERR_H
#define BL_COMMON_ERR_H

#include <stddef.h>

/*
 * X-macro: code, short name. Functions return 0 (BL_OK) on success and a
 * negative code on failure; the human message travels in a caller-owned
 * buffer (struct bl_errbuf), wrapped "prefix: cause" on the way up.
 */
#define BL_ERRORS(X)                                                                               \
        X(BL_OK, "ok")                                                                             \
        X(BL_ENOMEM, "out of memory")                                                              \
        X(BL_EINVAL, "invalid argument")                                                           \
        X(BL_ECONFIG, "configuration error")                                                       \
        X(BL_EIO, "input/output error")                                                            \
        X(BL_EHDF5, "HDF5 error")                                                                  \
        X(BL_EMPI, "MPI error")                                                                    \
        X(BL_EPROTO, "malformed message")                                                          \
        X(BL_ENOTLEADER, "not the leader")                                                         \
        X(BL_EBUSY, "busy, try again")                                                             \
        X(BL_ENOTFOUND, "not found")                                                               \
        X(BL_ECHECK, "correctness check failed")                                                   \
        X(BL_EINCONCLUSIVE, "correctness check inconclusive")                                      \
        X(BL_EEXIST, "already exists")

enum bl_err {
#define BL_ERR_ENUM(code, str) code##_,
        BL_ERRORS(BL_ERR_ENUM)
#undef BL_ERR_ENUM
            BL_ERR__COUNT
};

/* Public codes are the negated enum positions: BL_OK == 0, BL_ENOMEM == -1 ... */
#define BL_OK            0
#define BL_ENOMEM        (-(int)BL_ENOMEM_)
#define BL_EINVAL        (-(int)BL_EINVAL_)
#define BL_ECONFIG       (-(int)BL_ECONFIG_)
#define BL_EIO           (-(int)BL_EIO_)
#define BL_EHDF5         (-(int)BL_EHDF5_)
#define BL_EMPI          (-(int)BL_EMPI_)
#define BL_EPROTO        (-(int)BL_EPROTO_)
#define BL_ENOTLEADER    (-(int)BL_ENOTLEADER_)
#define BL_EBUSY         (-(int)BL_EBUSY_)
#define BL_ENOTFOUND     (-(int)BL_ENOTFOUND_)
#define BL_ECHECK        (-(int)BL_ECHECK_)
#define BL_EINCONCLUSIVE (-(int)BL_EINCONCLUSIVE_)
#define BL_EEXIST        (-(int)BL_EEXIST_)

/* Short description of a code; never NULL, "unknown error" for foreign codes. */
const char *bl_strerror(int code);

#define BL_ERRMSG_SIZE 512

/* A caller-owned message buffer; empty string when nothing failed. */
struct bl_errbuf {
        char msg[BL_ERRMSG_SIZE];
};

/* Copy in to out (n bytes, NUL-terminated when n > 0) with every control
 * character (below 0x20, and 0x7f) written as \xNN, so that text from bad
 * input can be printed safely; stops early when out is full. Returns the
 * length written. */
size_t bl_escape(const char *in, char *out, size_t n);

/* Format a message into eb (printf-style); control characters are escaped
 * as bl_escape does. Returns code, so callers can write
 * `return bl_errf(eb, BL_ECONFIG, "...")`. eb may be NULL. */
int bl_errf(struct bl_errbuf *eb, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend "prefix: " to the message already in eb. Returns code. */
int bl_errwrap(struct bl_errbuf *eb, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
