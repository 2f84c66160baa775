/* Collective writer of a run's results through parallel HDF5 (MPI-IO driver). */
#include "results/results.h"
#include "results/schema.h"
#include "results/fingerprint.h"
#include "results/txnrows.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "check/history.h"
#include "check/txnhist.h"
#include "common/alloc.h"
#include "common/events.h"
#include "common/version.h"
#include "store/cmd.h"

/*
 * How the ranks stay in step. Parallel HDF5 wants every rank to make the
 * same metadata calls (create group, dataset, attribute) with the same
 * arguments, and a collective H5Dwrite from every rank. A rank that fails
 * alone and skips a call would hang the others, so every helper that may
 * fail ends with agree(): an MPI_Allreduce of the outcome, then a broadcast
 * of the failing rank's code and message. After agree() all ranks hold the
 * same rc, so they take the same branches. The cost is one small allreduce
 * per HDF5 object (a few hundred per file), nothing next to a run.
 *
 * Shapes and attribute values come from rank 0 (broadcast once in share()),
 * so ranks never disagree about them even when the caller's copies differ.
 * Per-rank rows are placed with MPI_Exscan offsets. Dataset strings are
 * fixed-length (parallel HDF5 1.10 cannot write variable-length data);
 * attribute strings are variable-length.
 */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_COLS      16

/* Rank 0's strings, broadcast; the config, message type and op names follow. */
enum sidx {
        S_NAME,
        S_KERNEL,
        S_REPL,
        S_COMMIT,
        S_WORKLOAD,
        S_CMDLINE,
        S_START,
        S_BVER,
        S_GIT,
        S_MPI,
        S_HDF5,
        S_HWLOC,
        S_IDLE,
        S_PIN,
        S_VERDICT,
        S_FINGERPRINT,
        S_PATH_PAIRS,
        S__FIXED
};

/* Rank 0's numbers, broadcast as bytes (ranks of one job share a layout). */
struct shared {
        int64_t pid;
        uint64_t seed;
        uint64_t n_config;
        uint64_t n_msg_types;
        uint64_t n_ops; /* summary rows, "all" included */
        uint64_t n_buckets;
        uint64_t n_intervals;
        uint64_t n_verdicts;
        uint64_t n_faults;
        uint64_t n_str;
        uint64_t str_bytes;
        int32_t history;
        int32_t has_hist; /* histogram counts present */
        uint64_t ops, errors, warmup_ops, mem_max_bytes;
        uint64_t offered, unfinished, unserved, deadline_hit;
        uint64_t retries, timeouts, redirects, malformed;
        uint64_t lin_ops_checked, lin_ops_total;
        double ops_per_s, duration_s, p50_rtt, msgs_per_op, bytes_per_op;
        double offered_per_s, achieved_per_s, mpi_msgs_per_op;
        double median_rtt_ns, msg_rate_per_s, rtt_p50_ns, rtt_p90_ns, rtt_p99_ns, rtt_max_ns;
        double path_rtt_ns;
        double fsync_p50_us, fsync_p99_us, write_mbps, syncs_per_op, disk_bytes_per_op;
        double sync_mean_us;
        double interval_s;
        double all_p50_us, all_p99_us, all_p999_us;
        /* Transactions: rank 0's summary (its pointers are valid on rank 0
         * only) and which series it has. */
        struct bl_txn_summary txn;
        int32_t txn_series[3]; /* in_doubt, blocked, aborts given */
};

struct wctx {
        MPI_Comm comm;
        int rank;
        int size;
        const struct bl_run_result *r;
        struct bl_errbuf *eb; /* never NULL */
        char tmp[1100];
        hid_t file;
        hid_t dxpl;
        struct shared sh;
        char *strbuf;     /* n_str strings back to back */
        const char **str; /* [n_str] into strbuf */
        /* Rank 0 only: summary rows with "all", and their histograms. */
        struct bl_op_summary *summary;
        uint64_t *hist;
        uint64_t msg_totals[2];               /* sent count, sent bytes over all ranks */
        char fingerprint[BL_FINGERPRINT_LEN]; /* rank 0: of the config and rank count */
};

static size_t s_cfg(uint64_t i, int j)
{
        return S__FIXED + 3 * i + (size_t)j;
}

static size_t s_msg(const struct wctx *w, uint64_t i)
{
        return S__FIXED + 3 * w->sh.n_config + i;
}

static size_t s_op(const struct wctx *w, uint64_t i)
{
        return s_msg(w, w->sh.n_msg_types) + i;
}

static const char *nz(const char *s)
{
        return s != NULL ? s : "";
}

/* ---- errors ------------------------------------------------------------ */

static herr_t h5_walk_cb(unsigned n, const H5E_error2_t *e, void *arg)
{
        char *cause = arg;

        if (n == 0 && e->desc != NULL)
                snprintf(cause, 256, "%s", e->desc);
        return 0;
}

/* Record an HDF5 failure: "what: innermost HDF5 message". Returns BL_EHDF5. */
static int h5_fail(struct wctx *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int h5_fail(struct wctx *w, const char *fmt, ...)
{
        char what[256];
        char cause[256] = "";
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, h5_walk_cb, cause);
        H5Eclear2(H5E_DEFAULT);
        if (cause[0] != '\0')
                return bl_errf(w->eb, BL_EHDF5, "%s: %s", what, cause);
        return bl_errf(w->eb, BL_EHDF5, "%s", what);
}

/*
 * Make every rank agree on the outcome of a step: returns 0 if rc == 0 on
 * all ranks, else the code of the lowest failing rank, whose message is
 * copied into every rank's eb (prefixed "rank N" when it failed alone).
 */
static int agree(struct wctx *w, int rc)
{
        int v[2] = {rc != 0 ? w->rank : w->size, rc != 0 ? -w->rank : 1};
        int m[2];
        int code = rc;

        MPI_Allreduce(v, m, 2, MPI_INT, MPI_MIN, w->comm);
        if (m[0] == w->size)
                return 0;
        if (w->rank == m[0] && w->size > 1 && m[0] == -m[1])
                bl_errwrap(w->eb, rc, "rank %d", w->rank);
        MPI_Bcast(&code, 1, MPI_INT, m[0], w->comm);
        MPI_Bcast(w->eb->msg, (int)sizeof(w->eb->msg), MPI_CHAR, m[0], w->comm);
        return code;
}

/* ---- attributes ---------------------------------------------------------- */

enum akind { A_STR, A_I32, A_I64, A_U64, A_F64 };

struct attr_spec {
        const char *name;
        enum akind kind;
        const char *s;
        int64_t i;
        uint64_t u;
        double d;
};

static hid_t vlstr_type(void)
{
        hid_t t = H5Tcopy(H5T_C_S1);

        if (t < 0)
                return -1;
        if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
                H5Tclose(t);
                return -1;
        }
        return t;
}

/* Write one attribute (scalar, or a 1-D string array when n > 0) on obj,
 * named in errors as `where`. Collective; agreed. */
