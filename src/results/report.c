/* `ballot report`: the headline numbers of many result files, as a table or CSV. */
#include "results/report.h"
#include "results/results.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "results/group.h"

/*
 * One column table drives the table header, the CSV header, the cells and
 * --sort. The table is for eyes, awk and gnuplot (OSU style: '#' lines, then
 * aligned whitespace-separated columns, "-" for a missing value); the CSV is
 * for spreadsheets and pandas (missing value: empty cell).
 */

enum rkind { K_STR, K_INT, K_NUM };

struct rcol {
        const char *name;
        enum rkind kind;
        size_t off;
        const char *fmt; /* table format of a K_NUM */
        int txn;         /* transaction runs only: the table leaves it out when no row has it */
};

#define COL(name, kind, fmt)                                                                       \
        {                                                                                          \
#name, kind, offsetof(struct bl_report_row, name), fmt, 0                          \
        }
#define TXN_COL(name, fmt)                                                                         \
        {                                                                                          \
#name, K_NUM, offsetof(struct bl_report_row, name), fmt, 1                         \
        }
static const struct rcol cols[] = {
    COL(name, K_STR, NULL),
    COL(kernel, K_STR, NULL),
    COL(ranks, K_INT, NULL),
    COL(shards, K_INT, NULL),
    COL(replicas, K_INT, NULL),
    COL(workload, K_STR, NULL),
    COL(ops_per_s, K_NUM, "%.1f"),
    COL(p50_us, K_NUM, "%.2f"),
    COL(p99_us, K_NUM, "%.2f"),
    COL(p999_us, K_NUM, "%.2f"),
    COL(rtt_us, K_NUM, "%.2f"),
    COL(p50_rtt, K_NUM, "%.2f"),
    COL(msg_rate, K_NUM, "%.0f"),
    COL(msgs_per_op, K_NUM, "%.2f"),
    COL(bytes_per_op, K_NUM, "%.1f"),
    COL(verdict, K_STR, NULL),
    COL(unavail_ms, K_NUM, "%.1f"),
    COL(recovery_ms, K_NUM, "%.1f"),
    COL(file, K_STR, NULL),
    COL(fsync_us, K_NUM, "%.1f"),
    COL(syncs_per_op, K_NUM, "%.3f"),
    COL(disk_bytes_per_op, K_NUM, "%.1f"),
    COL(errors, K_NUM, "%.0f"),
    COL(offered_per_s, K_NUM, "%.1f"),
    COL(achieved_per_s, K_NUM, "%.1f"),
    COL(mpi_msgs_per_op, K_NUM, "%.2f"),
    TXN_COL(txn_per_s, "%.1f"),
    TXN_COL(abort_ratio, "%.3f"),
    TXN_COL(commit_p50_us, "%.2f"),
    TXN_COL(commit_p99_us, "%.2f"),
    TXN_COL(commit_p50_rtt, "%.2f"),
    TXN_COL(block_mean_ms, "%.3f"),
    TXN_COL(block_max_ms, "%.3f"),
    TXN_COL(in_doubt_max, "%.0f"),
};
#undef COL
#undef TXN_COL
#define NCOLS ((int)(sizeof(cols) / sizeof(cols[0])))

struct opts {
        int metric; /* --metric column, -1 for the plain table */
        int csv;
        int sort; /* column index, -1: input order */
        int descending;
        int group;           /* --group */
        const char *compare; /* --compare KEY */
};

struct flist {
        char **v;
        size_t n;
        size_t cap;
};

