/* Serial reader of result files: the report row and `ballot info FILE`. */
#include "results/results.h"
#include "results/report.h"
#include "check/history.h"
#include "check/lin.h"
#include "check/verdict.h"
#include "store/cmd.h"
#include "results/schema.h"
#include "results/fingerprint.h"
#include "results/txnrows.h"
#include "check/serial.h"
#include "check/txnverdict.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>

#include "common/alloc.h"

/*
 * Everything here uses the default (POSIX) file driver, so `ballot report`
 * and `ballot info` work without MPI_Init. The file is opened with the
 * strong close degree, so closing it releases every object left open on an
 * error path. Compound datasets are read through memory types that name the
 * columns we want: HDF5 matches members by name and converts (strings of
 * another length, enums to integers), so a newer file with more columns
 * still reads.
 */

struct rctx {
        const char *path;
        hid_t file;
        struct bl_errbuf *eb;
};

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *arg)
{
        char *cause = arg;

        if (n == 0 && e->desc != NULL)
                snprintf(cause, 256, "%s", e->desc);
        return 0;
}

/* "path: what" (plus the innermost HDF5 message for BL_EHDF5). */
static int fail(struct rctx *rx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct rctx *rx, int code, const char *fmt, ...)
{
        char what[384];
        char cause[256] = "";
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        if (code == BL_EHDF5)
                H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, cause);
        H5Eclear2(H5E_DEFAULT);
        if (cause[0] != '\0')
                return bl_errf(rx->eb, code, "%s: %s: %s", rx->path, what, cause);
        return bl_errf(rx->eb, code, "%s: %s", rx->path, what);
}

/* 1 if every component of an absolute path exists as a link. */
static int obj_exists(hid_t file, const char *path)
{
        char buf[512];
        size_t len = strlen(path);

        if (len >= sizeof(buf))
                return 0;
        memcpy(buf, path, len + 1);
        for (size_t i = 1; i <= len; i++) {
                if (buf[i] == '/' || buf[i] == '\0') {
                        char c = buf[i];

                        buf[i] = '\0';
                        if (H5Lexists(file, buf, H5P_DEFAULT) <= 0)
                                return 0;
                        buf[i] = c;
                }
        }
        return 1;
}

/* Open a group or dataset that the schema requires. */
static hid_t open_required(struct rctx *rx, const char *path, int *rc)
{
        hid_t o;

        if (!obj_exists(rx->file, path)) {
                *rc = fail(rx, BL_ENOTFOUND, "%s is missing", path);
                return -1;
        }
        o = H5Oopen(rx->file, path, H5P_DEFAULT);
        if (o < 0)
                *rc = fail(rx, BL_EHDF5, "cannot open %s", path);
        return o;
}

/* A string from a file reaches the terminal: a damaged or crafted file must
 * not send control characters (escape sequences) there. Replaces each with
 * '?', in place, up to the NUL or n bytes. */
static void scrub(char *s, size_t n)
{
        for (size_t i = 0; i < n && s[i] != '\0'; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                        s[i] = '?';
}

/*
 * Read a string attribute (fixed or variable length) into buf. Returns 0,
 * 1 when it is absent and not required (buf = ""), or a negative code.
 */
static int attr_str(struct rctx *rx, hid_t obj, const char *where, const char *name, char *buf,
                    size_t size, int required)
{
        hid_t a = -1, t = -1, m = -1;
        int rc = 0;

        buf[0] = '\0';
        if (H5Aexists(obj, name) <= 0) {
                H5Eclear2(H5E_DEFAULT);
                return required
                           ? fail(rx, BL_ENOTFOUND, "attribute %s of %s is missing", name, where)
                           : 1;
        }
        if ((a = H5Aopen(obj, name, H5P_DEFAULT)) < 0 || (t = H5Aget_type(a)) < 0)
                rc = fail(rx, BL_EHDF5, "cannot open attribute %s of %s", name, where);
        else if (H5Tget_class(t) != H5T_STRING)
                rc = fail(rx, BL_EINVAL, "attribute %s of %s is not a string", name, where);
        else if (H5Tis_variable_str(t) > 0) {
                char *v = NULL;

                m = H5Tcopy(H5T_C_S1);
                if (m < 0 || H5Tset_size(m, H5T_VARIABLE) < 0 ||
                    H5Tset_cset(m, H5Tget_cset(t)) < 0 || H5Aread(a, m, &v) < 0)
                        rc = fail(rx, BL_EHDF5, "cannot read attribute %s of %s", name, where);
                else
                        snprintf(buf, size, "%s", v != NULL ? v : "");
                if (v != NULL)
                        H5free_memory(v);
        } else {
                size_t fsize = H5Tget_size(t);
                char *v = bl_calloc(1, fsize + 1);

                if (v == NULL)
                        rc = bl_errf(rx->eb, BL_ENOMEM, "%s: no memory", rx->path);
                else if (H5Aread(a, t, v) < 0)
                        rc = fail(rx, BL_EHDF5, "cannot read attribute %s of %s", name, where);
                else
                        snprintf(buf, size, "%s", v);
                bl_free(v);
        }
        if (m >= 0)
                H5Tclose(m);
        if (t >= 0)
                H5Tclose(t);
        if (a >= 0)
                H5Aclose(a);
        scrub(buf, size);
        return rc;
}

/* Read a numeric scalar attribute converted to `type` (native double or
 * int64). Returns 0, 1 when absent and not required, or a negative code. */
static int attr_num(struct rctx *rx, hid_t obj, const char *where, const char *name, hid_t type,
                    void *v, int required)
{
        hid_t a = -1, t = -1;
        int rc = 0;

        if (H5Aexists(obj, name) <= 0) {
                H5Eclear2(H5E_DEFAULT);
                return required
                           ? fail(rx, BL_ENOTFOUND, "attribute %s of %s is missing", name, where)
                           : 1;
        }
        if ((a = H5Aopen(obj, name, H5P_DEFAULT)) < 0 || (t = H5Aget_type(a)) < 0)
                rc = fail(rx, BL_EHDF5, "cannot open attribute %s of %s", name, where);
        else if (H5Tget_class(t) != H5T_INTEGER && H5Tget_class(t) != H5T_FLOAT)
                rc = fail(rx, BL_EINVAL, "attribute %s of %s is not a number", name, where);
        else if (H5Aread(a, type, v) < 0)
                rc = fail(rx, BL_EHDF5, "cannot read attribute %s of %s", name, where);
        if (t >= 0)
                H5Tclose(t);
        if (a >= 0)
                H5Aclose(a);
        return rc;
}

static int attr_f64(struct rctx *rx, hid_t obj, const char *where, const char *name, double *v,
                    int required)
{
        int rc = attr_num(rx, obj, where, name, H5T_NATIVE_DOUBLE, v, required);

        if (rc == 1)
                *v = NAN;
        return rc;
}

/* An optional attribute's result: absent (1) is fine, errors stay. */
static int optional(int rc)
{
        return rc == 1 ? 0 : rc;
}

static int attr_i64(struct rctx *rx, hid_t obj, const char *where, const char *name, int64_t *v,
                    int required)
{
        int rc = attr_num(rx, obj, where, name, H5T_NATIVE_INT64, v, required);

        if (rc == 1)
                *v = -1;
        return rc;
}

/* Open path read-only and check that it is a ballot file this build reads. */
static int open_file(struct rctx *rx, const char *path, struct bl_errbuf *eb)
{
        struct stat st;
        hid_t fapl;
        int64_t version = 0;
        htri_t is;
        int rc;

        rx->path = path;
        rx->eb = eb;
        rx->file = -1;
        if (stat(path, &st) != 0)
                return bl_errf(eb, BL_EIO, "%s: %s", path, strerror(errno));
        if (S_ISDIR(st.st_mode))
                return bl_errf(eb, BL_EIO, "%s: is a directory", path);
        /* HDF5 would open a FIFO or a device and block on it forever. */
        if (!S_ISREG(st.st_mode))
                return bl_errf(eb, BL_EIO, "%s: not a regular file (a FIFO, socket or device)",
                               path);
        is = H5Fis_hdf5(path);
        H5Eclear2(H5E_DEFAULT);
        if (is <= 0)
                return bl_errf(eb, BL_EHDF5, "%s: not an HDF5 file", path);
        fapl = H5Pcreate(H5P_FILE_ACCESS);
        if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0)
                rc = fail(rx, BL_EHDF5, "cannot set up file access");
        else if ((rx->file = H5Fopen(path, H5F_ACC_RDONLY, fapl)) < 0)
                rc = fail(rx, BL_EHDF5, "cannot open");
        else
                rc = 0;
        if (fapl >= 0)
                H5Pclose(fapl);
        if (rc != 0)
                return rc;
        rc = attr_i64(rx, rx->file, "/", BL_SA_SCHEMA_VERSION, &version, 0);
        if (rc == 1)
                rc = bl_errf(eb, BL_EINVAL, "%s: not a ballot result file (no attribute %s on /)",
                             path, BL_SA_SCHEMA_VERSION);
        else if (rc == 0 && version != BL_SCHEMA_VERSION)
                rc = bl_errf(eb, BL_EINVAL,
                             "%s: schema version %" PRId64
                             " is not supported (this ballot reads version %d)",
                             path, version, BL_SCHEMA_VERSION);
        if (rc != 0) {
                H5Fclose(rx->file);
                rx->file = -1;
        }
        return rc;
}

/* A string column in memory: HDF5 converts lengths but not character sets,
 * and the schema's strings are UTF-8. */