static int attr_write(struct wctx *w, hid_t obj, const char *where, const char *name, hid_t type,
                      hsize_t n, const void *val)
{
        hid_t sp = n > 0 ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
        hid_t a = -1;
        int rc = 0;

        if (sp < 0 || type < 0 ||
            (a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
            H5Awrite(a, type, val) < 0)
                rc = h5_fail(w, "write attribute %s of %s", name, where);
        if (a >= 0)
                H5Aclose(a);
        if (sp >= 0)
                H5Sclose(sp);
        return agree(w, rc);
}

static int attr_str(struct wctx *w, hid_t obj, const char *where, const char *name, const char *s)
{
        hid_t t = vlstr_type();
        const char *v = nz(s);
        int rc = attr_write(w, obj, where, name, t, 0, &v);

        if (t >= 0)
                H5Tclose(t);
        return rc;
}

static int attr_strv(struct wctx *w, hid_t obj, const char *where, const char *name,
                     const char *const *v, hsize_t n)
{
        hid_t t = vlstr_type();
        int rc = attr_write(w, obj, where, name, t, n, v);

        if (t >= 0)
                H5Tclose(t);
        return rc;
}

static int write_attrs(struct wctx *w, hid_t obj, const char *where, const struct attr_spec *a,
                       size_t n)
{
        int32_t i32;
        int rc = 0;

        for (size_t i = 0; i < n && rc == 0; i++) {
                switch (a[i].kind) {
                case A_STR:
                        rc = attr_str(w, obj, where, a[i].name, a[i].s);
                        break;
                case A_I32:
                        i32 = (int32_t)a[i].i;
                        rc = attr_write(w, obj, where, a[i].name, H5T_NATIVE_INT32, 0, &i32);
                        break;
                case A_I64:
                        rc = attr_write(w, obj, where, a[i].name, H5T_NATIVE_INT64, 0, &a[i].i);
                        break;
                case A_U64:
                        rc = attr_write(w, obj, where, a[i].name, H5T_NATIVE_UINT64, 0, &a[i].u);
                        break;
                case A_F64:
                        rc = attr_write(w, obj, where, a[i].name, H5T_NATIVE_DOUBLE, 0, &a[i].d);
                        break;
                }
        }
        return rc;
}

/* ---- groups and datasets ------------------------------------------------- */

/* Create a group and write its attributes. Collective; agreed. */
static int make_group(struct wctx *w, const char *path, const struct attr_spec *a, size_t n)
{
        hid_t g = H5Gcreate2(w->file, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        int rc = 0;

        if (g < 0)
                rc = h5_fail(w, "create group %s", path);
        rc = agree(w, rc);
        if (rc == 0)
                rc = write_attrs(w, g, path, a, n);
        if (g >= 0)
                H5Gclose(g);
        return rc;
}

/*
 * Create dataset `path` of `type` with dims (ndims 1 or 2) and write rows
 * [off, off + n) of dimension 0 from buf, in one collective write (n may be
 * 0 on some ranks), then its description. Collective; agreed.
 */
static int write_dataset(struct wctx *w, const char *path, hid_t type, int ndims,
                         const hsize_t *dims, hsize_t off, hsize_t n, const void *buf,
                         const char *desc)
{
        hsize_t start[2] = {off, 0};
        hsize_t count[2] = {n, ndims > 1 ? dims[1] : 1};
        hsize_t one[2] = {1, 1};
        hid_t fs = H5Screate_simple(ndims, dims, NULL);
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        hid_t ms = -1, d = -1;
        char dummy = 0;
        int rc = 0;

        if (fs < 0 || dcpl < 0 || H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) < 0)
                rc = h5_fail(w, "prepare dataset %s", path);
        else if ((d = H5Dcreate2(w->file, path, type, fs, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0)
                rc = h5_fail(w, "create dataset %s", path);
        rc = agree(w, rc);
        if (rc == 0 && dims[0] > 0 && (ndims < 2 || dims[1] > 0)) {
                herr_t e;

                if (n > 0) {
                        e = H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
                        ms = H5Screate_simple(ndims, count, NULL);
                } else {
                        e = H5Sselect_none(fs);
                        ms = H5Screate_simple(ndims, one, NULL);
                        if (ms >= 0 && H5Sselect_none(ms) < 0)
                                e = -1;
                        buf = &dummy;
                }
                if (e < 0 || ms < 0 || H5Dwrite(d, type, ms, fs, w->dxpl, buf) < 0)
                        rc = h5_fail(w, "write dataset %s", path);
                rc = agree(w, rc);
        }
        if (rc == 0 && desc != NULL)
                rc = attr_str(w, d, path, BL_SA_DESCRIPTION, desc);
        if (d >= 0)
                H5Dclose(d);
        if (ms >= 0)
                H5Sclose(ms);
        if (dcpl >= 0)
                H5Pclose(dcpl);
        if (fs >= 0)
                H5Sclose(fs);
        return rc;
}

/* Rows of a concatenated dataset: the total and this rank's offset. With
 * root_only, rank 0's count is the total and the others write nothing. */
static void row_offsets(struct wctx *w, uint64_t *nlocal, int root_only, uint64_t *total,
                        uint64_t *off)
{
        uint64_t n = *nlocal;

        if (root_only) {
                if (w->rank != 0)
                        n = 0;
                *total = n;
                MPI_Bcast(total, 1, MPI_UINT64_T, 0, w->comm);
                *off = 0;
        } else {
                *off = 0;
                MPI_Exscan(&n, off, 1, MPI_UINT64_T, MPI_SUM, w->comm);
                if (w->rank == 0)
                        *off = 0;
                MPI_Allreduce(&n, total, 1, MPI_UINT64_T, MPI_SUM, w->comm);
        }
        *nlocal = n;
}

/* A fixed-length string type of size bytes (null-terminated, UTF-8). */
static hid_t fixstr_type(size_t size)
{
        hid_t t = H5Tcopy(H5T_C_S1);

        if (t < 0)
                return -1;
        if (H5Tset_size(t, size) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
            H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
                H5Tclose(t);
                return -1;
        }
        return t;
}

/* Longest string + 1 over every rank (at least 2, so empty tables are valid)
 * of the n strings at base + off + i * stride (const char * fields). */
static uint64_t agreed_strsize(struct wctx *w, const void *base, size_t off, size_t stride,
                               uint64_t n)
{
        uint64_t mine = 2, all;

        for (uint64_t i = 0; i < n; i++) {
                const char *v;
                size_t len;

                memcpy(&v, (const char *)base + off + i * stride, sizeof(v));
                len = strlen(nz(v)) + 1;

                if (len > mine)
                        mine = len;
        }
        MPI_Allreduce(&mine, &all, 1, MPI_UINT64_T, MPI_MAX, w->comm);
        return all;
}

/* 1-D dataset of fixed-length strings: n strings from this rank (see row_offsets). */
static int write_strings(struct wctx *w, const char *path, const char *const *s, uint64_t n,
                         int root_only, const char *desc)
{
        uint64_t total, off, size;
        hid_t t;
        char *buf = NULL;
        int rc = 0;

        row_offsets(w, &n, root_only, &total, &off);
        size = agreed_strsize(w, s, 0, sizeof(*s), n);
        t = fixstr_type(size);
        if (t < 0)
                rc = h5_fail(w, "string type for %s", path);
        if (rc == 0 && n > 0 && (buf = bl_calloc(n, size)) == NULL)
                rc = bl_errf(w->eb, BL_ENOMEM, "no memory for %s", path);
        for (uint64_t i = 0; rc == 0 && i < n; i++)
                memcpy(buf + i * size, nz(s[i]), strlen(nz(s[i])));
        rc = agree(w, rc);
        if (rc == 0) {
                hsize_t dims[1] = {total};

                rc = write_dataset(w, path, t, 1, dims, off, n, buf, desc);
        }
        bl_free(buf);
        if (t >= 0)
                H5Tclose(t);
        return rc;
}

/* Dataset [nranks][ncols] of a native numeric type; each rank writes its row. */
static int write_rank_rows(struct wctx *w, const char *path, hid_t type, const void *row,
                           uint64_t ncols, const char *desc)
{
        hsize_t dims[2] = {(hsize_t)w->size, ncols};

        return write_dataset(w, path, type, 2, dims, (hsize_t)w->rank, 1, row, desc);
}

/* 1-D dataset [n] of a native type, written by rank 0 (data ignored elsewhere). */
static int write_root_array(struct wctx *w, const char *path, hid_t type, uint64_t n,
                            const void *data, const char *desc)
{
        hsize_t dims[1] = {n};

        return write_dataset(w, path, type, 1, dims, 0, w->rank == 0 ? n : 0, data, desc);
}

/* ---- compound tables --------------------------------------------------- */

enum ckind { C_I32, C_U32, C_I64, C_U64, C_F64, C_STR, C_ENUM, C_RANK };

/* A column: name, kind, offset of the source field in the caller's row
 * struct (C_STR: a const char *; C_ENUM: an int32_t; C_RANK: none, the
 * writing rank is stored), and for C_ENUM the builder of its enum type. */
struct col {
        const char *name;
        enum ckind kind;
        size_t off;
        hid_t (*make_enum)(void);
};

static size_t ckind_size(enum ckind k)
{
        switch (k) {
        case C_I32:
        case C_U32:
        case C_ENUM:
        case C_RANK:
                return 4;
        case C_STR:
                return 0;
        default:
                return 8;
        }
}

static hid_t ckind_type(enum ckind k)
{
        switch (k) {
        case C_I32:
        case C_RANK:
                return H5T_NATIVE_INT32;
        case C_U32:
                return H5T_NATIVE_UINT32;
        case C_I64:
                return H5T_NATIVE_INT64;
        case C_U64:
                return H5T_NATIVE_UINT64;
        default:
                return H5T_NATIVE_DOUBLE;
        }
}

/* The packed compound type of a table; strsz gives each string column's size. */
static hid_t table_type(const struct col *cols, int ncols, const uint64_t *strsz, size_t *moff,
                        size_t *rowsz)
{
        size_t size = 0;
        hid_t t, m;
        int ok = 1;

        for (int c = 0; c < ncols; c++) {
                moff[c] = size;
                size += cols[c].kind == C_STR ? strsz[c] : ckind_size(cols[c].kind);
        }
        *rowsz = size;
        t = H5Tcreate(H5T_COMPOUND, size);
        if (t < 0)
                return -1;
        for (int c = 0; c < ncols && ok; c++) {
                if (cols[c].kind == C_STR)
                        m = fixstr_type(strsz[c]);
                else if (cols[c].kind == C_ENUM)
                        m = cols[c].make_enum();
                else
                        m = H5Tcopy(ckind_type(cols[c].kind));
                ok = m >= 0 && H5Tinsert(t, cols[c].name, moff[c], m) >= 0;
                if (m >= 0)
                        H5Tclose(m);
        }
        if (!ok) {
                H5Tclose(t);
                return -1;
        }
        return t;
}

static void pack_row(const struct wctx *w, const struct col *cols, int ncols, const size_t *moff,
                     const char *src, unsigned char *dst)
{
        for (int c = 0; c < ncols; c++) {
                const char *s;
                int32_t rank = w->rank;

                switch (cols[c].kind) {
                case C_STR:
                        memcpy(&s, src + cols[c].off, sizeof(s));
                        s = nz(s);
                        memcpy(dst + moff[c], s, strlen(s));
                        break;
                case C_RANK:
                        memcpy(dst + moff[c], &rank, 4);
                        break;
                default:
                        memcpy(dst + moff[c], src + cols[c].off, ckind_size(cols[c].kind));
                        break;
                }
        }
}

/* A 1-D compound dataset of n rows (stride bytes apart in rows) from this
 * rank, concatenated over ranks, or rank 0's rows only. Collective; agreed. */
static int write_table(struct wctx *w, const char *path, const struct col *cols, int ncols,
                       const void *rows, size_t stride, uint64_t n, int root_only, const char *desc)
{
        uint64_t strsz[MAX_COLS] = {0};
        size_t moff[MAX_COLS];
        uint64_t total, off;
        size_t rowsz = 0;
        unsigned char *buf = NULL;
        hid_t t;
        int rc = 0;

        row_offsets(w, &n, root_only, &total, &off);
        for (int c = 0; c < ncols; c++)
                if (cols[c].kind == C_STR)
                        strsz[c] = agreed_strsize(w, rows, cols[c].off, stride, n);
        t = table_type(cols, ncols, strsz, moff, &rowsz);
        if (t < 0)
                rc = h5_fail(w, "compound type for %s", path);
        if (rc == 0 && n > 0 && (buf = bl_calloc(n, rowsz)) == NULL)
                rc = bl_errf(w->eb, BL_ENOMEM, "no memory for %s (%" PRIu64 " rows)", path, n);
        for (uint64_t i = 0; rc == 0 && i < n; i++)
                pack_row(w, cols, ncols, moff, (const char *)rows + i * stride, buf + i * rowsz);
        rc = agree(w, rc);
        if (rc == 0) {
                hsize_t dims[1] = {total};

                rc = write_dataset(w, path, t, 1, dims, off, n, buf, desc);
        }
        bl_free(buf);
        if (t >= 0)
                H5Tclose(t);
        return rc;
}

/* ---- enum types ---------------------------------------------------------- */

static hid_t make_enum(const char *const *names, const int32_t *values, int n)
{
        hid_t t = H5Tenum_create(H5T_NATIVE_INT32);

        for (int i = 0; t >= 0 && i < n; i++) {
                if (H5Tenum_insert(t, names[i], &values[i]) < 0) {
                        H5Tclose(t);
                        return -1;
                }
        }
        return t;
}

static hid_t enum_event_type(void)
{
        const char *names[BL_EV__COUNT];
        int32_t values[BL_EV__COUNT];

        for (int i = 0; i < BL_EV__COUNT; i++) {
                names[i] = bl_event_name(i);
                values[i] = i;
        }
        return make_enum(names, values, BL_EV__COUNT);
}

static hid_t enum_op(void)
{
        const char *names[BL_OP__COUNT];
        int32_t values[BL_OP__COUNT];

        for (int i = 0; i < BL_OP__COUNT; i++) {
                names[i] = bl_op_name(i);
                values[i] = i;
        }
        return make_enum(names, values, BL_OP__COUNT);
}

static hid_t enum_outcome(void)
{
        static const char *const names[] = {"ok", "fail", "unknown"};
        static const int32_t values[] = {BL_OUT_OK, BL_OUT_FAIL, BL_OUT_UNKNOWN};

        return make_enum(names, values, 3);
}

static hid_t enum_verdict(void)
{
        static const char *const names[] = {"fail", "pass", "unknown", "inconclusive"};
        static const int32_t values[] = {BL_VERDICT_FAIL, BL_VERDICT_PASS, BL_VERDICT_UNKNOWN,
                                         BL_VERDICT_INCONCLUSIVE};

        return make_enum(names, values, (int)ARRAY_SIZE(values));
}

/* ---- preparation (before the file exists) -------------------------------- */

/* The p-th percentile in us of a histogram row by nearest rank, reported as
 * its bucket's midpoint, clamped to max_us when that is known. */
static double hist_pct_us(const uint64_t *c, const uint64_t *low, const uint64_t *high, uint64_t nb,
                          double q, double max_us)
{
        uint64_t total = 0, cum = 0, want;
        double v;

        for (uint64_t i = 0; i < nb; i++)
                total += c[i];
        if (total == 0)
                return 0;
        want = (uint64_t)ceil(q / 100.0 * (double)total - 1e-9);
        if (want < 1)
                want = 1;
        if (want > total)
                want = total;
        for (uint64_t i = 0; i < nb; i++) {
                cum += c[i];
                if (cum >= want) {
                        v = ((double)low[i] + (double)high[i] - 1) / 2.0 / 1000.0;
                        return max_us > 0 && v > max_us ? max_us : v;
                }
        }
        return 0;
}

/* Rank 0: copy the summary rows and histograms, appending "all" if missing. */
static int prepare_summary(struct wctx *w)
{
        const struct bl_run_global *g = &w->r->global;
        uint64_t n = g->n_ops, nb = g->n_buckets, rows;
        int has_all = 0;
        size_t iall = n;

        for (size_t i = 0; i < n; i++)
                if (strcmp(nz(g->summary[i].op), BL_SUMMARY_ALL) == 0) {
                        has_all = 1;
                        iall = i;
                }
        rows = n + !has_all;
        w->summary = bl_calloc(rows, sizeof(*w->summary));
        w->hist = nb > 0 ? bl_calloc(rows * nb, sizeof(*w->hist)) : NULL;
        if (w->summary == NULL || (nb > 0 && w->hist == NULL))
                return bl_errf(w->eb, BL_ENOMEM, "no memory for the summary");
        if (n > 0)
                memcpy(w->summary, g->summary, n * sizeof(*w->summary));
        if (nb > 0 && g->hist_counts != NULL)
                memcpy(w->hist, g->hist_counts, n * nb * sizeof(*w->hist));
        if (!has_all) {
                struct bl_op_summary *a = &w->summary[n];
                uint64_t *ha = w->hist != NULL ? w->hist + n * nb : NULL;
                double wsum = 0;

                a->op = BL_SUMMARY_ALL;
                for (size_t i = 0; i < n; i++) {
                        a->count += g->summary[i].count;
                        a->errors += g->summary[i].errors;
                        a->unfinished += g->summary[i].unfinished;
                        wsum += (double)g->summary[i].count * g->summary[i].mean_us;
                        if (g->summary[i].max_us > a->max_us)
                                a->max_us = g->summary[i].max_us;
                        for (uint64_t b = 0; ha != NULL && b < nb; b++)
                                ha[b] += w->hist[i * nb + b];
                }
                a->mean_us = a->count > 0 ? wsum / (double)a->count : 0;
                if (ha != NULL && g->bucket_low_ns != NULL && g->bucket_high_ns != NULL) {
                        const uint64_t *lo = g->bucket_low_ns, *hi = g->bucket_high_ns;

                        a->p50_us = hist_pct_us(ha, lo, hi, nb, 50, a->max_us);
                        a->p90_us = hist_pct_us(ha, lo, hi, nb, 90, a->max_us);
                        a->p99_us = hist_pct_us(ha, lo, hi, nb, 99, a->max_us);
                        a->p999_us = hist_pct_us(ha, lo, hi, nb, 99.9, a->max_us);
                }
        }
        w->sh.n_ops = rows;
        w->sh.all_p50_us = w->summary[iall].p50_us;
        w->sh.all_p99_us = w->summary[iall].p99_us;
        w->sh.all_p999_us = w->summary[iall].p999_us;
        return 0;
}

/* Rank 0: fill the shared numbers and pack the shared strings. */
static int prepare_root(struct wctx *w, char **packed)
{
        const struct bl_provenance *p = &w->r->prov;
        const struct bl_run_global *g = &w->r->global;
        struct shared *sh = &w->sh;
        char mpi_ver[MPI_MAX_LIBRARY_VERSION_STRING + 1] = "";
        char h5_ver[64];
        const char **src;
        unsigned maj, min, rel;
        size_t n, len;
        int mpi_len = 0;
        char *pos;
        int rc;

        rc = prepare_summary(w);
        if (rc != 0)
                return rc;
        sh->pid = (int64_t)getpid();
        sh->seed = p->seed;
        sh->n_config = p->n_config;
        sh->n_msg_types = w->r->local.n_msg_types;
        sh->n_buckets = g->n_buckets;
        sh->has_hist = g->hist_counts != NULL;
        sh->n_intervals = g->n_intervals;
        sh->n_verdicts = g->n_verdicts;
        sh->n_faults = g->n_faults;
        sh->history = p->history != 0;
        sh->ops = g->ops;
        sh->errors = g->errors;
        sh->warmup_ops = g->warmup_ops;
        sh->mem_max_bytes = g->mem_max_bytes;
        sh->retries = g->retries;
        sh->timeouts = g->timeouts;
        sh->redirects = g->redirects;
        sh->malformed = g->malformed;
        sh->lin_ops_checked = g->lin_ops_checked;
        sh->lin_ops_total = g->lin_ops_total;
        sh->ops_per_s = g->ops_per_s;
        sh->duration_s = g->duration_s;
        sh->p50_rtt = g->p50_rtt;
        sh->msgs_per_op = g->msgs_per_op;
        sh->offered = g->offered;
        sh->unfinished = g->unfinished;
        sh->unserved = g->unserved;
        sh->deadline_hit = (uint64_t)(g->deadline_hit != 0);
        sh->offered_per_s = g->offered_per_s;
        sh->achieved_per_s = g->achieved_per_s;
        sh->mpi_msgs_per_op = g->mpi_msgs_per_op;
        sh->bytes_per_op = g->bytes_per_op;
        sh->fsync_p50_us = g->fsync_p50_us;
        sh->fsync_p99_us = g->fsync_p99_us;
        sh->write_mbps = g->write_mbps;
        sh->syncs_per_op = g->syncs_per_op;
        sh->disk_bytes_per_op = g->disk_bytes_per_op;
        sh->sync_mean_us = g->sync_mean_us;
        sh->median_rtt_ns = g->median_rtt_ns;
        sh->msg_rate_per_s = g->msg_rate_per_s;
        sh->rtt_p50_ns = g->rtt_p50_ns;
        sh->rtt_p90_ns = g->rtt_p90_ns;
        sh->rtt_p99_ns = g->rtt_p99_ns;
        sh->rtt_max_ns = g->rtt_max_ns;
        sh->path_rtt_ns = g->path_rtt_ns;
        sh->interval_s = g->interval_s;
        sh->txn = g->txn;
        sh->txn.present = g->txn.present != 0;
        sh->txn_series[0] = g->txn.ts_in_doubt != NULL;
        sh->txn_series[1] = g->txn.ts_blocked != NULL;
        sh->txn_series[2] = g->txn.ts_aborts != NULL;

        if (p->mpi_version == NULL) {
                MPI_Get_library_version(mpi_ver, &mpi_len);
                while (mpi_len > 0 && (mpi_ver[mpi_len - 1] == '\n' || mpi_ver[mpi_len - 1] == ' '))
                        mpi_ver[--mpi_len] = '\0';
        }
        H5get_libversion(&maj, &min, &rel);
        snprintf(h5_ver, sizeof(h5_ver), "%u.%u.%u", maj, min, rel);

        sh->n_str = S__FIXED + 3 * sh->n_config + sh->n_msg_types + sh->n_ops;
        src = bl_calloc(sh->n_str, sizeof(*src));
        if (src == NULL)
                return bl_errf(w->eb, BL_ENOMEM, "no memory for the provenance");
        src[S_NAME] = p->name;
        src[S_KERNEL] = p->kernel;
        src[S_REPL] = p->repl_kernel;
        src[S_COMMIT] = p->commit_kernel;
        src[S_WORKLOAD] = p->workload;
        src[S_CMDLINE] = p->command_line;
        src[S_START] = p->start_time;
        src[S_BVER] = p->ballot_version != NULL ? p->ballot_version : bl_version();
        src[S_GIT] = p->git_revision != NULL ? p->git_revision : bl_git_revision();
        src[S_MPI] = p->mpi_version != NULL ? p->mpi_version : mpi_ver;
        src[S_HDF5] = p->hdf5_version != NULL ? p->hdf5_version : h5_ver;
        src[S_HWLOC] = p->hwloc_version;
        src[S_IDLE] = p->idle_policy;
        src[S_PIN] = p->pinning_policy;
        src[S_VERDICT] = g->verdict != NULL ? g->verdict : bl_verdict_name(BL_VERDICT_UNKNOWN);
        bl_fingerprint_hex(bl_fingerprint(p->config, p->n_config, w->size, NULL), w->fingerprint);
        src[S_FINGERPRINT] = w->fingerprint;
        src[S_PATH_PAIRS] = g->path_pairs != NULL ? g->path_pairs : "";
        for (uint64_t i = 0; i < sh->n_config; i++) {
                src[s_cfg(i, 0)] = p->config[i].section;
                src[s_cfg(i, 1)] = p->config[i].key;
                src[s_cfg(i, 2)] = p->config[i].value;
        }
        for (uint64_t i = 0; i < sh->n_msg_types; i++)
                src[s_msg(w, i)] = w->r->local.msg_type_names[i];
        for (uint64_t i = 0; i < sh->n_ops; i++)
                src[s_op(w, i)] = w->summary[i].op;

        n = 0;
        for (uint64_t i = 0; i < sh->n_str; i++)
                n += strlen(nz(src[i])) + 1;
        sh->str_bytes = n;
        *packed = bl_malloc(n);
        if (*packed == NULL) {
                bl_free(src);
                return bl_errf(w->eb, BL_ENOMEM, "no memory for the provenance");
        }
        pos = *packed;
        for (uint64_t i = 0; i < sh->n_str; i++) {
                len = strlen(nz(src[i])) + 1;
                memcpy(pos, nz(src[i]), len);
                pos += len;
        }
        bl_free(src);
        return 0;
}

static int check_array(struct wctx *w, const void *p, uint64_t n, const char *what)
{
        if (n > 0 && p == NULL)
                return bl_errf(w->eb, BL_EINVAL, "%s is NULL but its count is %" PRIu64, what, n);
        return 0;
}

/* The writer rebases a transaction history's indexes: they must be in range. */
static int validate_txn_history(struct wctx *w, const struct bl_txn_history *h)
{
        if ((h->n > 0 && h->txns == NULL) || (h->nmops > 0 && h->mops == NULL) ||
            (h->nvals > 0 && h->vals == NULL))
                return bl_errf(w->eb, BL_EINVAL, "txn_history: an array is NULL but not empty");
        for (size_t i = 0; i < h->n; i++) {
                const struct bl_txn *t = &h->txns[i];

                if (t->first > h->nmops || t->nmops > h->nmops - t->first)
                        return bl_errf(w->eb, BL_EINVAL,
                                       "txn_history: transaction %zu (id %" PRIu64
                                       ") has micro-ops [%zu, +%" PRIu32 ") beyond the %zu stored",
                                       i, t->id, t->first, t->nmops, h->nmops);
                if (t->outcome > BL_OUT_UNKNOWN || t->invoke_ns > INT64_MAX ||
                    (t->outcome != BL_OUT_UNKNOWN && t->complete_ns > INT64_MAX))
                        return bl_errf(w->eb, BL_EINVAL,
                                       "txn_history: transaction %zu (id %" PRIu64
                                       ") has outcome %u or times out of range",
                                       i, t->id, (unsigned)t->outcome);
        }
        for (size_t i = 0; i < h->nmops; i++) {
                const struct bl_mop *m = &h->mops[i];

                if (m->kind != BL_MOP_APPEND && m->kind != BL_MOP_READ)
                        return bl_errf(w->eb, BL_EINVAL, "txn_history: micro-op %zu has kind %u", i,
                                       (unsigned)m->kind);
                if (m->kind == BL_MOP_READ && (m->off > h->nvals || m->len > h->nvals - m->off))
                        return bl_errf(w->eb, BL_EINVAL,
                                       "txn_history: micro-op %zu reads values [%zu, +%" PRIu32
                                       ") beyond the %zu stored",
                                       i, m->off, m->len, h->nvals);
        }
        return 0;
}

/* Local checks of the caller's arrays (rank 0 also checks the global part). */
static int validate(struct wctx *w)
{
        const struct bl_run_local *l = &w->r->local;
        const struct bl_run_global *g = &w->r->global;
        const struct bl_provenance *p = &w->r->prov;
        int rc = 0;

        if (rc == 0)
                rc = check_array(w, l->sent_count, l->n_msg_types, "sent_count");
        if (rc == 0)
                rc = check_array(w, l->sent_bytes, l->n_msg_types, "sent_bytes");
        if (rc == 0)
                rc = check_array(w, l->recv_count, l->n_msg_types, "recv_count");
        if (rc == 0)
                rc = check_array(w, l->recv_bytes, l->n_msg_types, "recv_bytes");
        if (rc == 0)
                rc = check_array(w, l->replicas, l->n_replicas, "replicas");
        if (rc == 0)
                rc = check_array(w, l->digests, l->n_digests, "digests");
        if (rc == 0)
                rc = check_array(w, l->events, l->n_events, "events");
        if (rc == 0 && p->history)
                rc = check_array(w, l->history, l->n_history, "history");
        if (rc == 0)
                rc = check_array(w, l->blocks, l->n_blocks, "blocks");
        if (rc == 0 && l->txn_history != NULL)
                rc = validate_txn_history(w, l->txn_history);
        if (rc != 0 || w->rank != 0)
                return rc;
        if (g->txn.present)
                rc = check_array(w, g->txn.classes, g->txn.n_classes, "txn.classes");
        rc = check_array(w, l->msg_type_names, l->n_msg_types, "msg_type_names");
        if (rc == 0)
                rc = check_array(w, p->config, p->n_config, "config");
        if (rc == 0)
                rc = check_array(w, g->summary, g->n_ops, "summary");
        if (rc == 0 && g->hist_counts != NULL)
                rc = check_array(w, g->bucket_low_ns, g->n_buckets, "bucket_low_ns");
        if (rc == 0 && g->hist_counts != NULL)
                rc = check_array(w, g->bucket_high_ns, g->n_buckets, "bucket_high_ns");
        if (rc == 0)
                rc = check_array(w, g->ts_t_s, g->n_intervals, "ts_t_s");
        if (rc == 0)
                rc = check_array(w, g->ts_ops, g->n_intervals, "ts_ops");
        if (rc == 0)
                rc = check_array(w, g->ts_errors, g->n_intervals, "ts_errors");
        if (rc == 0)
                rc = check_array(w, g->ts_p99_us, g->n_intervals, "ts_p99_us");
        if (rc == 0)
                rc = check_array(w, g->verdicts, g->n_verdicts, "verdicts");
        if (rc == 0)
                rc = check_array(w, g->faults, g->n_faults, "faults");
        return rc;
}

/* Broadcast rank 0's numbers and strings; check the per-rank counts agree. */
static int share(struct wctx *w)
{
        const struct bl_run_local *l = &w->r->local;
        uint64_t mm[2] = {l->n_msg_types, UINT64_MAX - l->n_msg_types}, res[2];
        uint64_t sums[2] = {0, 0};
        char *packed = NULL;
        const char *pos;
        int rc = 0;

        if (w->rank == 0)
                rc = prepare_root(w, &packed);
        rc = agree(w, rc);
        if (rc != 0)
                return rc;
        MPI_Bcast(&w->sh, (int)sizeof(w->sh), MPI_BYTE, 0, w->comm);
        if (w->rank == 0)
                w->strbuf = packed;
        else if ((w->strbuf = bl_malloc(w->sh.str_bytes)) == NULL)
                rc = bl_errf(w->eb, BL_ENOMEM, "no memory for the provenance");
        rc = agree(w, rc);
        if (rc != 0)
                return rc;
        MPI_Bcast(w->strbuf, (int)w->sh.str_bytes, MPI_CHAR, 0, w->comm);
        w->str = bl_calloc(w->sh.n_str, sizeof(*w->str));
        if (w->str == NULL)
                rc = bl_errf(w->eb, BL_ENOMEM, "no memory for the provenance");
        pos = w->strbuf;
        for (uint64_t i = 0; rc == 0 && i < w->sh.n_str; i++) {
                w->str[i] = pos;
                pos += strlen(pos) + 1;
        }
        rc = agree(w, rc);
        if (rc != 0)
                return rc;

        MPI_Allreduce(mm, res, 2, MPI_UINT64_T, MPI_MIN, w->comm);
        if (res[0] != UINT64_MAX - res[1])
                return bl_errf(w->eb, BL_EINVAL,
                               "the number of message types differs across ranks (%" PRIu64
                               " to %" PRIu64 ")",
                               res[0], UINT64_MAX - res[1]);
        for (uint64_t i = 0; i < l->n_msg_types; i++) {
                sums[0] += l->sent_count[i];
                sums[1] += l->sent_bytes[i];
        }
        MPI_Allreduce(sums, w->msg_totals, 2, MPI_UINT64_T, MPI_SUM, w->comm);
        return 0;
}

/* ---- the file, one step per group ----------------------------------------- */

static int step_root(struct wctx *w)
{
        const struct attr_spec a[] = {
            {.name = BL_SA_FORMAT, .kind = A_STR, .s = BL_SCHEMA_FORMAT},
            {.name = BL_SA_SCHEMA_VERSION, .kind = A_I32, .i = BL_SCHEMA_VERSION},
            {.name = BL_SA_LAYOUT, .kind = A_STR, .s = BL_SCHEMA_LAYOUT},
            {.name = BL_SA_BALLOT_VERSION, .kind = A_STR, .s = w->str[S_BVER]},
            {.name = BL_SA_GIT_REVISION, .kind = A_STR, .s = w->str[S_GIT]},
            {.name = BL_SA_NAME, .kind = A_STR, .s = w->str[S_NAME]},
            {.name = BL_SA_KERNEL, .kind = A_STR, .s = w->str[S_KERNEL]},
            {.name = BL_SA_REPL_KERNEL, .kind = A_STR, .s = w->str[S_REPL]},
            {.name = BL_SA_COMMIT_KERNEL, .kind = A_STR, .s = w->str[S_COMMIT]},
            {.name = BL_SA_WORKLOAD, .kind = A_STR, .s = w->str[S_WORKLOAD]},
            {.name = BL_SA_NRANKS, .kind = A_I32, .i = w->size},
            {.name = BL_SA_SEED, .kind = A_U64, .u = w->sh.seed},
            {.name = BL_SA_START_TIME, .kind = A_STR, .s = w->str[S_START]},
            {.name = BL_SA_VERDICT, .kind = A_STR, .s = w->str[S_VERDICT]},
            {.name = BL_SA_FINGERPRINT, .kind = A_STR, .s = w->str[S_FINGERPRINT]},
            {.name = BL_SA_OPS_PER_S, .kind = A_F64, .d = w->sh.ops_per_s},
            {.name = BL_SA_P50_US, .kind = A_F64, .d = w->sh.all_p50_us},
            {.name = BL_SA_P99_US, .kind = A_F64, .d = w->sh.all_p99_us},
            {.name = BL_SA_P999_US, .kind = A_F64, .d = w->sh.all_p999_us},
            {.name = BL_SA_MEDIAN_RTT_NS, .kind = A_F64, .d = w->sh.median_rtt_ns},
        };

        return write_attrs(w, w->file, "/", a, ARRAY_SIZE(a));
}

static int step_provenance(struct wctx *w)
{
        const struct attr_spec a[] = {
            {.name = BL_SA_COMMAND_LINE, .kind = A_STR, .s = w->str[S_CMDLINE]},
            {.name = BL_SA_MPI_VERSION, .kind = A_STR, .s = w->str[S_MPI]},
            {.name = BL_SA_HDF5_VERSION, .kind = A_STR, .s = w->str[S_HDF5]},
            {.name = BL_SA_HWLOC_VERSION, .kind = A_STR, .s = w->str[S_HWLOC]},
            {.name = BL_SA_IDLE_POLICY, .kind = A_STR, .s = w->str[S_IDLE]},
            {.name = BL_SA_PINNING_POLICY, .kind = A_STR, .s = w->str[S_PIN]},
            {.name = BL_SA_HISTORY, .kind = A_I32, .i = w->sh.history},
        };
        const char *host = nz(w->r->local.hostname);
        int rc = make_group(w, BL_SP_PROVENANCE, a, ARRAY_SIZE(a));

        if (rc == 0)
                rc = write_strings(w, BL_SP_HOSTNAMES, &host, 1, 0,
                                   "host name of each rank, row = rank");
        return rc;
}

static int step_config(struct wctx *w)
{
        static const struct col cols[] = {
            {BL_SC_SECTION, C_STR, offsetof(struct bl_cfg_entry, section), NULL},
            {BL_SC_KEY, C_STR, offsetof(struct bl_cfg_entry, key), NULL},
            {BL_SC_VALUE, C_STR, offsetof(struct bl_cfg_entry, value), NULL},
        };
        hid_t g;
        int rc = make_group(w, BL_SP_CONFIG, NULL, 0);

        if (rc != 0)
                return rc;
        g = H5Gopen2(w->file, BL_SP_CONFIG, H5P_DEFAULT);
        rc = agree(w, g < 0 ? h5_fail(w, "open group %s", BL_SP_CONFIG) : 0);
        for (uint64_t i = 0; rc == 0 && i < w->sh.n_config; i++) {
                char name[256];
                int len =
                    snprintf(name, sizeof(name), "%s.%s", w->str[s_cfg(i, 0)], w->str[s_cfg(i, 1)]);

                if (len < 0 || (size_t)len >= sizeof(name))
                        rc = bl_errf(w->eb, BL_EINVAL, "config option name too long: %s",
                                     w->str[s_cfg(i, 1)]);
                else
                        rc = attr_str(w, g, BL_SP_CONFIG, name, w->str[s_cfg(i, 2)]);
        }
        if (g >= 0)
                H5Gclose(g);
        if (rc == 0)
                rc = write_table(w, BL_SP_CONFIG_OPTIONS, cols, ARRAY_SIZE(cols), w->r->prov.config,
                                 sizeof(struct bl_cfg_entry), w->sh.n_config, 1,
                                 "resolved configuration, one row per option, in table order");
        return rc;
}

struct topo_row {
        int32_t rank;
        const char *hostname;
        const char *cpuset;
        int32_t numa_node;
        int32_t package;
        const char *cores;
        int64_t clock_offset_ns;
        uint64_t clock_error_ns;
        int64_t clock_offset_end_ns;
        double clock_drift_ppm;
};

static int step_topology(struct wctx *w)
{
        static const struct col cols[] = {
            {BL_SC_RANK, C_I32, offsetof(struct topo_row, rank), NULL},
            {BL_SC_HOSTNAME, C_STR, offsetof(struct topo_row, hostname), NULL},
            {BL_SC_CPUSET, C_STR, offsetof(struct topo_row, cpuset), NULL},
            {BL_SC_NUMA_NODE, C_I32, offsetof(struct topo_row, numa_node), NULL},
            {BL_SC_PACKAGE, C_I32, offsetof(struct topo_row, package), NULL},
            {BL_SC_CORES, C_STR, offsetof(struct topo_row, cores), NULL},
            {BL_SC_CLOCK_OFFSET_NS, C_I64, offsetof(struct topo_row, clock_offset_ns), NULL},
            {BL_SC_CLOCK_ERROR_NS, C_U64, offsetof(struct topo_row, clock_error_ns), NULL},
            {BL_SC_CLOCK_OFFSET_END_NS, C_I64, offsetof(struct topo_row, clock_offset_end_ns),
             NULL},
            {BL_SC_CLOCK_DRIFT_PPM, C_F64, offsetof(struct topo_row, clock_drift_ppm), NULL},
        };
        const struct bl_run_local *l = &w->r->local;
        struct topo_row row = {
            .rank = w->rank,
            .hostname = l->hostname,
            .cpuset = l->binding.cpuset,
            .numa_node = l->binding.numa_node,
            .package = l->binding.package,
            .cores = l->binding.cores,
            .clock_offset_ns = l->clock_offset_ns,
            .clock_error_ns = l->clock_error_ns,
            .clock_offset_end_ns = l->clock_offset_end_ns,
            .clock_drift_ppm = l->clock_drift_ppm,
        };
        int rc = make_group(w, BL_SP_TOPOLOGY, NULL, 0);

        if (rc == 0)
                rc = write_table(w, BL_SP_TOPOLOGY_RANKS, cols, ARRAY_SIZE(cols), &row, sizeof(row),
                                 1, 0,
                                 "binding of each rank as applied (row = rank; unknown: \"\" "
                                 "or -1); clock_offset_ns: rank 0's clock minus this rank's "
                                 "(add it to this rank's times), estimated before the run; "
                                 "clock_offset_end_ns: the same, estimated after the run; "
                                 "clock_drift_ppm: the offset's change between the two, per "
                                 "unit of time, in parts per million; this rank's times are "
                                 "corrected by the offset interpolated linearly between the "
                                 "two; clock_error_ns: bound on that correction's error (the "
                                 "larger of the two estimates' bounds plus the residual of the "
                                 "linear fit), by which this rank's history intervals are "
                                 "widened. All 0 on rank 0's node (one clock)");
        return rc;
}

static int step_baseline(struct wctx *w)
{
        const struct attr_spec a[] = {
            {.name = BL_SA_MEDIAN_RTT_NS, .kind = A_F64, .d = w->sh.median_rtt_ns},
            {.name = BL_SA_MSG_RATE_PER_S, .kind = A_F64, .d = w->sh.msg_rate_per_s},
            {.name = BL_SA_RTT_P50_NS, .kind = A_F64, .d = w->sh.rtt_p50_ns},
            {.name = BL_SA_RTT_P90_NS, .kind = A_F64, .d = w->sh.rtt_p90_ns},
            {.name = BL_SA_RTT_P99_NS, .kind = A_F64, .d = w->sh.rtt_p99_ns},
            {.name = BL_SA_RTT_MAX_NS, .kind = A_F64, .d = w->sh.rtt_max_ns},
            {.name = BL_SA_PATH_RTT_NS, .kind = A_F64, .d = w->sh.path_rtt_ns},
            {.name = BL_SA_PATH_PAIRS, .kind = A_STR, .s = w->str[S_PATH_PAIRS]},
            {.name = BL_SA_FSYNC_P50_US, .kind = A_F64, .d = w->sh.fsync_p50_us},
            {.name = BL_SA_FSYNC_P99_US, .kind = A_F64, .d = w->sh.fsync_p99_us},
            {.name = BL_SA_WRITE_MBPS, .kind = A_F64, .d = w->sh.write_mbps},
            {.name = BL_SA_STORAGE_IO,
             .kind = A_STR,
             .s = w->r->global.storage_io ? w->r->global.storage_io : "thread"},
        };
        const double *row = w->r->local.rtt_ns;
        double *nan_row = NULL;
        int rc = 0;

        if (row == NULL) {
                nan_row = bl_malloc((size_t)w->size * sizeof(*nan_row));
                if (nan_row == NULL)
                        rc = bl_errf(w->eb, BL_ENOMEM, "no memory for the RTT row");
                for (int i = 0; rc == 0 && i < w->size; i++)
                        nan_row[i] = NAN;
                row = nan_row;
        }
        rc = agree(w, rc);
        if (rc == 0)
                rc = make_group(w, BL_SP_BASELINE, a, ARRAY_SIZE(a));
        if (rc == 0)
                rc = write_rank_rows(w, BL_SP_RTT_NS, H5T_NATIVE_DOUBLE, row, (uint64_t)w->size,
                                     "median MPI round trip in ns from rank (row) to rank "
                                     "(column); 0 on the diagonal, NaN when not measured");
        bl_free(nan_row);
        return rc;
}

static int step_summary(struct wctx *w)
{
        static const struct col cols[] = {
            {BL_SC_OP, C_STR, offsetof(struct bl_op_summary, op), NULL},
            {BL_SC_COUNT, C_U64, offsetof(struct bl_op_summary, count), NULL},
            {BL_SC_ERRORS, C_U64, offsetof(struct bl_op_summary, errors), NULL},
            {BL_SC_UNFINISHED, C_U64, offsetof(struct bl_op_summary, unfinished), NULL},
            {BL_SC_MEAN_US, C_F64, offsetof(struct bl_op_summary, mean_us), NULL},
            {BL_SC_P50_US, C_F64, offsetof(struct bl_op_summary, p50_us), NULL},
            {BL_SC_P90_US, C_F64, offsetof(struct bl_op_summary, p90_us), NULL},
            {BL_SC_P99_US, C_F64, offsetof(struct bl_op_summary, p99_us), NULL},
            {BL_SC_P999_US, C_F64, offsetof(struct bl_op_summary, p999_us), NULL},
            {BL_SC_MAX_US, C_F64, offsetof(struct bl_op_summary, max_us), NULL},
        };
        const struct attr_spec a[] = {
            {.name = BL_SA_OPS, .kind = A_U64, .u = w->sh.ops},
            {.name = BL_SA_ERRORS, .kind = A_U64, .u = w->sh.errors},
            {.name = BL_SA_OPS_PER_S, .kind = A_F64, .d = w->sh.ops_per_s},
            {.name = BL_SA_DURATION_S, .kind = A_F64, .d = w->sh.duration_s},
            {.name = BL_SA_WARMUP_OPS, .kind = A_U64, .u = w->sh.warmup_ops},
            {.name = BL_SA_OFFERED, .kind = A_U64, .u = w->sh.offered},
            {.name = BL_SA_UNFINISHED, .kind = A_U64, .u = w->sh.unfinished},
            {.name = BL_SA_UNSERVED, .kind = A_U64, .u = w->sh.unserved},
            {.name = BL_SA_OFFERED_PER_S, .kind = A_F64, .d = w->sh.offered_per_s},
            {.name = BL_SA_ACHIEVED_PER_S, .kind = A_F64, .d = w->sh.achieved_per_s},
            {.name = BL_SA_DEADLINE_HIT, .kind = A_U64, .u = w->sh.deadline_hit},
            {.name = BL_SA_P50_RTT, .kind = A_F64, .d = w->sh.p50_rtt},
            {.name = BL_SA_MSGS_PER_OP, .kind = A_F64, .d = w->sh.msgs_per_op},
            {.name = BL_SA_MPI_MSGS_PER_OP, .kind = A_F64, .d = w->sh.mpi_msgs_per_op},
            {.name = BL_SA_BYTES_PER_OP, .kind = A_F64, .d = w->sh.bytes_per_op},
            {.name = BL_SA_MEM_MAX_BYTES, .kind = A_U64, .u = w->sh.mem_max_bytes},
            {.name = BL_SA_RETRIES, .kind = A_U64, .u = w->sh.retries},
            {.name = BL_SA_TIMEOUTS, .kind = A_U64, .u = w->sh.timeouts},
            {.name = BL_SA_REDIRECTS, .kind = A_U64, .u = w->sh.redirects},
            {.name = BL_SA_MALFORMED, .kind = A_U64, .u = w->sh.malformed},
            {.name = BL_SA_SYNCS_PER_OP, .kind = A_F64, .d = w->sh.syncs_per_op},
            {.name = BL_SA_DISK_BYTES_PER_OP, .kind = A_F64, .d = w->sh.disk_bytes_per_op},
            {.name = BL_SA_SYNC_MEAN_US, .kind = A_F64, .d = w->sh.sync_mean_us},
        };
        hid_t d;
        int rc = write_table(w, BL_SP_SUMMARY, cols, ARRAY_SIZE(cols), w->summary,
                             sizeof(*w->summary), w->sh.n_ops, 1,
                             "latency of the measured phase per operation type, in us; row "
                             "op=all covers every op; totals in the attributes");

        if (rc != 0)
                return rc;
        d = H5Dopen2(w->file, BL_SP_SUMMARY, H5P_DEFAULT);
        rc = agree(w, d < 0 ? h5_fail(w, "open %s", BL_SP_SUMMARY) : 0);
        if (rc == 0)
                rc = write_attrs(w, d, BL_SP_SUMMARY, a, ARRAY_SIZE(a));
        if (d >= 0)
                H5Dclose(d);
        return rc;
}

/* A group name for an op: '/' is not allowed in link names, "." is taken. */
static void op_group(char *buf, size_t size, const char *op, uint64_t i)
{
        if (op[0] == '\0' || strcmp(op, ".") == 0 || strcmp(op, "..") == 0)
                snprintf(buf, size, "%s/op%" PRIu64, BL_SP_LATENCY, i);
        else
                snprintf(buf, size, "%s/%s", BL_SP_LATENCY, op);
        for (char *c = buf + strlen(BL_SP_LATENCY) + 1; *c != '\0'; c++)
                if (*c == '/')
                        *c = '_';
}

static int step_latency(struct wctx *w)
{
        const struct bl_run_global *g = &w->r->global;
        uint64_t nb = w->sh.has_hist ? w->sh.n_buckets : 0;
        int rc = make_group(w, BL_SP_LATENCY, NULL, 0);

        if (rc == 0)
                rc = write_root_array(w, BL_SP_BUCKET_LOW_NS, H5T_NATIVE_UINT64, nb,
                                      g->bucket_low_ns,
                                      "lower bound in ns (inclusive) of each histogram bucket");
        if (rc == 0)
                rc = write_root_array(w, BL_SP_BUCKET_HIGH_NS, H5T_NATIVE_UINT64, nb,
                                      g->bucket_high_ns,
                                      "upper bound in ns (exclusive) of each histogram bucket");
        for (uint64_t i = 0; rc == 0 && i < w->sh.n_ops; i++) {
                char grp[300], path[320];

                op_group(grp, sizeof(grp), w->str[s_op(w, i)], i);
                snprintf(path, sizeof(path), "%s/%s", grp, BL_SN_COUNTS);
                rc = make_group(w, grp, NULL, 0);
                if (rc == 0)
                        rc = write_root_array(w, path, H5T_NATIVE_UINT64, nb,
                                              w->hist != NULL ? w->hist + i * nb : NULL,
                                              "latencies of the measured phase per bucket "
                                              "(see /latency/bucket_low_ns, bucket_high_ns)");
        }
        return rc;
}

static int step_timeseries(struct wctx *w)
{
        const struct bl_run_global *g = &w->r->global;
        const struct attr_spec a[] = {
            {.name = BL_SA_INTERVAL_S, .kind = A_F64, .d = w->sh.interval_s},
        };
        uint64_t n = w->sh.n_intervals;
        int rc = make_group(w, BL_SP_TIMESERIES, a, ARRAY_SIZE(a));

        if (rc == 0)
                rc = write_root_array(w, BL_SP_TIMESERIES "/" BL_SN_TS_T_S, H5T_NATIVE_DOUBLE, n,
                                      g->ts_t_s,
                                      "end of each interval in s since the start "
                                      "of the measured phase");
        if (rc == 0)
                rc = write_root_array(w, BL_SP_TIMESERIES "/" BL_SN_TS_OPS, H5T_NATIVE_UINT64, n,
                                      g->ts_ops, "operations completed in each interval");
        if (rc == 0)
                rc = write_root_array(w, BL_SP_TIMESERIES "/" BL_SN_TS_ERRORS, H5T_NATIVE_UINT64, n,
                                      g->ts_errors, "operations failed in each interval");
        if (rc == 0)
                rc = write_root_array(w, BL_SP_TIMESERIES "/" BL_SN_TS_P99_US, H5T_NATIVE_DOUBLE, n,
                                      g->ts_p99_us, "p99 latency in us of each interval");
        if (rc == 0 && w->sh.txn.present && w->sh.txn_series[0])
                rc = write_root_array(w, BL_SP_TIMESERIES "/" BL_SN_TS_IN_DOUBT, H5T_NATIVE_UINT64,
                                      n, g->txn.ts_in_doubt,
                                      "most transactions in doubt (prepared on a participant, "
                                      "no decision there yet; counted once per participant) "
                                      "at once during each interval");
        if (rc == 0 && w->sh.txn.present && w->sh.txn_series[1])
                rc = write_root_array(w, BL_SP_TIMESERIES "/" BL_SN_TS_BLOCKED, H5T_NATIVE_UINT64,
                                      n, g->txn.ts_blocked,
                                      "most participants blocked (holding prepared locks "
                                      "without a decision) at once during each interval");
        if (rc == 0 && w->sh.txn.present && w->sh.txn_series[2])
                rc = write_root_array(w, BL_SP_TIMESERIES "/" BL_SN_TS_ABORTS, H5T_NATIVE_UINT64, n,
                                      w->r->global.txn.ts_aborts,
                                      "transactions aborted in each interval");
        return rc;
}

static int step_messages(struct wctx *w)
{
        const struct bl_run_local *l = &w->r->local;
        const struct attr_spec a[] = {
            {.name = BL_SA_TOTAL_SENT_COUNT, .kind = A_U64, .u = w->msg_totals[0]},
            {.name = BL_SA_TOTAL_SENT_BYTES, .kind = A_U64, .u = w->msg_totals[1]},
        };
        const struct {
                const char *path;
                const uint64_t *row;
                const char *desc;
        } m[] = {
            {BL_SP_MESSAGES "/" BL_SN_SENT_COUNT, l->sent_count,
             "messages sent by rank (row) of type (column, see type_names)"},
            {BL_SP_MESSAGES "/" BL_SN_SENT_BYTES, l->sent_bytes,
             "bytes sent by rank (row) in messages of type (column)"},
            {BL_SP_MESSAGES "/" BL_SN_RECV_COUNT, l->recv_count,
             "messages received by rank (row) of type (column)"},
            {BL_SP_MESSAGES "/" BL_SN_RECV_BYTES, l->recv_bytes,
             "bytes received by rank (row) in messages of type (column)"},
        };
        int rc = make_group(w, BL_SP_MESSAGES, a, ARRAY_SIZE(a));

        if (rc == 0)
                rc = write_strings(w, BL_SP_MSG_TYPE_NAMES, w->str + s_msg(w, 0), w->sh.n_msg_types,
                                   1, "name of each message type (column)");
        for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(m); i++)
                rc = write_rank_rows(w, m[i].path, H5T_NATIVE_UINT64, m[i].row, w->sh.n_msg_types,
                                     m[i].desc);
        return rc;
}

static int step_replicas(struct wctx *w)
{
        static const struct col cols[] = {
            {BL_SC_SHARD, C_I32, offsetof(struct bl_replica_info, shard), NULL},
            {BL_SC_MEMBER, C_I32, offsetof(struct bl_replica_info, member), NULL},
            {BL_SC_RANK, C_I32, offsetof(struct bl_replica_info, rank), NULL},
            {BL_SC_APPLIED, C_U64, offsetof(struct bl_replica_info, applied), NULL},
            {BL_SC_DIGEST, C_U64, offsetof(struct bl_replica_info, digest), NULL},
            {BL_SC_TERM, C_U64, offsetof(struct bl_replica_info, term), NULL},
            {BL_SC_COMMIT, C_U64, offsetof(struct bl_replica_info, commit), NULL},
            {BL_SC_MEM_BYTES, C_U64, offsetof(struct bl_replica_info, mem_bytes), NULL},
        };
        const struct bl_run_local *l = &w->r->local;

        return write_table(w, BL_SP_REPLICAS, cols, ARRAY_SIZE(cols), l->replicas,
                           sizeof(*l->replicas), l->n_replicas, 0,
                           "every replica at the end of the run: entries applied, digest of "
                           "what it applied, term, commit index, memory in bytes");
}

static int step_digests(struct wctx *w)
{
        static const struct col cols[] = {
            {BL_SC_SHARD, C_I32, offsetof(struct bl_digest_rec, shard), NULL},
            {BL_SC_MEMBER, C_I32, offsetof(struct bl_digest_rec, member), NULL},
            {BL_SC_RANK, C_I32, offsetof(struct bl_digest_rec, rank), NULL},
            {BL_SC_APPLIED, C_U64, offsetof(struct bl_digest_rec, applied), NULL},
            {BL_SC_DIGEST, C_U64, offsetof(struct bl_digest_rec, digest), NULL},
        };
        const struct bl_run_local *l = &w->r->local;

        return write_table(w, BL_SP_DIGESTS, cols, ARRAY_SIZE(cols), l->digests,
                           sizeof(*l->digests), l->n_digests, 0,
                           "digest checkpoints of every replica: after `applied` commands its "
                           "running digest was `digest`; kept at the multiples of a power-of-two "
                           "interval (at most 1024 per replica) plus the final state, so "
                           "replicas are compared at every count two of them reached");
}

static int step_events(struct wctx *w)
{
        static const struct col cols[] = {
            {BL_SC_T_NS, C_I64, offsetof(struct bl_event_rec, t_ns), NULL},
            {BL_SC_RANK, C_I32, offsetof(struct bl_event_rec, rank), NULL},
            {BL_SC_TYPE, C_ENUM, offsetof(struct bl_event_rec, type), enum_event_type},
            {BL_SC_A, C_I64, offsetof(struct bl_event_rec, a), NULL},
            {BL_SC_B, C_I64, offsetof(struct bl_event_rec, b), NULL},
        };
        static const char *const args[] = {
#define BL_EV_ARGS(code, name, args) name ": " args,
            BL_EVENTS(BL_EV_ARGS)
#undef BL_EV_ARGS
        };
        const struct bl_run_local *l = &w->r->local;
        hid_t d;
        int rc = write_table(w, BL_SP_EVENTS, cols, ARRAY_SIZE(cols), l->events, sizeof(*l->events),
                             l->n_events, 0,
                             "events; t_ns since the workload start; rows grouped by the "
                             "recording rank (sort by t_ns); meaning of a, b in type_args");

        if (rc != 0)
                return rc;
        d = H5Dopen2(w->file, BL_SP_EVENTS, H5P_DEFAULT);
        rc = agree(w, d < 0 ? h5_fail(w, "open %s", BL_SP_EVENTS) : 0);
        if (rc == 0)
                rc = attr_strv(w, d, BL_SP_EVENTS, BL_SA_TYPE_ARGS, args, ARRAY_SIZE(args));
        if (d >= 0)
                H5Dclose(d);
        return rc;
}

static int step_verdicts(struct wctx *w)
{
        static const struct col cols[] = {
            {BL_SC_NAME, C_STR, offsetof(struct bl_verdict_row, name), NULL},
            {BL_SC_RESULT, C_ENUM, offsetof(struct bl_verdict_row, pass), enum_verdict},
            {BL_SC_REASON, C_STR, offsetof(struct bl_verdict_row, reason), NULL},
        };

        const struct attr_spec a[] = {
            {.name = BL_SA_LIN_OPS_CHECKED, .kind = A_U64, .u = w->sh.lin_ops_checked},
            {.name = BL_SA_LIN_OPS_TOTAL, .kind = A_U64, .u = w->sh.lin_ops_total},
            {.name = BL_SA_LIN_FRACTION,
             .kind = A_F64,
             .d = w->sh.lin_ops_total > 0
                      ? (double)w->sh.lin_ops_checked / (double)w->sh.lin_ops_total
                      : NAN},
        };
        hid_t d;
        int rc = write_table(w, BL_SP_VERDICTS, cols, ARRAY_SIZE(cols), w->r->global.verdicts,
                             sizeof(struct bl_verdict_row), w->sh.n_verdicts, 1,
                             "correctness checks of this run; overall verdict in the root "
                             "attribute verdict; the attributes say how many client operations "
                             "the linearizability check covered (lin_checked_fraction of all)");

        if (rc != 0)
                return rc;
        d = H5Dopen2(w->file, BL_SP_VERDICTS, H5P_DEFAULT);
        rc = agree(w, d < 0 ? h5_fail(w, "open %s", BL_SP_VERDICTS) : 0);
        if (rc == 0)
                rc = write_attrs(w, d, BL_SP_VERDICTS, a, ARRAY_SIZE(a));
        if (d >= 0)
                H5Dclose(d);
        return rc;
}

static int step_faults(struct wctx *w)
{
        static const struct col cols[] = {
            {BL_SC_T_S, C_F64, offsetof(struct bl_fault_row, t_s), NULL},
            {BL_SC_RANK, C_I32, offsetof(struct bl_fault_row, rank), NULL},
            {BL_SC_DESCRIPTION, C_STR, offsetof(struct bl_fault_row, description), NULL},
            {BL_SC_UNAVAILABLE_S, C_F64, offsetof(struct bl_fault_row, unavailable_s), NULL},
            {BL_SC_RECOVERY_S, C_F64, offsetof(struct bl_fault_row, recovery_s), NULL},
            {BL_SC_APPLIED, C_I32, offsetof(struct bl_fault_row, applied), NULL},
            {BL_SC_SHARD, C_I32, offsetof(struct bl_fault_row, shard), NULL},
            {BL_SC_SHARD_UNAVAIL_S, C_F64, offsetof(struct bl_fault_row, shard_unavailable_s),
             NULL},
        };

        if (w->sh.n_faults == 0)
                return 0;
        return write_table(w, BL_SP_FAULTS, cols, ARRAY_SIZE(cols), w->r->global.faults,
                           sizeof(struct bl_fault_row), w->sh.n_faults, 1,
                           "injected faults: t_s since the measured phase start; "
                           "unavailable_s: longest stretch without a completed operation "
                           "after it; shard, shard_unavailable_s: the same for the worst "
                           "shard (of those busy in the second before it; -1: none); "
                           "recovery_s: until throughput is back within 10% of the second "
                           "before it (NaN: never); applied: 0 when the fault was scheduled "
                           "after the end of the run and not applied (its figures are then "
                           "NaN)");
}

static int step_history(struct wctx *w)
{
        static const struct col cols[] = {
            {BL_SC_RANK, C_RANK, 0, NULL},
            {BL_SC_CLIENT, C_U32, offsetof(struct bl_history_rec, client), NULL},
            {BL_SC_OP, C_ENUM, offsetof(struct bl_history_rec, op), enum_op},
            {BL_SC_OUTCOME, C_ENUM, offsetof(struct bl_history_rec, outcome), enum_outcome},
            {BL_SC_KEY, C_U64, offsetof(struct bl_history_rec, key), NULL},
            {BL_SC_ARG, C_U64, offsetof(struct bl_history_rec, arg), NULL},
            {BL_SC_RET, C_U64, offsetof(struct bl_history_rec, ret), NULL},
            {BL_SC_RET_STATUS, C_I32, offsetof(struct bl_history_rec, ret_status), NULL},
            {BL_SC_INVOKE_NS, C_I64, offsetof(struct bl_history_rec, invoke_ns), NULL},
            {BL_SC_RETURN_NS, C_I64, offsetof(struct bl_history_rec, return_ns), NULL},
        };
        const struct bl_run_local *l = &w->r->local;

        if (!w->sh.history)
                return 0;
        return write_table(w, BL_SP_HISTORY, cols, ARRAY_SIZE(cols), l->history,
                           sizeof(*l->history), l->n_history, 0,
                           "client operations: invoke_ns and return_ns since the workload "
                           "start (return_ns -1: outcome unknown); rows grouped by rank");
}

static hid_t enum_mop_kind(void)
{
        static const char *const names[] = {"append", "read"};
        static const int32_t values[] = {BL_MOP_APPEND, BL_MOP_READ};

        return make_enum(names, values, 2);
}

static int step_txn_summary(struct wctx *w)
{
        const struct bl_txn_summary *t = &w->sh.txn;
        double fin = (double)t->committed + (double)t->aborted;
        double rtt = w->sh.path_rtt_ns > 0 ? w->sh.path_rtt_ns : w->sh.median_rtt_ns;
        const struct attr_spec a[] = {
            {.name = BL_SA_TXN_COMMITTED, .kind = A_U64, .u = t->committed},
            {.name = BL_SA_TXN_ABORTED, .kind = A_U64, .u = t->aborted},
            {.name = BL_SA_TXN_UNKNOWN, .kind = A_U64, .u = t->unknown},
            {.name = BL_SA_TXN_ABORTED_LOCK, .kind = A_U64, .u = t->aborted_by[BL_TXA_LOCK]},
            {.name = BL_SA_TXN_ABORTED_VOTE, .kind = A_U64, .u = t->aborted_by[BL_TXA_VOTE]},
            {.name = BL_SA_TXN_ABORTED_TIME, .kind = A_U64, .u = t->aborted_by[BL_TXA_TIMEOUT]},
            {.name = BL_SA_TXN_ABORTED_FAIL, .kind = A_U64, .u = t->aborted_by[BL_TXA_FAILURE]},
            {.name = BL_SA_TXN_PER_S, .kind = A_F64, .d = t->txn_per_s},
            {.name = BL_SA_TXN_ABORTS_PER_S,
             .kind = A_F64,
             .d = w->sh.duration_s > 0 ? (double)t->aborted / w->sh.duration_s : NAN},
            {.name = BL_SA_TXN_ABORT_RATIO,
             .kind = A_F64,
             .d = fin > 0 ? (double)t->aborted / fin : NAN},
            {.name = BL_SA_TXN_COMMIT_MEAN, .kind = A_F64, .d = t->commit_mean_us},
            {.name = BL_SA_TXN_COMMIT_P50, .kind = A_F64, .d = t->commit_p50_us},
            {.name = BL_SA_TXN_COMMIT_P99, .kind = A_F64, .d = t->commit_p99_us},
            {.name = BL_SA_TXN_COMMIT_MAX, .kind = A_F64, .d = t->commit_max_us},
            {.name = BL_SA_TXN_COMMIT_P50RTT,
             .kind = A_F64,
             .d = rtt > 0 ? t->commit_p50_us * 1e3 / rtt : NAN},
            {.name = BL_SA_TXN_BLOCK_N, .kind = A_U64, .u = t->block_n},
            {.name = BL_SA_TXN_BLOCK_MEAN, .kind = A_F64, .d = t->block_mean_us},
            {.name = BL_SA_TXN_BLOCK_P99, .kind = A_F64, .d = t->block_p99_us},
            {.name = BL_SA_TXN_BLOCK_MAX, .kind = A_F64, .d = t->block_max_us},
            {.name = BL_SA_TXN_BLOCK_LONG, .kind = A_F64, .d = t->block_long_us},
            {.name = BL_SA_TXN_IN_DOUBT_MAX, .kind = A_U64, .u = t->in_doubt_max},
            {.name = BL_SA_TXN_IN_DOUBT_END, .kind = A_U64, .u = t->in_doubt_end},
            {.name = BL_SA_DESCRIPTION,
             .kind = A_STR,
             .s = "transactions of the measured phase: counts, aborts by reason, committed "
                  "per second, latency of committed ones (us; p50 also in round trips), "
                  "blocking window of prepared participants (us), most in doubt at once"},
        };
        static const struct col classes[] = {
            {BL_SC_CLASS, C_STR, offsetof(struct bl_txn_class_row, cls), NULL},
            {BL_SC_COMMITTED, C_U64, offsetof(struct bl_txn_class_row, committed), NULL},
            {BL_SC_ABORTED, C_U64, offsetof(struct bl_txn_class_row, aborted), NULL},
            {BL_SC_UNKNOWN, C_U64, offsetof(struct bl_txn_class_row, unknown), NULL},
            {BL_SC_COMMIT_P50_US, C_F64, offsetof(struct bl_txn_class_row, commit_p50_us), NULL},
            {BL_SC_COMMIT_P99_US, C_F64, offsetof(struct bl_txn_class_row, commit_p99_us), NULL},
        };
        static const struct col blocks[] = {
            {BL_SC_RANK, C_I32, offsetof(struct bl_block_rec, rank), NULL},
            {BL_SC_SHARD, C_I32, offsetof(struct bl_block_rec, shard), NULL},
            {BL_SC_TXN, C_U64, offsetof(struct bl_block_rec, txn), NULL},
            {BL_SC_START_S, C_F64, offsetof(struct bl_block_rec, start_s), NULL},
            {BL_SC_END_S, C_F64, offsetof(struct bl_block_rec, end_s), NULL},
        };
        const struct bl_run_local *l = &w->r->local;
        int rc;

        if (!t->present)
                return 0;
        rc = make_group(w, BL_SP_TXN, a, ARRAY_SIZE(a));
        if (rc == 0)
                rc = write_table(w, BL_SP_TXN_CLASSES, classes, ARRAY_SIZE(classes),
                                 w->r->global.txn.classes, sizeof(struct bl_txn_class_row),
                                 w->sh.txn.n_classes, 1,
                                 "transactions per class (transfer, audit, rmw, list): "
                                 "committed, aborted, outcome unknown; latency of the "
                                 "committed ones in us (NaN: none)");
        if (rc == 0)
                rc = write_table(w, BL_SP_TXN_BLOCKING, blocks, ARRAY_SIZE(blocks), l->blocks,
                                 sizeof(*l->blocks), l->n_blocks, 0,
                                 "blocking windows longer than /txn block_long_us: participant "
                                 "(rank, its replica of shard) held prepared locks of txn "
                                 "without a decision from start_s to end_s, in s since the "
                                 "measured phase start (end_s NaN: still blocked at the end); "
                                 "rows grouped by rank");
        return rc;
}

static int write_txn_values(struct wctx *w, const struct bl_txn_history *h)
{
        uint64_t n = h != NULL ? h->nvals : 0, total, off;
        hsize_t dims[1];

        row_offsets(w, &n, 0, &total, &off);
        dims[0] = total;
        return write_dataset(w, BL_SP_TXH_VALUES, H5T_NATIVE_UINT64, 1, dims, off, n,
                             n > 0 ? h->vals : NULL,
                             "elements of every list read, back to back (see "
                             "/txn/history/mops read_off, read_len)");
}

static int step_txn_history(struct wctx *w)
{
        static const struct col tcols[] = {
            {BL_SC_ID, C_U64, offsetof(struct bl_txh_row, id), NULL},
            {BL_SC_CLIENT, C_U32, offsetof(struct bl_txh_row, client), NULL},
            {BL_SC_OUTCOME, C_ENUM, offsetof(struct bl_txh_row, outcome), enum_outcome},
            {BL_SC_INVOKE_NS, C_I64, offsetof(struct bl_txh_row, invoke_ns), NULL},
            {BL_SC_COMPLETE_NS, C_I64, offsetof(struct bl_txh_row, complete_ns), NULL},
            {BL_SC_FIRST_MOP, C_U64, offsetof(struct bl_txh_row, first_mop), NULL},
            {BL_SC_NMOPS, C_U32, offsetof(struct bl_txh_row, nmops), NULL},
        };
        static const struct col mcols[] = {
            {BL_SC_KIND, C_ENUM, offsetof(struct bl_mop_row, kind), enum_mop_kind},
            {BL_SC_KEY, C_U64, offsetof(struct bl_mop_row, key), NULL},
            {BL_SC_VALUE, C_U64, offsetof(struct bl_mop_row, value), NULL},
            {BL_SC_READ_OFF, C_U64, offsetof(struct bl_mop_row, read_off), NULL},
            {BL_SC_READ_LEN, C_U32, offsetof(struct bl_mop_row, read_len), NULL},
        };
        const struct bl_txn_history *h = w->r->local.txn_history;
        uint64_t mine[3] = {0, 0, 0}, base[3] = {0, 0, 0}, total[3];
        int32_t have = h != NULL, any = 0;
        struct bl_txh_row *tr = NULL;
        struct bl_mop_row *mr = NULL;
        int rc = 0;

        if (!w->sh.txn.present)
                return 0;
        MPI_Allreduce(&have, &any, 1, MPI_INT32_T, MPI_MAX, w->comm);
        if (!any)
                return 0;
        if (h != NULL) {
                mine[0] = h->n;
                mine[1] = h->nmops;
                mine[2] = h->nvals;
        }
        /* Rank i's micro-ops follow ranks 0..i-1's: rebase the indexes. */
        MPI_Exscan(mine, base, 3, MPI_UINT64_T, MPI_SUM, w->comm);
        if (w->rank == 0)
                base[0] = base[1] = base[2] = 0;
        MPI_Allreduce(mine, total, 3, MPI_UINT64_T, MPI_SUM, w->comm);
        if ((mine[0] > 0 && (tr = bl_calloc(mine[0], sizeof(*tr))) == NULL) ||
            (mine[1] > 0 && (mr = bl_calloc(mine[1], sizeof(*mr))) == NULL))
                rc = bl_errf(w->eb, BL_ENOMEM, "no memory for the transaction history");
        for (uint64_t i = 0; rc == 0 && i < mine[0]; i++) {
                const struct bl_txn *t = &h->txns[i];

                tr[i] = (struct bl_txh_row){
                    .id = t->id,
                    .client = t->client,
                    .outcome = t->outcome,
                    .invoke_ns = (int64_t)t->invoke_ns,
                    .complete_ns = t->outcome == BL_OUT_UNKNOWN ? -1 : (int64_t)t->complete_ns,
                    .first_mop = base[1] + t->first,
                    .nmops = t->nmops,
                };
        }
        for (uint64_t i = 0; rc == 0 && i < mine[1]; i++) {
                const struct bl_mop *m = &h->mops[i];
                int rd = m->kind == BL_MOP_READ;

                mr[i] = (struct bl_mop_row){
                    .kind = m->kind,
                    .key = m->key,
                    .value = rd ? 0 : m->value,
                    .read_off = rd ? base[2] + m->off : 0,
                    .read_len = rd ? m->len : 0,
                };
        }
        rc = agree(w, rc);
        if (rc == 0) {
                const struct attr_spec a[] = {
                    {.name = BL_SA_TXH_TXNS, .kind = A_U64, .u = total[0]},
                    {.name = BL_SA_TXH_MOPS, .kind = A_U64, .u = total[1]},
                    {.name = BL_SA_TXH_VALUES, .kind = A_U64, .u = total[2]},
                };
                rc = make_group(w, BL_SP_TXN_HISTORY, a, ARRAY_SIZE(a));
        }
        if (rc == 0)
                rc = write_table(w, BL_SP_TXH_TXNS, tcols, ARRAY_SIZE(tcols), tr, sizeof(*tr),
                                 mine[0], 0,
                                 "list-append transactions (Elle): times in ns on one clock "
                                 "(complete_ns -1: outcome unknown); micro-ops "
                                 "mops[first_mop .. first_mop + nmops); `ballot check` "
                                 "re-judges serializability from them");
        if (rc == 0)
                rc = write_table(w, BL_SP_TXH_MOPS, mcols, ARRAY_SIZE(mcols), mr, sizeof(*mr),
                                 mine[1], 0,
                                 "micro-ops: append(key, value), or read(key) of the list "
                                 "values[read_off .. read_off + read_len), oldest first");
        if (rc == 0)
                rc = write_txn_values(w, h);
        bl_free(tr);
        bl_free(mr);
        return rc;
}

static int (*const steps[])(struct wctx *) = {
    step_root,     step_provenance, step_config,   step_topology,    step_baseline,    step_summary,
    step_latency,  step_timeseries, step_messages, step_replicas,    step_digests,     step_events,
    step_verdicts, step_faults,     step_history,  step_txn_summary, step_txn_history,
};

/* Create the temporary file and the collective transfer list. Agreed. */
static int open_file(struct wctx *w)
{
        hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
        int rc = 0;

        if (fapl < 0 || H5Pset_fapl_mpio(fapl, w->comm, MPI_INFO_NULL) < 0 ||
            H5Pset_all_coll_metadata_ops(fapl, 1) < 0 || H5Pset_coll_metadata_write(fapl, 1) < 0 ||
            H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0)
                rc = h5_fail(w, "set up parallel HDF5 access");
        else if ((w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl)) < 0)
                rc = h5_fail(w, "cannot create %s", w->tmp);
        if (fapl >= 0)
                H5Pclose(fapl);
        w->dxpl = H5Pcreate(H5P_DATASET_XFER);
        if (rc == 0 && (w->dxpl < 0 || H5Pset_dxpl_mpio(w->dxpl, H5FD_MPIO_COLLECTIVE) < 0))
                rc = h5_fail(w, "set up collective transfers");
        return agree(w, rc);
}

/* Close the file (collective), then rank 0 renames it into place. Agreed. */
static int close_and_rename(struct wctx *w, const char *path, int rc)
{
        int close_rc = 0;

        if (w->file >= 0 && H5Fclose(w->file) < 0 && rc == 0)
                close_rc = h5_fail(w, "close %s", w->tmp);
        w->file = -1;
        if (rc == 0)
                rc = agree(w, close_rc);
        if (rc == 0) {
                if (w->rank == 0 && rename(w->tmp, path) != 0)
                        rc = bl_errf(w->eb, BL_EIO, "rename %s to %s: %s", w->tmp, path,
                                     strerror(errno));
                rc = agree(w, rc);
        }
        return rc;
}

int bl_results_write(MPI_Comm comm, const char *path, const struct bl_run_result *r,
                     struct bl_errbuf *eb)
{
        struct bl_errbuf mine = {{0}};
        struct wctx w = {.comm = comm, .r = r, .eb = &mine, .file = -1, .dxpl = -1};
        H5E_auto2_t old_func = NULL;
        void *old_data = NULL;
        int rc = 0;

        MPI_Comm_rank(comm, &w.rank);
        MPI_Comm_size(comm, &w.size);
        H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

        if (path == NULL || path[0] == '\0' || r == NULL)
                rc = bl_errf(w.eb, BL_EINVAL, "no path or no results");
        else if (strlen(path) > sizeof(w.tmp) - 32)
                rc = bl_errf(w.eb, BL_EINVAL, "path too long");
        else
                rc = validate(&w);
        rc = agree(&w, rc);
        if (rc == 0)
                rc = share(&w);
        if (rc == 0) {
                snprintf(w.tmp, sizeof(w.tmp), "%s.tmp.%" PRId64, path, w.sh.pid);
                rc = open_file(&w);
                for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(steps); i++)
                        rc = steps[i](&w);
                rc = close_and_rename(&w, path, rc);
                if (rc != 0 && w.rank == 0)
                        unlink(w.tmp);
                MPI_Barrier(comm);
        }
        if (w.dxpl >= 0)
                H5Pclose(w.dxpl);
        bl_free(w.summary);
        bl_free(w.hist);
        bl_free(w.str);
        bl_free(w.strbuf);
        H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
        if (rc != 0) {
                if (eb == NULL)
                        return rc;
                memcpy(eb->msg, mine.msg, sizeof(eb->msg));
                return bl_errwrap(eb, rc, "write results %s", path != NULL ? path : "(null)");
        }
        if (eb != NULL)
                eb->msg[0] = '\0';
        return 0;
}