static void usage(FILE *f)
{
        fprintf(f, "usage: ballot report [--csv] [--sort [-]KEY | --group | --compare KEY] "
                   "FILE_OR_DIR...\n"
                   "  Puts result files side by side; a directory means every *.h5 in it.\n"
                   "  --csv        comma-separated values with a header line\n"
                   "  --group      one row per configuration fingerprint: n runs, median and\n"
                   "               confidence interval of ops/s, p50, p99; noisy groups flagged\n"
                   "  --compare KEY  the values of option KEY (e.g. experiment.kernel) side by\n"
                   "               side for otherwise equal configurations: ratio, overlap\n"
                   "  --metric KEY one numeric column across a sweep: a row per (workload,\n"
                   "               ranks, replicas), a column per kernel, the mean of repeats\n"
                   "  --sort KEY   sort rows by a column (-KEY: descending); KEY is one of\n"
                   "              ");
        for (int c = 0; c < NCOLS; c++)
                fprintf(f, " %s", cols[c].name);
        fprintf(f, "\n");
}

static int flist_add(struct flist *fl, const char *a, const char *b)
{
        size_t la = strlen(a), lb = b != NULL ? strlen(b) : 0;
        char *s;

        if (fl->n == fl->cap) {
                size_t cap = fl->cap ? 2 * fl->cap : 16;
                char **v = bl_realloc(fl->v, cap * sizeof(*v));

                if (v == NULL)
                        return BL_ENOMEM;
                fl->v = v;
                fl->cap = cap;
        }
        s = bl_malloc(la + lb + 2);
        if (s == NULL)
                return BL_ENOMEM;
        memcpy(s, a, la + 1);
        if (b != NULL) {
                if (la > 0 && s[la - 1] != '/')
                        s[la++] = '/';
                memcpy(s + la, b, lb + 1);
        }
        fl->v[fl->n++] = s;
        return 0;
}