static hid_t str_member(size_t size)
{
        hid_t t = H5Tcopy(H5T_C_S1);

        if (t >= 0 && (H5Tset_size(t, size) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
                       H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
                H5Tclose(t);
                return -1;
        }
        return t;
}

/* Add member name at off: a C string of size bytes (size > 0) or `type`. */
static int add_member(hid_t mt, const char *name, size_t off, size_t size, hid_t type)
{
        hid_t t = size > 0 ? str_member(size) : H5Tcopy(type);
        int ok = t >= 0 && H5Tinsert(mt, name, off, t) >= 0;

        if (t >= 0)
                H5Tclose(t);
        return ok ? 0 : -1;
}

/* One member of a memory type: name, offset, string size (> 0) or type. */
struct mspec {
        const char *name;
        size_t off;
        size_t strsize;
        hid_t type;
};

/* A compound memory type of `size` bytes from a member list; -1 on failure
 * (read_table then reports it). H5T_NATIVE_* are not constants, so callers
 * build the list at run time. */
static hid_t compound(size_t size, const struct mspec *m, size_t n)
{
        hid_t mt = H5Tcreate(H5T_COMPOUND, size);

        for (size_t i = 0; mt >= 0 && i < n; i++) {
                if (add_member(mt, m[i].name, m[i].off, m[i].strsize, m[i].type) < 0) {
                        H5Tclose(mt);
                        mt = -1;
                }
        }
        return mt;
}

/* Read every row of the 1-D compound dataset `path` through memory type mt
 * (rows of size bytes) into *rows (bl_free it). */
static void scrub_strings(hid_t mt, void *rows, size_t size, size_t n)
{
        int nm = H5Tget_nmembers(mt);

        for (int m = 0; m < nm; m++) {
                hid_t t;
                size_t off, len;

                if (H5Tget_member_class(mt, (unsigned)m) != H5T_STRING)
                        continue;
                off = H5Tget_member_offset(mt, (unsigned)m);
                t = H5Tget_member_type(mt, (unsigned)m);
                len = t >= 0 ? H5Tget_size(t) : 0;
                if (t >= 0)
                        H5Tclose(t);
                for (size_t i = 0; i < n; i++)
                        scrub((char *)rows + i * size + off, len);
        }
}

static int read_table(struct rctx *rx, const char *path, hid_t mt, size_t size, void **rows,
                      size_t *n)
{
        hid_t d, sp = -1;
        hsize_t dims[1] = {0};
        int rc = 0;

        *rows = NULL;
        *n = 0;
        d = open_required(rx, path, &rc);
        if (rc != 0)
                return rc;
        if (mt < 0)
                rc = fail(rx, BL_EHDF5, "cannot build a memory type for %s", path);
        else if ((sp = H5Dget_space(d)) < 0 || H5Sget_simple_extent_ndims(sp) != 1 ||
                 H5Sget_simple_extent_dims(sp, dims, NULL) < 0)
                rc = fail(rx, BL_EINVAL, "%s is not a 1-D table", path);
        else if (dims[0] > 0 && (*rows = bl_calloc(dims[0], size)) == NULL)
                rc = bl_errf(rx->eb, BL_ENOMEM, "%s: no memory for %s", rx->path, path);
        else if (dims[0] > 0 && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, *rows) < 0)
                rc = fail(rx, BL_EHDF5, "cannot read %s", path);
        if (rc == 0) {
                *n = dims[0];
                scrub_strings(mt, *rows, size, *n);
        } else {
                bl_free(*rows);
                *rows = NULL;
        }
        if (sp >= 0)
                H5Sclose(sp);
        H5Oclose(d);
        return rc;
}

struct summary_row {
        char op[64];
        uint64_t count;
        uint64_t errors;
        double mean_us, p50_us, p90_us, p99_us, p999_us, max_us;
};

static hid_t summary_type(void)
{
        hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(struct summary_row));
        int e = t < 0;

#define M(name, field, size, type)                                                                 \
        e = e || add_member(t, name, offsetof(struct summary_row, field), size, type) < 0
        M(BL_SC_OP, op, sizeof(((struct summary_row *)0)->op), -1);
        M(BL_SC_COUNT, count, 0, H5T_NATIVE_UINT64);
        M(BL_SC_ERRORS, errors, 0, H5T_NATIVE_UINT64);
        M(BL_SC_MEAN_US, mean_us, 0, H5T_NATIVE_DOUBLE);
        M(BL_SC_P50_US, p50_us, 0, H5T_NATIVE_DOUBLE);
        M(BL_SC_P90_US, p90_us, 0, H5T_NATIVE_DOUBLE);
        M(BL_SC_P99_US, p99_us, 0, H5T_NATIVE_DOUBLE);
        M(BL_SC_P999_US, p999_us, 0, H5T_NATIVE_DOUBLE);
        M(BL_SC_MAX_US, max_us, 0, H5T_NATIVE_DOUBLE);
#undef M
        if (e && t >= 0) {
                H5Tclose(t);
                return -1;
        }
        return t;
}

static int read_summary(struct rctx *rx, struct summary_row **rows, size_t *n)
{
        hid_t mt = summary_type();
        int rc = read_table(rx, BL_SP_SUMMARY, mt, sizeof(**rows), (void **)rows, n);

        if (mt >= 0)
                H5Tclose(mt);
        return rc;
}

/* A /config option as an int, -1 if absent or not an integer. */
static int config_int(struct rctx *rx, hid_t cfg, const char *name, int *v)
{
        char buf[64], *end;
        long x;
        int rc = attr_str(rx, cfg, BL_SP_CONFIG, name, buf, sizeof(buf), 0);

        *v = -1;
        if (rc < 0)
                return rc;
        errno = 0;
        x = strtol(buf, &end, 10);
        if (rc == 0 && end != buf && *end == '\0' && errno == 0 && x >= 0 && x <= INT32_MAX)
                *v = (int)x;
        return 0;
}

/* A required unsigned option of /config (store.records may exceed 2^31):
 * 0 and *v set, or an error naming the option and the value found. */
static int config_u64(struct rctx *rx, hid_t cfg, const char *name, uint64_t *v)
{
        char buf[64], *end;
        unsigned long long x;
        int rc = attr_str(rx, cfg, BL_SP_CONFIG, name, buf, sizeof(buf), 0);

        if (rc < 0)
                return rc;
        if (rc == 1)
                return fail(rx, BL_ENOTFOUND, "%s has no attribute %s", BL_SP_CONFIG, name);
        errno = 0;
        x = strtoull(buf, &end, 10);
        if (end == buf || *end != '\0' || errno != 0 || buf[0] == '-')
                return fail(rx, BL_EINVAL, "%s attribute %s is '%s', not an unsigned integer",
                            BL_SP_CONFIG, name, buf);
        *v = (uint64_t)x;
        return 0;
}

struct fault_row {
        double t_s;
        int32_t rank;
        char description[160];
        double unavailable_s;
        double recovery_s;
        int32_t applied;
        int32_t shard;
        double shard_unavailable_s;
};

/* Whether the compound dataset at path has a member called name. */
static int has_member(struct rctx *rx, const char *path, const char *name)
{
        hid_t d = H5Dopen2(rx->file, path, H5P_DEFAULT), t = -1;
        int yes = 0;

        if (d >= 0 && (t = H5Dget_type(d)) >= 0 && H5Tget_class(t) == H5T_COMPOUND)
                yes = H5Tget_member_index(t, name) >= 0;
        if (t >= 0)
                H5Tclose(t);
        if (d >= 0)
                H5Dclose(d);
        H5Eclear2(H5E_DEFAULT);
        return yes;
}

/* Read /faults, which only runs with injected faults have: *n = 0 without. */
static int read_faults(struct rctx *rx, struct fault_row **rows, size_t *n)
{
        hid_t mt;
        int rc;

        *rows = NULL;
        *n = 0;
        if (H5Lexists(rx->file, BL_SP_FAULTS, H5P_DEFAULT) <= 0)
                return 0;
        const struct mspec m[] = {
            {BL_SC_T_S, offsetof(struct fault_row, t_s), 0, H5T_NATIVE_DOUBLE},
            {BL_SC_RANK, offsetof(struct fault_row, rank), 0, H5T_NATIVE_INT32},
            {BL_SC_DESCRIPTION, offsetof(struct fault_row, description),
             sizeof((*rows)->description), -1},
            {BL_SC_UNAVAILABLE_S, offsetof(struct fault_row, unavailable_s), 0, H5T_NATIVE_DOUBLE},
            {BL_SC_RECOVERY_S, offsetof(struct fault_row, recovery_s), 0, H5T_NATIVE_DOUBLE},
            {BL_SC_APPLIED, offsetof(struct fault_row, applied), 0, H5T_NATIVE_INT32},
            {BL_SC_SHARD, offsetof(struct fault_row, shard), 0, H5T_NATIVE_INT32},
            {BL_SC_SHARD_UNAVAIL_S, offsetof(struct fault_row, shard_unavailable_s), 0,
             H5T_NATIVE_DOUBLE},
        };
        mt = compound(sizeof(**rows), m, sizeof(m) / sizeof(m[0]));
        rc = read_table(rx, BL_SP_FAULTS, mt, sizeof(**rows), (void **)rows, n);
        if (mt >= 0)
                H5Tclose(mt);
        /* Files written before the column existed hold applied faults only. */
        if (rc == 0 && !has_member(rx, BL_SP_FAULTS, BL_SC_APPLIED))
                for (size_t i = 0; i < *n; i++)
                        (*rows)[i].applied = 1;
        /* Files written before per-shard availability lack its columns. */
        if (rc == 0 && !has_member(rx, BL_SP_FAULTS, BL_SC_SHARD_UNAVAIL_S))
                for (size_t i = 0; i < *n; i++) {
                        (*rows)[i].shard = -1;
                        (*rows)[i].shard_unavailable_s = NAN;
                }
        return rc;
}

/* Never recovered: NaN in files since per-shard availability, -1 before. */
static int never_recovered(double recovery_s)
{
        return isnan(recovery_s) || recovery_s < 0;
}

/* Worst unavailability (of the service, or of its worst shard) and recovery
 * over the faults: NaN without faults, recovery +inf when some fault was
 * never recovered from (the report prints "never"). */
static void fault_figures(const struct fault_row *f, size_t n, double *unavail_ms,
                          double *recovery_ms)
{
        *unavail_ms = *recovery_ms = NAN;
        for (size_t i = 0; i < n; i++) {
                double u = f[i].unavailable_s * 1e3, r = f[i].recovery_s * 1e3;
                if (!f[i].applied)
                        continue;
                if (!isnan(f[i].shard_unavailable_s) && f[i].shard_unavailable_s * 1e3 > u)
                        u = f[i].shard_unavailable_s * 1e3;
                if (isnan(*unavail_ms) || u > *unavail_ms)
                        *unavail_ms = u;
                if (never_recovered(f[i].recovery_s))
                        *recovery_ms = INFINITY;
                else if (isnan(*recovery_ms) || r > *recovery_ms)
                        *recovery_ms = r;
        }
}

static int info_faults(struct rctx *rx, FILE *out)
{
        struct fault_row *rows;
        size_t n;
        int rc = read_faults(rx, &rows, &n);

        if (rc != 0 || n == 0)
                return rc;
        fprintf(out, "\n# faults (times in s since the measured phase start)\n");
        fprintf(out, "  %8s %5s %13s %5s %13s %11s  %s\n", "t_s", "rank", "unavailable_s", "shard",
                "shard_unavail", "recovery_s", "fault");
        for (size_t i = 0; i < n; i++) {
                char rec[32];
                if (!rows[i].applied) {
                        fprintf(out, "  %8.3f %5s %25s  %s\n", rows[i].t_s, "-",
                                "not applied (after end)", rows[i].description);
                        continue;
                }
                if (never_recovered(rows[i].recovery_s))
                        snprintf(rec, sizeof(rec), "never");
                else
                        snprintf(rec, sizeof(rec), "%.3f", rows[i].recovery_s);
                fprintf(out, "  %8.3f %5d %13.3f %5d %13.3f %11s  %s\n", rows[i].t_s, rows[i].rank,
                        rows[i].unavailable_s, rows[i].shard, rows[i].shard_unavailable_s, rec,
                        rows[i].description);
        }
        bl_free(rows);
        return 0;
}

/* The transaction columns of the report row, from /txn (transaction runs
 * only: they stay NaN without it). */
static int txn_figures(struct rctx *rx, struct bl_report_row *row)
{
        double block_mean_us = NAN, block_max_us = NAN;
        hid_t g;
        int rc = 0;

        if (!obj_exists(rx->file, BL_SP_TXN))
                return 0;
        g = open_required(rx, BL_SP_TXN, &rc);
        if (rc != 0)
                return rc;
        rc = attr_f64(rx, g, BL_SP_TXN, BL_SA_TXN_PER_S, &row->txn_per_s, 1);
        if (rc == 0)
                rc = attr_f64(rx, g, BL_SP_TXN, BL_SA_TXN_ABORT_RATIO, &row->abort_ratio, 1);
        if (rc == 0)
                rc = attr_f64(rx, g, BL_SP_TXN, BL_SA_TXN_COMMIT_P50, &row->commit_p50_us, 1);
        if (rc == 0)
                rc = attr_f64(rx, g, BL_SP_TXN, BL_SA_TXN_COMMIT_P99, &row->commit_p99_us, 1);
        if (rc == 0)
                rc = attr_f64(rx, g, BL_SP_TXN, BL_SA_TXN_COMMIT_P50RTT, &row->commit_p50_rtt, 1);
        if (rc == 0)
                rc = attr_f64(rx, g, BL_SP_TXN, BL_SA_TXN_BLOCK_MEAN, &block_mean_us, 1);
        if (rc == 0)
                rc = attr_f64(rx, g, BL_SP_TXN, BL_SA_TXN_BLOCK_MAX, &block_max_us, 1);
        if (rc == 0)
                rc = attr_f64(rx, g, BL_SP_TXN, BL_SA_TXN_IN_DOUBT_MAX, &row->in_doubt_max, 1);
        row->block_mean_ms = block_mean_us / 1e3;
        row->block_max_ms = block_max_us / 1e3;
        H5Oclose(g);
        return rc;
}

static int fill_row(struct rctx *rx, struct bl_report_row *row)
{
        struct summary_row *sum = NULL;
        hid_t cfg = -1, base = -1, sd = -1;
        size_t n = 0;
        int64_t nranks = -1;
        double rtt_ns = NAN;
        int rc = 0, found = 0;

        rc = attr_str(rx, rx->file, "/", BL_SA_NAME, row->name, sizeof(row->name), 1);
        if (rc == 0)
                rc = attr_str(rx, rx->file, "/", BL_SA_KERNEL, row->kernel, sizeof(row->kernel), 1);
        if (rc == 0)
                rc = attr_str(rx, rx->file, "/", BL_SA_WORKLOAD, row->workload,
                              sizeof(row->workload), 1);
        if (rc == 0)
                rc = attr_str(rx, rx->file, "/", BL_SA_VERDICT, row->verdict, sizeof(row->verdict),
                              1);
        if (rc == 0)
                rc = attr_i64(rx, rx->file, "/", BL_SA_NRANKS, &nranks, 1);
        row->ranks = (int)nranks;
        if (rc == 0)
                cfg = open_required(rx, BL_SP_CONFIG, &rc);
        if (rc == 0)
                rc = config_int(rx, cfg, BL_SCFG_SHARDS, &row->shards);
        if (rc == 0)
                rc = config_int(rx, cfg, BL_SCFG_REPLICAS, &row->replicas);
        if (rc == 0)
                rc = read_summary(rx, &sum, &n);
        for (size_t i = 0; rc == 0 && i < n && !found; i++) {
                if (strcmp(sum[i].op, BL_SUMMARY_ALL) == 0) {
                        row->p50_us = sum[i].p50_us;
                        row->p99_us = sum[i].p99_us;
                        row->p999_us = sum[i].p999_us;
                        found = 1;
                }
        }
        if (rc == 0 && !found)
                rc = fail(rx, BL_ENOTFOUND, "%s has no row op=%s", BL_SP_SUMMARY, BL_SUMMARY_ALL);
        if (rc == 0)
                sd = open_required(rx, BL_SP_SUMMARY, &rc);
        if (rc == 0)
                rc = attr_f64(rx, sd, BL_SP_SUMMARY, BL_SA_OPS_PER_S, &row->ops_per_s, 1);
        if (rc == 0)
                rc = attr_f64(rx, sd, BL_SP_SUMMARY, BL_SA_P50_RTT, &row->p50_rtt, 1);
        if (rc == 0)
                rc = attr_f64(rx, sd, BL_SP_SUMMARY, BL_SA_MSGS_PER_OP, &row->msgs_per_op, 1);
        if (rc == 0)
                rc = attr_f64(rx, sd, BL_SP_SUMMARY, BL_SA_BYTES_PER_OP, &row->bytes_per_op, 1);
        /* Figures added later: NaN in older files. */
        if (rc == 0)
                rc = optional(attr_f64(rx, sd, BL_SP_SUMMARY, BL_SA_ERRORS, &row->errors, 0));
        if (rc == 0)
                rc = optional(
                    attr_f64(rx, sd, BL_SP_SUMMARY, BL_SA_OFFERED_PER_S, &row->offered_per_s, 0));
        if (rc == 0)
                rc = optional(
                    attr_f64(rx, sd, BL_SP_SUMMARY, BL_SA_ACHIEVED_PER_S, &row->achieved_per_s, 0));
        if (rc == 0)
                rc = optional(attr_f64(rx, sd, BL_SP_SUMMARY, BL_SA_MPI_MSGS_PER_OP,
                                       &row->mpi_msgs_per_op, 0));
        /* Storage figures are optional: files from before the write-ahead log lack them. */
        if (rc == 0)
                rc = optional(
                    attr_f64(rx, sd, BL_SP_SUMMARY, BL_SA_SYNCS_PER_OP, &row->syncs_per_op, 0));
        if (rc == 0)
                rc = optional(attr_f64(rx, sd, BL_SP_SUMMARY, BL_SA_DISK_BYTES_PER_OP,
                                       &row->disk_bytes_per_op, 0));
        if (rc == 0)
                base = open_required(rx, BL_SP_BASELINE, &rc);
        if (rc == 0)
                rc = attr_f64(rx, base, BL_SP_BASELINE, BL_SA_MEDIAN_RTT_NS, &rtt_ns, 1);
        if (rc == 0)
                rc = attr_f64(rx, base, BL_SP_BASELINE, BL_SA_MSG_RATE_PER_S, &row->msg_rate, 1);
        if (rc == 0)
                rc = optional(
                    attr_f64(rx, base, BL_SP_BASELINE, BL_SA_FSYNC_P50_US, &row->fsync_us, 0));
        row->rtt_us = rtt_ns / 1000.0;
        if (rc == 0)
                rc = txn_figures(rx, row);
        if (rc == 0) {
                struct fault_row *fr;
                size_t nf;
                rc = read_faults(rx, &fr, &nf);
                if (rc == 0)
                        fault_figures(fr, nf, &row->unavail_ms, &row->recovery_ms);
                bl_free(fr);
        }
        bl_free(sum);
        if (base >= 0)
                H5Oclose(base);
        if (sd >= 0)
                H5Oclose(sd);
        if (cfg >= 0)
                H5Oclose(cfg);
        return rc;
}