static void flist_free(struct flist *fl)
{
        for (size_t i = 0; i < fl->n; i++)
                bl_free(fl->v[i]);
        bl_free(fl->v);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_result_name(const char *s)
{
        size_t n = strlen(s);

        return s[0] != '.' && n > 3 && strcmp(s + n - 3, ".h5") == 0 && strstr(s, ".tmp.") == NULL;
}

/* Every result file in dir, sorted by name. Returns 0, 1 (reported on err) or BL_ENOMEM. */
static int add_dir(struct flist *fl, const char *dir, FILE *err)
{
        struct flist names = {0};
        struct dirent *de;
        DIR *d = opendir(dir);
        int rc = 0;

        if (d == NULL) {
                fprintf(err, "ballot report: %s: %s\n", dir, strerror(errno));
                return 1;
        }
        while (rc == 0 && (de = readdir(d)) != NULL)
                if (is_result_name(de->d_name))
                        rc = flist_add(&names, de->d_name, NULL);
        closedir(d);
        if (rc == 0 && names.n == 0) {
                fprintf(err, "ballot report: %s: no result files (*.h5)\n", dir);
                rc = 1;
        }
        if (rc == 0)
                qsort(names.v, names.n, sizeof(*names.v), cmp_str);
        for (size_t i = 0; rc == 0 && i < names.n; i++)
                rc = flist_add(fl, dir, names.v[i]);
        flist_free(&names);
        return rc;
}

static const void *field(const struct bl_report_row *r, int c)
{
        return (const char *)r + cols[c].off;
}

static double num(const struct bl_report_row *r, int c)
{
        double v;

        memcpy(&v, field(r, c), sizeof(v));
        return v;
}

static int integer(const struct bl_report_row *r, int c)
{
        int v;

        memcpy(&v, field(r, c), sizeof(v));
        return v;
}

/* Compare two rows on column c; missing numbers sort last either way. */
static int cmp_rows(const struct bl_report_row *a, const struct bl_report_row *b, int c, int desc)
{
        int s = 0;

        if (cols[c].kind == K_STR) {
                s = strcmp(field(a, c), field(b, c));
        } else {
                double x = cols[c].kind == K_INT ? integer(a, c) : num(a, c);
                double y = cols[c].kind == K_INT ? integer(b, c) : num(b, c);
                int mx = isnan(x) || (cols[c].kind == K_INT && x < 0);
                int my = isnan(y) || (cols[c].kind == K_INT && y < 0);

                if (mx || my)
                        return mx - my;
                s = (x > y) - (x < y);
        }
        return desc ? -s : s;
}

/* Stable insertion sort: reports are a few hundred rows at most. */
static void sort_rows(struct bl_report_row **v, size_t n, int c, int desc)
{
        for (size_t i = 1; i < n; i++) {
                struct bl_report_row *x = v[i];
                size_t j = i;

                while (j > 0 && cmp_rows(v[j - 1], x, c, desc) > 0) {
                        v[j] = v[j - 1];
                        j--;
                }
                v[j] = x;
        }
}

/* The text of one cell; "" for a missing value (the table prints "-"). */
static void cell(char *buf, size_t size, const struct bl_report_row *r, int c, int csv)
{
        double v;
        int i;

        switch (cols[c].kind) {
        case K_STR:
                snprintf(buf, size, "%s", (const char *)field(r, c));
                break;
        case K_INT:
                i = integer(r, c);
                if (i < 0)
                        buf[0] = '\0';
                else
                        snprintf(buf, size, "%d", i);
                break;
        case K_NUM:
                v = num(r, c);
                if (isnan(v))
                        buf[0] = '\0';
                else if (isinf(v) && v > 0)
                        snprintf(buf, size, "never"); /* recovery_ms: never recovered */
                else
                        snprintf(buf, size, csv ? "%.10g" : cols[c].fmt, v);
                break;
        }
}

static void put_csv_field(FILE *out, const char *s)
{
        if (strpbrk(s, ",\"\r\n") == NULL) {
                fputs(s, out);
                return;
        }
        fputc('"', out);
        for (; *s != '\0'; s++) {
                if (*s == '"')
                        fputc('"', out);
                fputc(*s, out);
        }
        fputc('"', out);
}

static void print_csv(FILE *out, struct bl_report_row *const *rows, size_t n)
{
        char buf[1100];

        for (int c = 0; c < NCOLS; c++)
                fprintf(out, "%s%s", c ? "," : "", cols[c].name);
        fputc('\n', out);
        for (size_t i = 0; i < n; i++) {
                for (int c = 0; c < NCOLS; c++) {
                        if (c > 0)
                                fputc(',', out);
                        cell(buf, sizeof(buf), rows[i], c, 1);
                        put_csv_field(out, buf);
                }
                fputc('\n', out);
        }
}

/* Whether the table shows column c: transaction columns only when some row has a value. */
static int shown(struct bl_report_row *const *rows, size_t n, int c)
{
        if (!cols[c].txn)
                return 1;
        for (size_t i = 0; i < n; i++)
                if (!isnan(num(rows[i], c)))
                        return 1;
        return 0;
}

static void print_table(FILE *out, struct bl_report_row *const *rows, size_t n)
{
        int width[NCOLS], show[NCOLS], last = 0;
        char buf[1100];

        for (int c = 0; c < NCOLS; c++) {
                show[c] = shown(rows, n, c);
                if (show[c])
                        last = c;
        }
        for (int c = 0; c < NCOLS; c++) {
                width[c] = (int)strlen(cols[c].name);
                for (size_t i = 0; i < n; i++) {
                        cell(buf, sizeof(buf), rows[i], c, 0);
                        if ((int)strlen(buf) > width[c])
                                width[c] = (int)strlen(buf);
                }
        }
        fprintf(out, "# ballot report: %zu run%s\n", n, n == 1 ? "" : "s");
        fprintf(out, "# columns:");
        for (int c = 0; c < NCOLS; c++)
                if (show[c])
                        fprintf(out, " %s", cols[c].name);
        fprintf(out, "\n# latency in us; rtt_us: median baseline MPI round trip; p50_rtt: p50 in "
                     "round trips; msg_rate: baseline messages/s; '-': not available\n");
        if (show[last] && cols[last].txn)
                fprintf(out, "# transactions: txn_per_s committed/s; abort_ratio aborted/finished; "
                             "commit latency in us and round trips; block_*_ms: how long "
                             "prepared participants waited for the decision\n");
        fprintf(out, "#");
        for (int c = 0; c < NCOLS; c++) {
                int w = c == last ? 0 : width[c];

                if (show[c])
                        fprintf(out, " %*s", cols[c].kind == K_STR ? -w : w, cols[c].name);
        }
        fputc('\n', out);
        for (size_t i = 0; i < n; i++) {
                fputc(' ', out);
                for (int c = 0; c < NCOLS; c++) {
                        int w = c == last ? 0 : width[c];

                        if (!show[c])
                                continue;
                        cell(buf, sizeof(buf), rows[i], c, 0);
                        if (buf[0] == '\0')
                                snprintf(buf, sizeof(buf), "-");
                        fprintf(out, " %*s", cols[c].kind == K_STR ? -w : w, buf);
                }
                fputc('\n', out);
        }
}

/* Pivot of one metric: rows (workload, ranks, replicas), columns kernels,
 * cells the mean over the runs that share both and have the same
 * configuration otherwise (else the row repeats). Returns 0 or BL_ENOMEM. */
static int find_col(const char *name);

static int print_pivot(FILE *out, struct bl_report_row *const *rows, size_t n, int metric, int csv)
{
        const char **kern = bl_calloc(n + 1, sizeof(*kern));
        size_t *rowkey = bl_calloc(n + 1, sizeof(*rowkey)), nk = 0, nr = 0;
        struct bl_report_row **sorted = bl_calloc(n + 1, sizeof(*sorted));

        if (kern == NULL || rowkey == NULL || sorted == NULL) {
                bl_free(kern);
                bl_free(rowkey);
                bl_free(sorted);
                return BL_ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                size_t k = 0;
                while (k < nk && strcmp(kern[k], rows[i]->kernel) != 0)
                        k++;
                if (k == nk)
                        kern[nk++] = rows[i]->kernel;
                sorted[i] = rows[i];
        }
        qsort(kern, nk, sizeof(*kern), cmp_str);
        /* Row order: workload, then ranks, then replicas. */
        sort_rows(sorted, n, find_col("replicas"), 0);
        sort_rows(sorted, n, find_col("ranks"), 0);
        sort_rows(sorted, n, find_col("workload"), 0);
        for (size_t i = 0; i < n; i++) {
                const struct bl_report_row *a = sorted[i];
                if (i == 0 || strcmp(a->workload, sorted[i - 1]->workload) != 0 ||
                    a->ranks != sorted[i - 1]->ranks || a->replicas != sorted[i - 1]->replicas)
                        rowkey[nr++] = i;
        }
        rowkey[nr] = n;
        if (csv) {
                fprintf(out, "workload,ranks,replicas");
                for (size_t k = 0; k < nk; k++)
                        fprintf(out, ",%s", kern[k]);
                fprintf(out, "\n");
        } else {
                fprintf(out,
                        "# ballot report: %s by kernel; rows: workload, ranks, replicas; "
                        "mean over repeated runs; '-': no run\n# %-10s %5s %8s",
                        cols[metric].name, "workload", "ranks", "replicas");
                for (size_t k = 0; k < nk; k++)
                        fprintf(out, " %12s", kern[k]);
                fprintf(out, "\n");
        }
        int split = 0;
        for (size_t r = 0; r < nr; r++) {
                const struct bl_report_row *first = sorted[rowkey[r]];
                /* Runs of one kernel whose configurations differ otherwise
                 * (fingerprint; seed and output aside) are not averaged:
                 * variant v of the row takes each kernel's v-th distinct
                 * configuration, so they show as separate rows. */
                size_t nvar = 1;
                for (size_t k = 0; k < nk; k++) {
                        size_t d = 0;
                        for (size_t i = rowkey[r]; i < rowkey[r + 1]; i++) {
                                if (strcmp(sorted[i]->kernel, kern[k]) != 0)
                                        continue;
                                int seen = 0;
                                for (size_t j = rowkey[r]; j < i && !seen; j++)
                                        seen = strcmp(sorted[j]->kernel, kern[k]) == 0 &&
                                               strcmp(sorted[j]->fingerprint,
                                                      sorted[i]->fingerprint) == 0;
                                d += !seen;
                        }
                        if (d > nvar)
                                nvar = d;
                }
                split |= nvar > 1;
                for (size_t v = 0; v < nvar; v++) {
                        if (csv)
                                fprintf(out, "%s,%d,%d", first->workload, first->ranks,
                                        first->replicas);
                        else
                                fprintf(out, "  %-10s %5d %8d", first->workload, first->ranks,
                                        first->replicas);
                        for (size_t k = 0; k < nk; k++) {
                                double sum = 0;
                                int cnt = 0;
                                const char *fp = NULL;
                                size_t d = 0;
                                /* The v-th distinct configuration of kernel k. */
                                for (size_t i = rowkey[r]; i < rowkey[r + 1] && fp == NULL; i++) {
                                        if (strcmp(sorted[i]->kernel, kern[k]) != 0)
                                                continue;
                                        int seen = 0;
                                        for (size_t j = rowkey[r]; j < i && !seen; j++)
                                                seen = strcmp(sorted[j]->kernel, kern[k]) == 0 &&
                                                       strcmp(sorted[j]->fingerprint,
                                                              sorted[i]->fingerprint) == 0;
                                        if (!seen && d++ == v)
                                                fp = sorted[i]->fingerprint;
                                }
                                for (size_t i = rowkey[r]; fp != NULL && i < rowkey[r + 1]; i++) {
                                        double x = num(sorted[i], metric);
                                        if (strcmp(sorted[i]->kernel, kern[k]) == 0 &&
                                            strcmp(sorted[i]->fingerprint, fp) == 0 && !isnan(x)) {
                                                sum += x;
                                                cnt++;
                                        }
                                }
                                if (csv)
                                        cnt ? fprintf(out, ",%.10g", sum / cnt) : fprintf(out, ",");
                                else if (cnt)
                                        fprintf(out, " %12.2f", sum / cnt);
                                else
                                        fprintf(out, " %12s", "-");
                        }
                        fprintf(out, "\n");
                }
        }
        if (split && !csv)
                fprintf(out, "# repeated rows: runs whose other settings differ (configuration "
                             "fingerprint) are not averaged together\n");
        bl_free(kern);
        bl_free(rowkey);
        bl_free(sorted);
        return 0;
}

static int find_col(const char *name)
{
        for (int c = 0; c < NCOLS; c++)
                if (strcmp(cols[c].name, name) == 0)
                        return c;
        return -1;
}

static int set_sort(struct opts *o, const char *key, FILE *err)
{
        o->descending = key[0] == '-';
        o->sort = find_col(key + o->descending);
        if (o->sort < 0) {
                fprintf(err, "ballot report: unknown sort key '%s'\n", key);
                usage(err);
                return 2;
        }
        return 0;
}

/* Parse options and collect the files. Returns 0, 1 (some path unusable),
 * 2 (usage error), 3 (--help printed) or BL_ENOMEM. */
static int parse(int argc, char **argv, struct opts *o, struct flist *fl, FILE *out, FILE *err)
{
        int status = 0, only_paths = 0, rc;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                struct stat st;

                if (!only_paths && strcmp(a, "--") == 0) {
                        only_paths = 1;
                } else if (!only_paths && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
                        usage(out);
                        return 3;
                } else if (!only_paths && strcmp(a, "--csv") == 0) {
                        o->csv = 1;
                } else if (!only_paths && strcmp(a, "--sort") == 0) {
                        if (i + 1 >= argc) {
                                fprintf(err, "ballot report: --sort needs a KEY\n");
                                usage(err);
                                return 2;
                        }
                        if (set_sort(o, argv[++i], err) != 0)
                                return 2;
                } else if (!only_paths && strcmp(a, "--metric") == 0) {
                        if (i + 1 >= argc || (o->metric = find_col(argv[i + 1])) < 0 ||
                            cols[o->metric].kind != K_NUM) {
                                fprintf(err, "ballot report: --metric needs a numeric column, "
                                             "e.g. ops_per_s or p99_us\n");
                                usage(err);
                                return 2;
                        }
                        i++;
                } else if (!only_paths && strcmp(a, "--group") == 0) {
                        o->group = 1;
                } else if (!only_paths && strcmp(a, "--compare") == 0) {
                        if (i + 1 >= argc || argv[i + 1][0] == '-' ||
                            strchr(argv[i + 1], '.') == NULL) {
                                fprintf(err, "ballot report: --compare needs an option "
                                             "section.key, e.g. experiment.kernel\n");
                                usage(err);
                                return 2;
                        }
                        o->compare = argv[++i];
                } else if (!only_paths && strncmp(a, "--sort=", 7) == 0) {
                        if (set_sort(o, a + 7, err) != 0)
                                return 2;
                } else if (!only_paths && a[0] == '-' && a[1] != '\0') {
                        fprintf(err, "ballot report: unknown option '%s'\n", a);
                        usage(err);
                        return 2;
                } else if (stat(a, &st) == 0 && S_ISDIR(st.st_mode)) {
                        rc = add_dir(fl, a, err);
                        if (rc < 0)
                                return rc;
                        if (rc > 0)
                                status = 1;
                } else if ((rc = flist_add(fl, a, NULL)) != 0) {
                        return rc;
                }
        }
        if (fl->n == 0 && status == 0) {
                fprintf(err, "ballot report: no result files given\n");
                usage(err);
                return 2;
        }
        return status;
}