static void row_init(struct bl_report_row *row, const char *path)
{
        memset(row, 0, sizeof(*row));
        row->ranks = row->shards = row->replicas = -1;
        row->ops_per_s = row->p50_us = row->p99_us = row->p999_us = NAN;
        row->rtt_us = row->p50_rtt = row->msg_rate = row->msgs_per_op = row->bytes_per_op = NAN;
        row->fsync_us = row->syncs_per_op = row->disk_bytes_per_op = NAN;
        row->unavail_ms = row->recovery_ms = NAN;
        row->errors = row->offered_per_s = row->achieved_per_s = row->mpi_msgs_per_op = NAN;
        row->txn_per_s = row->abort_ratio = row->commit_p50_us = row->commit_p99_us = NAN;
        row->commit_p50_rtt = row->block_mean_ms = row->block_max_ms = row->in_doubt_max = NAN;
        snprintf(row->file, sizeof(row->file), "%s", path);
}

int bl_results_read_row(const char *path, struct bl_report_row *row, struct bl_errbuf *eb)
{
        struct rctx rx;
        H5E_auto2_t old_func = NULL;
        void *old_data = NULL;
        int rc;

        if (path == NULL || row == NULL)
                return bl_errf(eb, BL_EINVAL, "read results: no path or no row");
        row_init(row, path);
        H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        rc = open_file(&rx, path, eb);
        if (rc == 0) {
                rc = fill_row(&rx, row);
                if (rc == 0 && attr_str(&rx, rx.file, "/", BL_SA_FINGERPRINT, row->fingerprint,
                                        sizeof(row->fingerprint), 0) < 0)
                        rc = fail(&rx, BL_EHDF5, "cannot read %s", BL_SA_FINGERPRINT);
                H5Fclose(rx.file);
        }
        H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
        /* Files written before the fingerprint existed: compute it. */
        if (rc == 0 && row->fingerprint[0] == '\0') {
                struct bl_stored_config c;

                rc = bl_results_read_config(path, &c, eb);
                if (rc == 0) {
                        char hex[BL_FINGERPRINT_LEN];

                        bl_fingerprint_hex(bl_fingerprint(c.entries, c.n, c.nranks, NULL), hex);
                        snprintf(row->fingerprint, sizeof(row->fingerprint), "%s", hex);
                }
                bl_stored_config_free(&c);
        }
        return rc;
}

/* ---- ballot info FILE ---------------------------------------------------- */

struct config_row {
        char section[64];
        char key[64];
        char value[1024];
};

struct topo_row {
        int32_t rank;
        char hostname[256];
        char cpuset[256];
        int32_t numa_node;
        int32_t package;
        char cores[256];
        int64_t clock_offset_ns;
};

struct verdict_row {
        char name[128];
        int32_t result;
        char reason[1024];
};

/* Rows of a dataset, or -1 when it is absent. */
static long long dataset_rows(struct rctx *rx, const char *path)
{
        hid_t d, sp;
        hsize_t dims[2] = {0, 0};
        long long n = -1;

        if (!obj_exists(rx->file, path))
                return -1;
        d = H5Dopen2(rx->file, path, H5P_DEFAULT);
        if (d < 0)
                return -1;
        sp = H5Dget_space(d);
        if (sp >= 0 && H5Sget_simple_extent_dims(sp, dims, NULL) >= 0)
                n = (long long)dims[0];
        if (sp >= 0)
                H5Sclose(sp);
        H5Dclose(d);
        H5Eclear2(H5E_DEFAULT);
        return n;
}

static int info_header(struct rctx *rx, FILE *out)
{
        static const struct {
                const char *label;
                const char *attr;
                int prov; /* on /provenance rather than / */
        } s[] = {
            {"name", BL_SA_NAME, 0},
            {"kernel", BL_SA_KERNEL, 0},
            {"replication", BL_SA_REPL_KERNEL, 0},
            {"commit", BL_SA_COMMIT_KERNEL, 0},
            {"workload", BL_SA_WORKLOAD, 0},
            {"start time", BL_SA_START_TIME, 0},
            {"command line", BL_SA_COMMAND_LINE, 1},
            {"idle policy", BL_SA_IDLE_POLICY, 1},
            {"pinning", BL_SA_PINNING_POLICY, 1},
            {"ballot", BL_SA_BALLOT_VERSION, 0},
            {"git revision", BL_SA_GIT_REVISION, 0},
            {"MPI", BL_SA_MPI_VERSION, 1},
            {"HDF5", BL_SA_HDF5_VERSION, 1},
            {"hwloc", BL_SA_HWLOC_VERSION, 1},
            {"verdict", BL_SA_VERDICT, 0},
        };
        char buf[4096];
        int64_t nranks = -1, history = -1;
        uint64_t seed = 0;
        hid_t prov;
        int rc = 0;

        prov = open_required(rx, BL_SP_PROVENANCE, &rc);
        if (rc != 0)
                return rc;
        fprintf(out, "# ballot result file %s (schema %d)\n", rx->path, BL_SCHEMA_VERSION);
        for (size_t i = 0; rc == 0 && i < sizeof(s) / sizeof(s[0]); i++) {
                hid_t o = s[i].prov ? prov : rx->file;

                rc = attr_str(rx, o, s[i].prov ? BL_SP_PROVENANCE : "/", s[i].attr, buf,
                              sizeof(buf), 0);
                if (rc >= 0)
                        fprintf(out, "  %-14s %s\n", s[i].label,
                                rc == 1          ? "(missing)"
                                : buf[0] != '\0' ? buf
                                                 : "-");
                if (rc == 1)
                        rc = 0;
                if (rc == 0 && i == 4) {
                        rc = attr_i64(rx, rx->file, "/", BL_SA_NRANKS, &nranks, 0);
                        if (rc >= 0)
                                rc = attr_num(rx, rx->file, "/", BL_SA_SEED, H5T_NATIVE_UINT64,
                                              &seed, 0);
                        if (rc >= 0) {
                                fprintf(out, "  %-14s %" PRId64 "\n", "ranks", nranks);
                                fprintf(out, "  %-14s %" PRIu64 "\n", "seed", seed);
                                rc = 0;
                        }
                }
        }
        if (rc == 0 && attr_i64(rx, prov, BL_SP_PROVENANCE, BL_SA_HISTORY, &history, 0) >= 0)
                fprintf(out, "  %-14s %s\n", "history", history == 1 ? "recorded" : "not recorded");
        H5Oclose(prov);
        return rc;
}

static int info_config(struct rctx *rx, FILE *out)
{
        struct config_row *rows = NULL;
        hid_t mt = H5Tcreate(H5T_COMPOUND, sizeof(*rows));
        size_t n = 0;
        int rc;

        if (mt >= 0 && (add_member(mt, BL_SC_SECTION, offsetof(struct config_row, section),
                                   sizeof(rows->section), -1) < 0 ||
                        add_member(mt, BL_SC_KEY, offsetof(struct config_row, key),
                                   sizeof(rows->key), -1) < 0 ||
                        add_member(mt, BL_SC_VALUE, offsetof(struct config_row, value),
                                   sizeof(rows->value), -1) < 0)) {
                H5Tclose(mt);
                mt = -1;
        }
        rc = read_table(rx, BL_SP_CONFIG_OPTIONS, mt, sizeof(*rows), (void **)&rows, &n);
        if (rc == 0) {
                fprintf(out, "\n# config (%zu options)\n", n);
                for (size_t i = 0; i < n; i++)
                        fprintf(out, "  %s.%s = %s\n", rows[i].section, rows[i].key, rows[i].value);
        }
        bl_free(rows);
        if (mt >= 0)
                H5Tclose(mt);
        return rc;
}

static int info_topology(struct rctx *rx, FILE *out)
{
        struct topo_row *rows = NULL;
        hid_t mt = H5Tcreate(H5T_COMPOUND, sizeof(*rows));
        size_t n = 0;
        int rc, e = mt < 0;

#define M(name, field, size, type)                                                                 \
        e = e || add_member(mt, name, offsetof(struct topo_row, field), size, type) < 0
        M(BL_SC_RANK, rank, 0, H5T_NATIVE_INT32);
        M(BL_SC_HOSTNAME, hostname, sizeof(rows->hostname), -1);
        M(BL_SC_CPUSET, cpuset, sizeof(rows->cpuset), -1);
        M(BL_SC_NUMA_NODE, numa_node, 0, H5T_NATIVE_INT32);
        M(BL_SC_PACKAGE, package, 0, H5T_NATIVE_INT32);
        M(BL_SC_CORES, cores, sizeof(rows->cores), -1);
        M(BL_SC_CLOCK_OFFSET_NS, clock_offset_ns, 0, H5T_NATIVE_INT64);
#undef M
        if (e && mt >= 0) {
                H5Tclose(mt);
                mt = -1;
        }
        rc = read_table(rx, BL_SP_TOPOLOGY_RANKS, mt, sizeof(*rows), (void **)&rows, &n);
        if (rc == 0) {
                fprintf(out, "\n# ranks\n  %-5s %-20s %5s %8s %-12s %-20s %16s\n", "rank", "host",
                        "numa", "package", "cores", "cpuset", "clock_offset_ns");
                for (size_t i = 0; i < n; i++)
                        fprintf(out, "  %-5d %-20s %5d %8d %-12s %-20s %16" PRId64 "\n",
                                rows[i].rank, rows[i].hostname, rows[i].numa_node, rows[i].package,
                                rows[i].cores[0] ? rows[i].cores : "-",
                                rows[i].cpuset[0] ? rows[i].cpuset : "-", rows[i].clock_offset_ns);
        }
        bl_free(rows);
        if (mt >= 0)
                H5Tclose(mt);
        return rc;
}

static int info_summary(struct rctx *rx, FILE *out)
{
        struct summary_row *rows = NULL;
        double rtt = NAN, rate = NAN, v[5] = {NAN, NAN, NAN, NAN, NAN};
        uint64_t u[4] = {0, 0, 0, 0};
        size_t n = 0;
        hid_t o;
        int rc = 0;

        o = open_required(rx, BL_SP_BASELINE, &rc);
        if (rc != 0)
                return rc;
        attr_f64(rx, o, BL_SP_BASELINE, BL_SA_MEDIAN_RTT_NS, &rtt, 0);
        attr_f64(rx, o, BL_SP_BASELINE, BL_SA_MSG_RATE_PER_S, &rate, 0);
        attr_f64(rx, o, BL_SP_BASELINE, BL_SA_RTT_P99_NS, &v[0], 0);
        attr_f64(rx, o, BL_SP_BASELINE, BL_SA_FSYNC_P50_US, &v[1], 0);
        attr_f64(rx, o, BL_SP_BASELINE, BL_SA_FSYNC_P99_US, &v[2], 0);
        attr_f64(rx, o, BL_SP_BASELINE, BL_SA_WRITE_MBPS, &v[3], 0);
        H5Oclose(o);
        fprintf(out, "\n# baseline\n  median rtt %.2f us, p99 rtt %.2f us, message rate %.0f/s\n",
                rtt / 1000, v[0] / 1000, rate);
        if (!isnan(v[1]))
                fprintf(out,
                        "  storage: 4 KiB append + fdatasync p50 %.0f us, p99 %.0f us; sequential "
                        "write %.0f MB/s\n",
                        v[1], v[2], v[3]);
        v[1] = v[2] = v[3] = NAN;

        rc = read_summary(rx, &rows, &n);
        if (rc != 0)
                return rc;
        fprintf(out,
                "\n# summary (latency in us)\n  %-12s %12s %8s %10s %10s %10s %10s %10s %10s\n",
                "op", "count", "errors", "mean", "p50", "p90", "p99", "p99.9", "max");
        for (size_t i = 0; i < n; i++)
                fprintf(out,
                        "  %-12s %12" PRIu64 " %8" PRIu64 " %10.2f %10.2f %10.2f %10.2f %10.2f "
                        "%10.2f\n",
                        rows[i].op, rows[i].count, rows[i].errors, rows[i].mean_us, rows[i].p50_us,
                        rows[i].p90_us, rows[i].p99_us, rows[i].p999_us, rows[i].max_us);
        bl_free(rows);
        o = open_required(rx, BL_SP_SUMMARY, &rc);
        if (rc != 0)
                return rc;
        attr_num(rx, o, BL_SP_SUMMARY, BL_SA_OPS, H5T_NATIVE_UINT64, &u[0], 0);
        attr_num(rx, o, BL_SP_SUMMARY, BL_SA_ERRORS, H5T_NATIVE_UINT64, &u[1], 0);
        attr_num(rx, o, BL_SP_SUMMARY, BL_SA_WARMUP_OPS, H5T_NATIVE_UINT64, &u[2], 0);
        attr_num(rx, o, BL_SP_SUMMARY, BL_SA_MEM_MAX_BYTES, H5T_NATIVE_UINT64, &u[3], 0);
        attr_f64(rx, o, BL_SP_SUMMARY, BL_SA_OPS_PER_S, &v[0], 0);
        attr_f64(rx, o, BL_SP_SUMMARY, BL_SA_DURATION_S, &v[1], 0);
        attr_f64(rx, o, BL_SP_SUMMARY, BL_SA_P50_RTT, &v[2], 0);
        attr_f64(rx, o, BL_SP_SUMMARY, BL_SA_MSGS_PER_OP, &v[3], 0);
        attr_f64(rx, o, BL_SP_SUMMARY, BL_SA_BYTES_PER_OP, &v[4], 0);
        H5Oclose(o);
        fprintf(out,
                "  measured %" PRIu64 " ops (%" PRIu64 " errors) in %.3f s: %.1f ops/s; warm-up "
                "%" PRIu64 " ops\n  p50 = %.2f RTT; %.2f messages and %.1f bytes per op; "
                "max memory of a rank %" PRIu64 " bytes\n",
                u[0], u[1], v[1], v[0], u[2], v[2], v[3], v[4], u[3]);
        v[0] = v[1] = NAN;
        o = open_required(rx, BL_SP_SUMMARY, &rc);
        if (rc != 0)
                return rc;
        attr_f64(rx, o, BL_SP_SUMMARY, BL_SA_SYNCS_PER_OP, &v[0], 0);
        attr_f64(rx, o, BL_SP_SUMMARY, BL_SA_DISK_BYTES_PER_OP, &v[1], 0);
        H5Oclose(o);
        if (!isnan(v[0]) && (v[0] > 0 || v[1] > 0))
                fprintf(out, "  storage: %.3f fdatasync and %.1f disk bytes per op\n", v[0], v[1]);
        return 0;
}

struct class_rrow {
        char cls[32];
        uint64_t committed, aborted, unknown;
        double p50_us, p99_us;
};

static int info_txn_classes(struct rctx *rx, FILE *out)
{
        struct class_rrow *rows = NULL;
        size_t n = 0;
        const struct mspec m[] = {
            {BL_SC_CLASS, offsetof(struct class_rrow, cls), sizeof(rows->cls), -1},
            {BL_SC_COMMITTED, offsetof(struct class_rrow, committed), 0, H5T_NATIVE_UINT64},
            {BL_SC_ABORTED, offsetof(struct class_rrow, aborted), 0, H5T_NATIVE_UINT64},
            {BL_SC_UNKNOWN, offsetof(struct class_rrow, unknown), 0, H5T_NATIVE_UINT64},
            {BL_SC_COMMIT_P50_US, offsetof(struct class_rrow, p50_us), 0, H5T_NATIVE_DOUBLE},
            {BL_SC_COMMIT_P99_US, offsetof(struct class_rrow, p99_us), 0, H5T_NATIVE_DOUBLE},
        };
        hid_t mt = compound(sizeof(*rows), m, sizeof(m) / sizeof(m[0]));
        int rc = read_table(rx, BL_SP_TXN_CLASSES, mt, sizeof(*rows), (void **)&rows, &n);

        if (mt >= 0)
                H5Tclose(mt);
        if (rc == 0 && n > 0) {
                fprintf(out, "  %-10s %12s %10s %10s %12s %12s\n", "class", "committed", "aborted",
                        "unknown", "commit_p50", "commit_p99");
                for (size_t i = 0; i < n; i++)
                        fprintf(out,
                                "  %-10s %12" PRIu64 " %10" PRIu64 " %10" PRIu64 " %12.2f %12.2f\n",
                                rows[i].cls, rows[i].committed, rows[i].aborted, rows[i].unknown,
                                rows[i].p50_us, rows[i].p99_us);
        }
        bl_free(rows);
        return rc;
}

/* The transactions of a transaction run (/txn); nothing for other runs. */
static int info_txn(struct rctx *rx, FILE *out)
{
        static const char *const u_names[] = {
            BL_SA_TXN_COMMITTED,    BL_SA_TXN_ABORTED,      BL_SA_TXN_UNKNOWN,
            BL_SA_TXN_ABORTED_LOCK, BL_SA_TXN_ABORTED_VOTE, BL_SA_TXN_ABORTED_TIME,
            BL_SA_TXN_ABORTED_FAIL, BL_SA_TXN_BLOCK_N,      BL_SA_TXN_IN_DOUBT_MAX,
            BL_SA_TXN_IN_DOUBT_END,
        };
        static const char *const d_names[] = {
            BL_SA_TXN_PER_S,       BL_SA_TXN_ABORTS_PER_S,  BL_SA_TXN_ABORT_RATIO,
            BL_SA_TXN_COMMIT_MEAN, BL_SA_TXN_COMMIT_P50,    BL_SA_TXN_COMMIT_P99,
            BL_SA_TXN_COMMIT_MAX,  BL_SA_TXN_COMMIT_P50RTT, BL_SA_TXN_BLOCK_MEAN,
            BL_SA_TXN_BLOCK_P99,   BL_SA_TXN_BLOCK_MAX,     BL_SA_TXN_BLOCK_LONG,
        };
        uint64_t u[10] = {0};
        double d[12];
        long long nlong;
        hid_t g;
        int rc = 0;

        if (!obj_exists(rx->file, BL_SP_TXN))
                return 0;
        g = open_required(rx, BL_SP_TXN, &rc);
        if (rc != 0)
                return rc;
        for (size_t i = 0; rc == 0 && i < 10; i++)
                rc = attr_num(rx, g, BL_SP_TXN, u_names[i], H5T_NATIVE_UINT64, &u[i], 1);
        for (size_t i = 0; rc == 0 && i < 12; i++)
                rc = attr_f64(rx, g, BL_SP_TXN, d_names[i], &d[i], 1);
        H5Oclose(g);
        if (rc != 0)
                return rc;
        fprintf(out,
                "\n# transactions (measured phase; latency in us)\n"
                "  committed %" PRIu64 ", aborted %" PRIu64 " (lock %" PRIu64 ", vote %" PRIu64
                ", timeout %" PRIu64 ", failure %" PRIu64 "), outcome unknown %" PRIu64 "\n"
                "  %.1f committed/s, %.1f aborts/s, abort ratio %.1f%%\n"
                "  commit latency: mean %.2f, p50 %.2f, p99 %.2f, max %.2f; p50 = %.2f RTT\n"
                "  blocking window (prepared, no decision): %" PRIu64
                " windows, mean %.2f, p99 %.2f, max %.2f\n"
                "  in doubt (per participant): at most %" PRIu64 " at once, %" PRIu64
                " at the end\n",
                u[0], u[1], u[3], u[4], u[5], u[6], u[2], d[0], d[1], 100.0 * d[2], d[3], d[4],
                d[5], d[6], d[7], u[7], d[8], d[9], d[10], u[8], u[9]);
        nlong = dataset_rows(rx, BL_SP_TXN_BLOCKING);
        if (nlong > 0)
                fprintf(out, "  %lld blocking windows longer than %.0f us in %s\n", nlong, d[11],
                        BL_SP_TXN_BLOCKING);
        return info_txn_classes(rx, out);
}