int bl_report_main(int argc, char **argv, FILE *out, FILE *err)
{
        struct opts o = {.metric = -1, .csv = 0, .sort = -1, .descending = 0};
        struct flist fl = {0};
        struct bl_report_row *rows = NULL;
        struct bl_report_row **ok = NULL;
        size_t nok = 0;
        int status;

        status = parse(argc, argv, &o, &fl, out, err);
        if (status == 2 || status == 3) {
                flist_free(&fl);
                return status == 3 ? 0 : 2;
        }
        if (status < 0)
                goto out_nomem;
        if (fl.n > 0) {
                rows = bl_calloc(fl.n, sizeof(*rows));
                ok = bl_calloc(fl.n, sizeof(*ok));
                if (rows == NULL || ok == NULL)
                        goto out_nomem;
        }
        for (size_t i = 0; i < fl.n; i++) {
                struct bl_errbuf eb = {{0}};

                if (bl_results_read_row(fl.v[i], &rows[i], &eb) == 0)
                        ok[nok++] = &rows[i];
                else {
                        fprintf(err, "ballot report: %s\n", eb.msg);
                        status = 1;
                }
        }
        if (o.sort >= 0)
                sort_rows(ok, nok, o.sort, o.descending);
        if (o.compare != NULL || o.group) {
                int rc = o.compare != NULL ? bl_report_compare(out, err, ok, nok, o.compare, o.csv)
                                           : bl_report_group(out, err, ok, nok, o.csv);
                if (rc < 0)
                        goto out_nomem;
                if (rc > status)
                        status = rc;
        } else if (o.metric >= 0) {
                if (print_pivot(out, ok, nok, o.metric, o.csv) != 0)
                        goto out_nomem;
        } else if (o.csv)
                print_csv(out, ok, nok);
        else
                print_table(out, ok, nok);
        bl_free(ok);
        bl_free(rows);
        flist_free(&fl);
        return status;

out_nomem:
        fprintf(err, "ballot report: out of memory\n");
        bl_free(ok);
        bl_free(rows);
        flist_free(&fl);
        return 1;
}