/* Read /verdicts into *rows (bl_malloc'd, caller frees). */
static int read_verdicts(struct rctx *rx, struct verdict_row **rows, size_t *n)
{
        hid_t mt = H5Tcreate(H5T_COMPOUND, sizeof(**rows));
        int rc;

        if (mt >= 0 && (add_member(mt, BL_SC_NAME, offsetof(struct verdict_row, name),
                                   sizeof((*rows)->name), -1) < 0 ||
                        add_member(mt, BL_SC_RESULT, offsetof(struct verdict_row, result), 0,
                                   H5T_NATIVE_INT32) < 0 ||
                        add_member(mt, BL_SC_REASON, offsetof(struct verdict_row, reason),
                                   sizeof((*rows)->reason), -1) < 0)) {
                H5Tclose(mt);
                mt = -1;
        }
        rc = read_table(rx, BL_SP_VERDICTS, mt, sizeof(**rows), (void **)rows, n);
        if (mt >= 0)
                H5Tclose(mt);
        return rc;
}

static int info_verdicts(struct rctx *rx, FILE *out)
{
        struct verdict_row *rows = NULL;
        size_t n = 0;
        int rc;

        rc = read_verdicts(rx, &rows, &n);
        if (rc == 0) {
                fprintf(out, "\n# verdicts\n");
                for (size_t i = 0; i < n; i++)
                        fprintf(out, "  %-12s %-24s %s\n", bl_verdict_name(rows[i].result),
                                rows[i].name, rows[i].reason);
                if (n == 0)
                        fprintf(out, "  (none)\n");
        }
        bl_free(rows);
        if (rc == 0) {
                uint64_t checked = 0, total = 0;
                hid_t o = open_required(rx, BL_SP_VERDICTS, &rc);

                /* Older files lack these attributes: then nothing is said. */
                if (rc == 0 &&
                    attr_num(rx, o, BL_SP_VERDICTS, BL_SA_LIN_OPS_CHECKED, H5T_NATIVE_UINT64,
                             &checked, 0) == 0 &&
                    attr_num(rx, o, BL_SP_VERDICTS, BL_SA_LIN_OPS_TOTAL, H5T_NATIVE_UINT64, &total,
                             0) == 0 &&
                    total > 0)
                        fprintf(out,
                                "  linearizability covered %.1f%% of the operations (%" PRIu64
                                " of %" PRIu64 ")\n",
                                100.0 * (double)checked / (double)total, checked, total);
                if (rc == 0)
                        H5Oclose(o);
        }
        return rc;
}

static void info_contents(struct rctx *rx, FILE *out)
{
        static const struct {
                const char *label;
                const char *path;
        } s[] = {
            {"events", BL_SP_EVENTS},
            {"replicas", BL_SP_REPLICAS},
            {"time series intervals", BL_SP_TIMESERIES "/" BL_SN_TS_T_S},
            {"message types", BL_SP_MSG_TYPE_NAMES},
            {"history operations", BL_SP_HISTORY},
            {"transactions recorded", BL_SP_TXH_TXNS},
            {"blocking windows", BL_SP_TXN_BLOCKING},
        };

        fprintf(out, "\n# contents\n");
        for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
                long long n = dataset_rows(rx, s[i].path);

                if (n < 0)
                        fprintf(out, "  %-22s (absent)\n", s[i].label);
                else
                        fprintf(out, "  %-22s %lld rows in %s\n", s[i].label, n, s[i].path);
        }
}

int bl_info_file(const char *path, FILE *out, struct bl_errbuf *eb)
{
        struct rctx rx;
        H5E_auto2_t old_func = NULL;
        void *old_data = NULL;
        int rc;

        if (path == NULL || out == NULL)
                return bl_errf(eb, BL_EINVAL, "info: no path or no output");
        H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        rc = open_file(&rx, path, eb);
        if (rc == 0) {
                rc = info_header(&rx, out);
                if (rc == 0)
                        rc = info_config(&rx, out);
                if (rc == 0)
                        rc = info_topology(&rx, out);
                if (rc == 0)
                        rc = info_summary(&rx, out);
                if (rc == 0)
                        rc = info_txn(&rx, out);
                if (rc == 0)
                        rc = info_verdicts(&rx, out);
                if (rc == 0)
                        rc = info_faults(&rx, out);
                if (rc == 0)
                        info_contents(&rx, out);
                H5Fclose(rx.file);
        }
        H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
        return rc;
}

/* ---- ballot check FILE -------------------------------------------------- */

struct replica_rrow {
        int32_t shard, member, rank;
        uint64_t applied, digest;
};

struct history_rrow {
        uint32_t client;
        int32_t op, outcome;
        uint64_t key, arg, ret;
        int32_t ret_status;
        int64_t invoke_ns, return_ns;
};

/* shards and replicas: the file's cluster.shards and cluster.replicas, or -1
 * when it does not say (rows are then only checked for negative values). */
static int recheck_digests(struct rctx *rx, int shards, int replicas, struct bl_verdict *v)
{
        struct replica_rrow *rows = NULL;
        struct bl_replica_state *st = NULL;
        size_t n = 0;
        const struct mspec m[] = {
            {BL_SC_SHARD, offsetof(struct replica_rrow, shard), 0, H5T_NATIVE_INT32},
            {BL_SC_MEMBER, offsetof(struct replica_rrow, member), 0, H5T_NATIVE_INT32},
            {BL_SC_RANK, offsetof(struct replica_rrow, rank), 0, H5T_NATIVE_INT32},
            {BL_SC_APPLIED, offsetof(struct replica_rrow, applied), 0, H5T_NATIVE_UINT64},
            {BL_SC_DIGEST, offsetof(struct replica_rrow, digest), 0, H5T_NATIVE_UINT64},
        };
        hid_t mt = compound(sizeof(*rows), m, sizeof(m) / sizeof(m[0]));
        int rc;

        /* /digests holds every checkpoint; files written before it existed
         * only have each replica's final state in /replicas. */
        const char *path = obj_exists(rx->file, BL_SP_DIGESTS) ? BL_SP_DIGESTS : BL_SP_REPLICAS;

        rc = read_table(rx, path, mt, sizeof(*rows), (void **)&rows, &n);
        if (mt >= 0)
                H5Tclose(mt);
        if (rc == 0) {
                st = bl_calloc(n + 1, sizeof(*st));
                if (st == NULL)
                        rc = fail(rx, BL_ENOMEM, "out of memory for %zu replicas", n);
        }
        for (size_t i = 0; rc == 0 && i < n; i++) {
                if (rows[i].shard < 0 || rows[i].member < 0 || rows[i].rank < 0 ||
                    (shards > 0 && rows[i].shard >= shards) ||
                    (replicas > 0 && rows[i].member >= replicas)) {
                        rc = fail(rx, BL_EPROTO,
                                  "%s row %zu (from 0) is malformed: shard %" PRId32
                                  ", member %" PRId32 ", rank %" PRId32
                                  " (allowed: shard in [0, %d), member in [0, %d), rank >= 0); "
                                  "nothing was judged",
                                  path, i, rows[i].shard, rows[i].member, rows[i].rank, shards,
                                  replicas);
                        break;
                }
                st[i] = (struct bl_replica_state){rows[i].shard, rows[i].member, rows[i].rank,
                                                  rows[i].applied, rows[i].digest};
        }
        if (rc == 0 && bl_check_digests(st, n, v) != 0)
                rc = fail(rx, BL_ENOMEM, "out of memory comparing digests");
        bl_free(rows);
        bl_free(st);
        return rc;
}

/*
 * Why a stored history row cannot be an operation the client recorded, or
 * NULL when it can. The writer stores return_ns -1 exactly for the unknown
 * outcome, and ret_status only means something for ok.
 */
static const char *history_row_error(const struct history_rrow *r)
{
        if (r->op < 0 || r->op >= BL_OP__COUNT)
                return "unknown operation code";
        if (r->outcome < BL_OUT_OK || r->outcome > BL_OUT_UNKNOWN)
                return "unknown outcome code (allowed: ok, fail, unknown)";
        if (r->invoke_ns < 0)
                return "negative invoke_ns";
        if (r->outcome == BL_OUT_UNKNOWN && r->return_ns != -1)
                return "outcome unknown but return_ns is not -1";
        if (r->outcome != BL_OUT_UNKNOWN && r->return_ns < 0)
                return "outcome known but return_ns is negative (only an unknown outcome has no "
                       "return time)";
        if (r->outcome != BL_OUT_UNKNOWN && r->return_ns < r->invoke_ns)
                return "returns before it was invoked";
        if (r->outcome == BL_OUT_OK && r->ret_status != BL_ST_OK && r->ret_status != BL_ST_NOTFOUND)
                return "outcome ok but ret_status is neither ok (0) nor notfound (1)";
        if (r->outcome == BL_OUT_OK && r->ret_status == BL_ST_NOTFOUND && r->op != BL_OP_GET &&
            r->op != BL_OP_RMW)
                return "ret_status notfound for an operation that cannot miss";
        return NULL;
}

static int recheck_history(struct rctx *rx, uint64_t records, double limit_s, struct bl_verdict *v)
{
        struct history_rrow *rows = NULL;
        struct bl_history h;
        struct bl_lin_result res;
        size_t n = 0;
        const struct mspec m[] = {
            {BL_SC_CLIENT, offsetof(struct history_rrow, client), 0, H5T_NATIVE_UINT32},
            {BL_SC_OP, offsetof(struct history_rrow, op), 0, H5T_NATIVE_INT32},
            {BL_SC_OUTCOME, offsetof(struct history_rrow, outcome), 0, H5T_NATIVE_INT32},
            {BL_SC_KEY, offsetof(struct history_rrow, key), 0, H5T_NATIVE_UINT64},
            {BL_SC_ARG, offsetof(struct history_rrow, arg), 0, H5T_NATIVE_UINT64},
            {BL_SC_RET, offsetof(struct history_rrow, ret), 0, H5T_NATIVE_UINT64},
            {BL_SC_RET_STATUS, offsetof(struct history_rrow, ret_status), 0, H5T_NATIVE_INT32},
            {BL_SC_INVOKE_NS, offsetof(struct history_rrow, invoke_ns), 0, H5T_NATIVE_INT64},
            {BL_SC_RETURN_NS, offsetof(struct history_rrow, return_ns), 0, H5T_NATIVE_INT64},
        };
        hid_t mt = compound(sizeof(*rows), m, sizeof(m) / sizeof(m[0]));
        int rc;

        bl_history_init(&h);
        rc = read_table(rx, BL_SP_HISTORY, mt, sizeof(*rows), (void **)&rows, &n);
        if (mt >= 0)
                H5Tclose(mt);
        if (rc == 0 && bl_history_reserve(&h, n) != 0)
                rc = fail(rx, BL_ENOMEM, "out of memory for %zu operations", n);
        for (size_t i = 0; rc == 0 && i < n; i++) {
                const struct history_rrow *r = &rows[i];
                const char *why = history_row_error(r);
                if (why != NULL) {
                        rc = fail(rx, BL_EPROTO,
                                  "%s row %zu (from 0) is malformed: %s (client %" PRIu32
                                  ", op %" PRId32 ", outcome %" PRId32 ", key %" PRIu64
                                  ", ret_status %" PRId32 ", invoke_ns %" PRId64
                                  ", return_ns %" PRId64 "); nothing was judged",
                                  BL_SP_HISTORY, i, why, r->client, r->op, r->outcome, r->key,
                                  r->ret_status, r->invoke_ns, r->return_ns);
                        break;
                }
                struct bl_hop op = {
                    .client = r->client,
                    .op = (uint8_t)r->op,
                    .outcome = (uint8_t)r->outcome,
                    .ret_status = (uint8_t)r->ret_status,
                    .key = r->key,
                    .arg = r->arg,
                    .ret = r->ret,
                    .invoke_ns = (uint64_t)r->invoke_ns,
                    .return_ns = r->return_ns < 0 ? UINT64_MAX : (uint64_t)r->return_ns,
                };
                bl_history_add(&h, &op);
        }
        if (rc == 0 && bl_lin_check(&h, records, limit_s, &res) != 0)
                rc = fail(rx, BL_ENOMEM, "out of memory checking linearizability");
        if (rc == 0)
                bl_check_lin(&res, v);
        bl_free(rows);
        bl_history_free(&h);
        return rc;
}

/* A 1-D uint64 dataset into *v (bl_free it). */
static int read_u64s(struct rctx *rx, const char *path, uint64_t **v, size_t *n)
{
        hid_t d, sp = -1;
        hsize_t dims[1] = {0};
        int rc = 0;

        *v = NULL;
        *n = 0;
        d = open_required(rx, path, &rc);
        if (rc != 0)
                return rc;
        if ((sp = H5Dget_space(d)) < 0 || H5Sget_simple_extent_ndims(sp) != 1 ||
            H5Sget_simple_extent_dims(sp, dims, NULL) < 0)
                rc = fail(rx, BL_EINVAL, "%s is not a 1-D array", path);
        else if (dims[0] > 0 && (*v = bl_calloc(dims[0], sizeof(**v))) == NULL)
                rc = bl_errf(rx->eb, BL_ENOMEM, "%s: no memory for %s", rx->path, path);
        else if (dims[0] > 0 &&
                 H5Dread(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, *v) < 0)
                rc = fail(rx, BL_EHDF5, "cannot read %s", path);
        if (rc == 0)
                *n = dims[0];
        else {
                bl_free(*v);
                *v = NULL;
        }
        if (sp >= 0)
                H5Sclose(sp);
        H5Oclose(d);
        return rc;
}

/* The row counts /txn/history announces must be the datasets' own: a file
 * cut short or edited is refused rather than judged on part of it. */
static int txh_counts(struct rctx *rx, size_t nt, size_t nm, size_t nv)
{
        static const char *const names[] = {BL_SA_TXH_TXNS, BL_SA_TXH_MOPS, BL_SA_TXH_VALUES};
        static const char *const paths[] = {BL_SP_TXH_TXNS, BL_SP_TXH_MOPS, BL_SP_TXH_VALUES};
        const size_t have[] = {nt, nm, nv};
        hid_t g;
        int rc = 0;

        g = open_required(rx, BL_SP_TXN_HISTORY, &rc);
        for (size_t i = 0; rc == 0 && i < 3; i++) {
                uint64_t want = 0;

                rc = attr_num(rx, g, BL_SP_TXN_HISTORY, names[i], H5T_NATIVE_UINT64, &want, 1);
                if (rc == 0 && want != have[i])
                        rc = fail(rx, BL_EPROTO,
                                  "%s is malformed: attribute %s says %" PRIu64
                                  " rows but %s has %zu; nothing was judged",
                                  BL_SP_TXN_HISTORY, names[i], want, paths[i], have[i]);
        }
        if (g >= 0)
                H5Oclose(g);
        return rc;
}

/*
 * Serializability of the stored list-append history: rebuild it (refusing
 * malformed rows) and run the checker with real-time edges, within limit_s.
 */
static int recheck_txn_history(struct rctx *rx, double limit_s, struct bl_ser_result *res)
{
        struct bl_txh_row *t = NULL;
        struct bl_mop_row *m = NULL;
        uint64_t *vals = NULL;
        size_t nt = 0, nm = 0, nv = 0;
        struct bl_txn_history h;
        struct bl_ser_opts o;
        char why[512];
        const struct mspec tm[] = {
            {BL_SC_ID, offsetof(struct bl_txh_row, id), 0, H5T_NATIVE_UINT64},
            {BL_SC_CLIENT, offsetof(struct bl_txh_row, client), 0, H5T_NATIVE_UINT32},
            {BL_SC_OUTCOME, offsetof(struct bl_txh_row, outcome), 0, H5T_NATIVE_INT32},
            {BL_SC_INVOKE_NS, offsetof(struct bl_txh_row, invoke_ns), 0, H5T_NATIVE_INT64},
            {BL_SC_COMPLETE_NS, offsetof(struct bl_txh_row, complete_ns), 0, H5T_NATIVE_INT64},
            {BL_SC_FIRST_MOP, offsetof(struct bl_txh_row, first_mop), 0, H5T_NATIVE_UINT64},
            {BL_SC_NMOPS, offsetof(struct bl_txh_row, nmops), 0, H5T_NATIVE_UINT32},
        };
        const struct mspec mm[] = {
            {BL_SC_KIND, offsetof(struct bl_mop_row, kind), 0, H5T_NATIVE_INT32},
            {BL_SC_KEY, offsetof(struct bl_mop_row, key), 0, H5T_NATIVE_UINT64},
            {BL_SC_VALUE, offsetof(struct bl_mop_row, value), 0, H5T_NATIVE_UINT64},
            {BL_SC_READ_OFF, offsetof(struct bl_mop_row, read_off), 0, H5T_NATIVE_UINT64},
            {BL_SC_READ_LEN, offsetof(struct bl_mop_row, read_len), 0, H5T_NATIVE_UINT32},
        };
        hid_t mt = compound(sizeof(*t), tm, sizeof(tm) / sizeof(tm[0]));
        int rc;

        bl_txn_history_init(&h);
        rc = read_table(rx, BL_SP_TXH_TXNS, mt, sizeof(*t), (void **)&t, &nt);
        if (mt >= 0)
                H5Tclose(mt);
        mt = compound(sizeof(*m), mm, sizeof(mm) / sizeof(mm[0]));
        if (rc == 0)
                rc = read_table(rx, BL_SP_TXH_MOPS, mt, sizeof(*m), (void **)&m, &nm);
        if (mt >= 0)
                H5Tclose(mt);
        if (rc == 0)
                rc = read_u64s(rx, BL_SP_TXH_VALUES, &vals, &nv);
        if (rc == 0)
                rc = txh_counts(rx, nt, nm, nv);
        if (rc == 0) {
                rc = bl_txn_rows_to_history(t, nt, m, nm, vals, nv, &h, why, sizeof(why));
                if (rc == BL_EPROTO)
                        rc = fail(rx, BL_EPROTO, "%s; nothing was judged", why);
                else if (rc != 0)
                        rc = fail(rx, rc, "out of memory for %zu transactions", nt);
        }
        bl_free(t);
        bl_free(m);
        bl_free(vals);
        if (rc != 0) {
                bl_txn_history_free(&h);
                return rc;
        }
        bl_ser_opts_default(&o);
        o.time_limit_s = limit_s;
        o.realtime = 1;
        rc = bl_ser_check(&h, &o, res);
        bl_txn_history_free(&h);
        /* Out of memory leaves res inconclusive: a verdict, not a refusal. */
        if (rc == BL_EINVAL)
                return fail(rx, BL_EPROTO, "%s is malformed: %s; nothing was judged",
                            BL_SP_TXH_MOPS, res->reason);
        return 0;
}

/*
 * The run's own verdicts that `ballot check` cannot judge again (the
 * counter, storage, atomicity..., and linearizability when the file holds no
 * history: a sampled check), appended to v from *nv on: a stored failure or
 * inconclusive check must not turn into a pass. v has room for every row.
 */
static int stored_verdicts(struct rctx *rx, const struct verdict_row *rows, size_t n, int history,
                           int txn_history, struct bl_verdict *v, int *nv)
{
        for (size_t i = 0; i < n; i++) {
                const struct verdict_row *r = &rows[i];
                struct bl_verdict *o = &v[*nv];

                if (r->result < BL_VERDICT_INCONCLUSIVE || r->result > BL_VERDICT_PASS)
                        return fail(rx, BL_EPROTO,
                                    "%s row %zu (from 0) is malformed: result %" PRId32
                                    " (allowed: -2 inconclusive, -1 unknown, 0 fail, 1 pass)",
                                    BL_SP_VERDICTS, i, r->result);
                if (strcmp(r->name, "digests") == 0 ||
                    (history && strcmp(r->name, "linearizable") == 0) ||
                    (txn_history && (strcmp(r->name, "serializable") == 0 ||
                                     strcmp(r->name, "strict-serializable") == 0)))
                        continue;
                memset(o, 0, sizeof(*o));
                snprintf(o->name, sizeof(o->name), "%s", r->name);
                o->pass = r->result;
                snprintf(o->reason, sizeof(o->reason), "%.300s (as the run stored it)", r->reason);
                (*nv)++;
        }
        return 0;
}

/* 1 if the run stored a verdict named name. */
static int stored_has(const struct verdict_row *rows, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(rows[i].name, name) == 0)
                        return 1;
        return 0;
}

/* The anomaly found, in full: the verdict line keeps only its start. */
static void print_anomaly(FILE *out, const struct bl_ser_result *r)
{
        if (r->cycle_class >= 0) {
                size_t keep = r->cycle_len < BL_SER_MAX_CYCLE ? r->cycle_len : BL_SER_MAX_CYCLE;

                fprintf(out, "# anomaly %s cycle:", bl_ser_anomaly_name(r->cycle_class));
                for (size_t i = 0; i < keep; i++)
                        fprintf(out, " T%" PRIu64 " -%s->", r->cycle[i],
                                bl_ser_edge_name(r->cycle_edge[i]));
                if (keep < r->cycle_len)
                        fprintf(out, " (%zu more)", r->cycle_len - keep);
                fprintf(out, " T%" PRIu64 "\n", r->cycle[0]);
        }
        fprintf(out, "# serializability: %s\n", r->reason);
}

int bl_check_file(const char *path, double limit_s, FILE *out, struct bl_errbuf *eb)
{
        struct rctx rx;
        struct bl_verdict *v = NULL;
        struct verdict_row *rows = NULL;
        struct bl_ser_result *ser = NULL;
        H5E_auto2_t old_func = NULL;
        void *old_data = NULL;
        int nv = 0, rc, overall, shards = -1, replicas = -1, history = 0, txnh = 0, txn = 0;
        uint64_t records = 0;
        size_t nrows = 0;
        hid_t cfg = -1;

        H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        rc = open_file(&rx, path, eb);
        if (rc == 0)
                cfg = open_required(&rx, BL_SP_CONFIG, &rc);
        if (rc == 0)
                rc = config_u64(&rx, cfg, BL_SCFG_RECORDS, &records);
        if (rc == 0)
                rc = config_int(&rx, cfg, BL_SCFG_SHARDS, &shards);
        if (rc == 0)
                rc = config_int(&rx, cfg, BL_SCFG_REPLICAS, &replicas);
        if (rc == 0 && obj_exists(rx.file, BL_SP_VERDICTS))
                rc = read_verdicts(&rx, &rows, &nrows);
        if (rc == 0 && (v = bl_calloc(nrows + 4, sizeof(*v))) == NULL)
                rc = fail(&rx, BL_ENOMEM, "out of memory for %zu verdicts", nrows + 4);
        if (rc == 0 && (rc = recheck_digests(&rx, shards, replicas, &v[nv])) == 0)
                nv++;
        /* A transaction run's /history (experiment.history = true) holds no
         * single-key operation: linearizability is not its check. */
        txn = rc == 0 && obj_exists(rx.file, BL_SP_TXN);
        history = rc == 0 && !txn && obj_exists(rx.file, BL_SP_HISTORY);
        if (history && (rc = recheck_history(&rx, records, limit_s, &v[nv])) == 0)
                nv++;
        txnh = rc == 0 && obj_exists(rx.file, BL_SP_TXN_HISTORY);
        if (txnh && (ser = bl_calloc(1, sizeof(*ser))) == NULL)
                rc = fail(&rx, BL_ENOMEM, "out of memory for the serializability check");
        if (txnh && rc == 0)
                rc = recheck_txn_history(&rx, limit_s, ser);
        if (txnh && rc == 0) {
                bl_check_serial(ser, 0, &v[nv++]);
                /* Strict serializability trusts the run's clocks: judged
                 * again only when the run judged it. */
                if (stored_has(rows, nrows, "strict-serializable"))
                        bl_check_serial(ser, 1, &v[nv++]);
        }
        if (rc == 0)
                rc = stored_verdicts(&rx, rows, nrows, history, txnh, v, &nv);
        if (cfg >= 0)
                H5Oclose(cfg);
        /* Closed on errors too: a refused file must not leak its handle. */
        if (rx.file >= 0)
                H5Fclose(rx.file);
        H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
        bl_free(rows);
        if (rc != 0) {
                bl_free(v);
                bl_free(ser);
                return rc;
        }
        fprintf(out, "# ballot check %s\n", path);
        for (int i = 0; i < nv; i++)
                fprintf(out, "# verdict %-13s %-12s %s\n", v[i].name, bl_verdict_word(v[i].pass),
                        v[i].reason);
        if (txnh && ser->found != 0)
                print_anomaly(out, ser);
        if (txn && !txnh)
                fprintf(out, "# (no transaction history in the file: a list-append run records "
                             "one, checked for serializability)\n");
        else if (!history && !txnh)
                fprintf(out, "# (no client history in the file: run with experiment.history = "
                             "true to check linearizability again)\n");
        overall = bl_verdict_overall(v, (size_t)nv);
        bl_free(v);
        bl_free(ser);
        fprintf(out, "# verdict %-13s %s\n", "overall", bl_verdict_name(overall));
        if (overall == BL_VERDICT_FAIL)
                return bl_errf(eb, BL_ECHECK, "%s: a verdict failed", path);
        if (overall == BL_VERDICT_INCONCLUSIVE)
                return bl_errf(eb, BL_EINCONCLUSIVE, "%s: a check was inconclusive", path);
        return 0;
}

/* ---- stored configuration (--from, report --group/--compare) ------------- */

static int read_config(struct rctx *rx, struct bl_stored_config *c)
{
        struct config_row *rows = NULL;
        hid_t mt = H5Tcreate(H5T_COMPOUND, sizeof(*rows));
        int64_t nranks = -1;
        size_t n = 0;
        int rc;

        if (mt >= 0 && (add_member(mt, BL_SC_SECTION, offsetof(struct config_row, section),
                                   sizeof(rows->section), -1) < 0 ||
                        add_member(mt, BL_SC_KEY, offsetof(struct config_row, key),
                                   sizeof(rows->key), -1) < 0 ||
                        add_member(mt, BL_SC_VALUE, offsetof(struct config_row, value),
                                   sizeof(rows->value), -1) < 0)) {
                H5Tclose(mt);
                mt = -1;
        }
        rc = read_table(rx, BL_SP_CONFIG_OPTIONS, mt, sizeof(*rows), (void **)&rows, &n);
        if (mt >= 0)
                H5Tclose(mt);
        if (rc == 0)
                rc = attr_i64(rx, rx->file, "/", BL_SA_NRANKS, &nranks, 1);
        if (rc == 0)
                rc = attr_num(rx, rx->file, "/", BL_SA_SEED, H5T_NATIVE_UINT64, &c->seed, 1);
        c->rows = rows;
        if (rc == 0 && (c->entries = bl_calloc(n + 1, sizeof(*c->entries))) == NULL)
                rc = bl_errf(rx->eb, BL_ENOMEM, "%s: no memory for the configuration", rx->path);
        if (rc != 0)
                return rc;
        for (size_t i = 0; i < n; i++)
                c->entries[i] = (struct bl_cfg_entry){rows[i].section, rows[i].key, rows[i].value};
        c->n = n;
        c->nranks = (int)nranks;
        return 0;
}

int bl_results_read_config(const char *path, struct bl_stored_config *c, struct bl_errbuf *eb)
{
        struct rctx rx;
        H5E_auto2_t old_func = NULL;
        void *old_data = NULL;
        int rc;

        memset(c, 0, sizeof(*c));
        if (path == NULL)
                return bl_errf(eb, BL_EINVAL, "read config: no path");
        H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        rc = open_file(&rx, path, eb);
        if (rc == 0) {
                rc = read_config(&rx, c);
                H5Fclose(rx.file);
        }
        H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
        return rc;
}

void bl_stored_config_free(struct bl_stored_config *c)
{
        bl_free(c->entries);
        bl_free(c->rows);
        memset(c, 0, sizeof(*c));
}
