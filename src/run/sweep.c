/*
 * `ballot sweep`: the cartesian product of --vary values, each point run
 * --repeat times, all in the MPI job that called it (see sweep.h).
 *
 * The runtime is re-entrant: bl_run() allocates everything it uses and
 * frees it before it returns (the transport duplicates the communicator
 * and frees it), so runs follow each other on the same ranks. Rank 0 owns
 * the folder and the index; every other decision is computed identically
 * on every rank from the same arguments, and the few numbers rank 0 alone
 * learns (the folder name, a probe's peak) are broadcast.
 */
#include "run/sweep.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "config/config.h"
#include "results/report.h"
#include "results/results.h"
#include "run/faults.h"
#include "run/run.h"

#define MAX_VARY   8
#define RATE_KEY   "clients.rate"
#define AUTO_VALUE "auto"
#define DIR_MAX    (BL_PATH_MAX + BL_NAME_MAX + 64)

/* clients.rate=auto: these fractions of the probed closed-loop peak, from
 * light load to past saturation. */
static const double auto_fractions[] = {0.1, 0.3, 0.5, 0.7, 0.85, 1.0, 1.2};
#define N_AUTO ((int)(sizeof(auto_fractions) / sizeof(auto_fractions[0])))

struct vary {
        char key[2 * BL_NAME_MAX]; /* "section.key" */
        char **vals;               /* values as given ("auto" expanded later) */
        int n;
        int is_auto; /* clients.rate=auto */
};

struct point {
        int *vi;   /* value index per vary key */
        char **ov; /* "section.key=value" per vary key */
        struct bl_config cfg;
        struct bl_fault_plan plan;
        int probe; /* probe group (clients.rate=auto), -1 none */
};

struct sweep {
        MPI_Comm comm;
        int rank, size;
        const char *config;
        const char **ov; /* -o overrides, borrowed from argv */
        int nov;
        struct vary vary[MAX_VARY];
        int nvary;
        int repeat;
        int quiet;
        int force;           /* --force: reuse an existing sweep folder */
        const char *out_dir; /* --out */
        const char *command_line;
        struct point *pts;
        int npts;
        char dir[DIR_MAX];
        char **status; /* [npts * repeat]: "pending", "pass", "fail", "n/a", "error" */
        double *peak;  /* per probe group */
        int nprobe;
};

static void usage_hint(struct bl_errbuf *eb)
{
        size_t n = strlen(eb->msg);

        snprintf(eb->msg + n, sizeof(eb->msg) - n,
                 "\nusage: ballot sweep CONFIG.ini --vary section.key=v1,v2,... [--vary ...] "
                 "[--repeat N] [-o section.key=value ...] [--out DIR] [--force] [--quiet]");
}

/* ---- arguments ---------------------------------------------------------- */

static int split_values(struct vary *v, const char *list, struct bl_errbuf *eb)
{
        const char *p = list;

        for (;;) {
                const char *comma = strchr(p, ',');
                size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
                char **nv;

                if (len == 0)
                        return bl_errf(eb, BL_EINVAL, "--vary %s=%s: empty value in the list",
                                       v->key, list);
                nv = bl_realloc(v->vals, (size_t)(v->n + 1) * sizeof(*nv));
                if (nv == NULL)
                        return bl_errf(eb, BL_ENOMEM, "out of memory");
                v->vals = nv;
                v->vals[v->n] = bl_malloc(len + 1);
                if (v->vals[v->n] == NULL)
                        return bl_errf(eb, BL_ENOMEM, "out of memory");
                memcpy(v->vals[v->n], p, len);
                v->vals[v->n][len] = '\0';
                v->n++;
                /* The same value twice would make two points of one
                 * configuration, merged by report --group as one. */
                for (int i = 0; i < v->n - 1; i++)
                        if (strcmp(v->vals[i], v->vals[v->n - 1]) == 0)
                                return bl_errf(eb, BL_EINVAL,
                                               "--vary %s=%s: value '%s' given twice", v->key, list,
                                               v->vals[i]);
                if (comma == NULL)
                        return 0;
                p = comma + 1;
        }
}

static int add_vary(struct sweep *s, const char *arg, struct bl_errbuf *eb)
{
        const char *eq = strchr(arg, '=');
        struct vary *v;
        int rc;

        if (eq == NULL || eq == arg || strchr(arg, '.') == NULL || strchr(arg, '.') > eq ||
            eq[1] == '\0')
                return bl_errf(eb, BL_EINVAL,
                               "--vary %s: expected section.key=v1,v2,... "
                               "(e.g. experiment.kernel=none,raft)",
                               arg);
        if (s->nvary == MAX_VARY)
                return bl_errf(eb, BL_EINVAL, "at most %d --vary options", MAX_VARY);
        v = &s->vary[s->nvary];
        if ((size_t)(eq - arg) >= sizeof(v->key))
                return bl_errf(eb, BL_EINVAL, "--vary %s: key too long", arg);
        memcpy(v->key, arg, (size_t)(eq - arg));
        v->key[eq - arg] = '\0';
        for (int i = 0; i < s->nvary; i++)
                if (strcmp(s->vary[i].key, v->key) == 0)
                        return bl_errf(eb, BL_EINVAL, "--vary %s given twice", v->key);
        s->nvary++;
        rc = split_values(v, eq + 1, eb);
        if (rc != 0)
                return rc;
        for (int i = 0; i < v->n; i++) {
                if (strcmp(v->vals[i], AUTO_VALUE) != 0)
                        continue;
                if (strcmp(v->key, RATE_KEY) != 0 || v->n != 1)
                        return bl_errf(eb, BL_EINVAL,
                                       "--vary %s: 'auto' is only allowed alone, as "
                                       "--vary " RATE_KEY "=auto",
                                       arg);
                v->is_auto = 1;
        }
        return 0;
}

/* A value for an option must be present and must not be the next option. */
static const char *value_of(int argc, char **argv, int *i, struct bl_errbuf *eb)
{
        if (*i + 1 >= argc || (argv[*i + 1][0] == '-' && argv[*i + 1][1] != '\0')) {
                bl_errf(eb, BL_EINVAL, "%s needs a value", argv[*i]);
                return NULL;
        }
        return argv[++*i];
}

static int parse_args(struct sweep *s, int argc, char **argv, struct bl_errbuf *eb)
{
        const char *v;
        int rc;

        s->repeat = 1;
        s->ov = bl_calloc((size_t)argc + 1, sizeof(*s->ov));
        if (s->ov == NULL)
                return bl_errf(eb, BL_ENOMEM, "out of memory");
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];

                if (strcmp(a, "--vary") == 0) {
                        if ((v = value_of(argc, argv, &i, eb)) == NULL)
                                return BL_EINVAL;
                        if ((rc = add_vary(s, v, eb)) != 0)
                                return rc;
                } else if (strncmp(a, "--vary=", 7) == 0) {
                        if ((rc = add_vary(s, a + 7, eb)) != 0)
                                return rc;
                } else if (strcmp(a, "--repeat") == 0 || strncmp(a, "--repeat=", 9) == 0) {
                        char *end;
                        long n;

                        v = a[8] == '=' ? a + 9 : value_of(argc, argv, &i, eb);
                        if (v == NULL)
                                return BL_EINVAL;
                        n = strtol(v, &end, 10);
                        if (*v == '\0' || *end != '\0' || n < 1 || n > 1000)
                                return bl_errf(eb, BL_EINVAL,
                                               "--repeat %s: expected a whole number 1..1000", v);
                        s->repeat = (int)n;
                } else if (strcmp(a, "-o") == 0) {
                        if ((v = value_of(argc, argv, &i, eb)) == NULL)
                                return BL_EINVAL;
                        s->ov[s->nov++] = v;
                } else if (strncmp(a, "-o", 2) == 0 && a[2] != '\0') {
                        s->ov[s->nov++] = a + 2;
                } else if (strcmp(a, "--out") == 0) {
                        if ((s->out_dir = value_of(argc, argv, &i, eb)) == NULL)
                                return BL_EINVAL;
                } else if (strncmp(a, "--out=", 6) == 0) {
                        s->out_dir = a + 6;
                } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
                        s->quiet = 1;
                } else if (strcmp(a, "--force") == 0) {
                        s->force = 1;
                } else if (a[0] == '-' || s->config != NULL) {
                        return bl_errf(eb, BL_EINVAL, "unexpected argument '%s'", a);
                } else {
                        s->config = a;
                }
        }
        if (s->config == NULL)
                return bl_errf(eb, BL_EINVAL, "missing CONFIG.ini");
        if (s->out_dir != NULL && s->out_dir[0] == '\0')
                return bl_errf(eb, BL_EINVAL, "--out: empty folder name");
        if (s->nvary == 0 && s->repeat == 1)
                return bl_errf(eb, BL_EINVAL, "nothing to sweep: give --vary or --repeat N > 1");
        for (int i = 0; i < s->nov; i++)
                for (int k = 0; k < s->nvary; k++) {
                        size_t lk = strlen(s->vary[k].key);
                        if (strncmp(s->ov[i], s->vary[k].key, lk) == 0 && s->ov[i][lk] == '=')
                                return bl_errf(eb, BL_EINVAL,
                                               "-o %s and --vary %s name the same option", s->ov[i],
                                               s->vary[k].key);
                }
        return 0;
}

/* ---- points --------------------------------------------------------------- */

static int point_override(struct point *p, int k, const char *key, const char *value)
{
        size_t n = strlen(key) + strlen(value) + 2;

        bl_free(p->ov[k]);
        p->ov[k] = bl_malloc(n);
        if (p->ov[k] == NULL)
                return BL_ENOMEM;
        snprintf(p->ov[k], n, "%s=%s", key, value);
        return 0;
}

/* "experiment.kernel=raft clients.rate=1000" */
static void point_label(const struct sweep *s, const struct point *p, char *buf, size_t n)
{
        size_t len = 0;

        buf[0] = '\0';
        for (int k = 0; k < s->nvary && len < n; k++)
                len += (size_t)snprintf(buf + len, n - len, "%s%s", k ? " " : "", p->ov[k]);
}

/* Load one point's configuration with its overrides after the -o ones. */
static int load_point(struct sweep *s, struct point *p, struct bl_errbuf *eb)
{
        const char **ov = bl_calloc((size_t)(s->nov + s->nvary) + 1, sizeof(*ov));
        int rc;

        if (ov == NULL)
                return bl_errf(eb, BL_ENOMEM, "out of memory");
        for (int i = 0; i < s->nov; i++)
                ov[i] = s->ov[i];
        for (int k = 0; k < s->nvary; k++)
                ov[s->nov + k] =
                    s->vary[k].is_auto && strcmp(p->ov[k], RATE_KEY "=" AUTO_VALUE) == 0 ? RATE_KEY
                        "=1" /* validated with a placeholder rate */
                                                                                         : p->ov[k];
        rc = bl_config_load(&p->cfg, s->config, ov, s->nov + s->nvary, s->size, eb);
        bl_free(ov);
        bl_faults_free(&p->plan);
        if (rc == 0 && p->cfg.faults.schedule[0] != '\0') {
                char fpath[2 * BL_PATH_MAX];

                rc = bl_faults_resolve_path(s->config, p->cfg.faults.schedule, fpath, sizeof(fpath),
                                            eb);
                if (rc == 0)
                        rc = bl_faults_parse_file(fpath, s->size, p->cfg.cluster.shards, &p->plan,
                                                  eb);
                if (rc == 0)
                        rc = bl_faults_check_run(fpath, &p->plan, &p->cfg, NULL, eb);
        }
        return rc;
}

/* Build the product (first --vary outermost) and validate every point. A
 * clients.rate=auto point is validated with a placeholder open-loop rate. */
static int make_points(struct sweep *s, struct bl_errbuf *eb)
{
        int n = 1, refused = 0, auto_k = -1, group_stride = 1;

        for (int k = 0; k < s->nvary; k++) {
                if (s->vary[k].is_auto) {
                        auto_k = k;
                        n *= N_AUTO;
                } else {
                        n *= s->vary[k].n;
                }
        }
        if (n > 100000)
                return bl_errf(eb, BL_EINVAL, "%d points: too many for one sweep", n);
        s->pts = bl_calloc((size_t)n, sizeof(*s->pts));
        if (s->pts == NULL)
                return bl_errf(eb, BL_ENOMEM, "out of memory");
        s->npts = n;
        if (auto_k >= 0)
                s->nprobe = n / N_AUTO;
        for (int i = 0; i < n; i++) {
                struct point *p = &s->pts[i];
                int rest = i, group = 0;

                p->vi = bl_calloc((size_t)s->nvary + 1, sizeof(int));
                p->ov = bl_calloc((size_t)s->nvary + 1, sizeof(char *));
                if (p->vi == NULL || p->ov == NULL)
                        return bl_errf(eb, BL_ENOMEM, "out of memory");
                group_stride = 1;
                for (int k = s->nvary - 1; k >= 0; k--) {
                        int nk = s->vary[k].is_auto ? N_AUTO : s->vary[k].n;
                        p->vi[k] = rest % nk;
                        rest /= nk;
                        if (k != auto_k) {
                                group += p->vi[k] * group_stride;
                                group_stride *= nk;
                        }
                        if (point_override(p, k, s->vary[k].key,
                                           s->vary[k].is_auto ? AUTO_VALUE
                                                              : s->vary[k].vals[p->vi[k]]) != 0)
                                return bl_errf(eb, BL_ENOMEM, "out of memory");
                }
                p->probe = auto_k >= 0 ? group : -1;
                if (load_point(s, p, eb) != 0) {
                        char label[512];

                        point_label(s, p, label, sizeof(label));
                        if (s->rank == 0)
                                fprintf(stderr, "ballot sweep: point %d (%s) refused: %s\n", i,
                                        label, eb->msg);
                        refused++;
                }
        }
        if (refused)
                return bl_errf(eb, BL_ECONFIG, "%d of %d points refused; nothing was run", refused,
                               n);
        return 0;
}

/* ---- folder and index ------------------------------------------------------ */

/* mkdir -p: create dir and the folders above it. 0 or -1 with errno. */
static int mkdir_p(const char *dir)
{
        char buf[DIR_MAX];

        snprintf(buf, sizeof(buf), "%s", dir);
        for (char *p = buf + 1; *p != '\0'; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                        return -1;
                *p = '/';
        }
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return -1;
        /* EEXIST also covers a file or a device of that name. */
        struct stat st;
        if (stat(buf, &st) != 0)
                return -1;
        if (!S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                return -1;
        }
        return 0;
}

/* --force over an earlier sweep: remove its run and probe files, so that
 * the folder (and report or ballot-plot on it) holds this sweep's runs only,
 * not a mix with runs of the other configurations the old sweep measured.
 * Only the names a sweep writes are touched: pNNN-rR.h5 and probe/probe-NNN.h5. */
static int clear_old_sweep(const char *dir, struct bl_errbuf *eb)
{
        static const char *const sub[] = {"", "/probe"};

        for (int d = 0; d < 2; d++) {
                char path[DIR_MAX + 16],
                    file[DIR_MAX + 16 + sizeof(((struct dirent *)0)->d_name) + 2];
                DIR *dp;
                struct dirent *e;

                snprintf(path, sizeof(path), "%s%s", dir, sub[d]);
                if ((dp = opendir(path)) == NULL)
                        continue;
                while ((e = readdir(dp)) != NULL) {
                        unsigned a, b;
                        int end = 0;

                        if (d == 0 ? sscanf(e->d_name, "p%u-r%u.h5%n", &a, &b, &end) != 2
                                   : sscanf(e->d_name, "probe-%u.h5%n", &a, &end) != 1)
                                continue;
                        if (end == 0 || e->d_name[end] != '\0')
                                continue;
                        snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
                        if (unlink(file) != 0 && errno != ENOENT) {
                                closedir(dp);
                                return bl_errf(eb, BL_EIO, "--force: cannot remove %s: %s", file,
                                               strerror(errno));
                        }
                }
                closedir(dp);
        }
        return 0;
}

static int make_dir(struct sweep *s, struct bl_errbuf *eb)
{
        int rc = 0;

        if (s->rank == 0) {
                const struct bl_config *c = &s->pts[0].cfg;
                char stamp[32];
                time_t now = time(NULL);
                struct tm tm;

                gmtime_r(&now, &tm);
                strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
                if (s->out_dir != NULL) {
                        char idx[DIR_MAX + 32];

                        snprintf(s->dir, sizeof(s->dir), "%s", s->out_dir);
                        snprintf(idx, sizeof(idx), "%s/%s", s->dir, BL_SWEEP_INDEX);
                        if (!s->force && access(idx, F_OK) == 0)
                                rc = bl_errf(eb, BL_ECONFIG,
                                             "--out %s holds a sweep already (%s); another folder, "
                                             "or --force to replace its runs",
                                             s->dir, BL_SWEEP_INDEX);
                        else if (access(idx, F_OK) == 0 && clear_old_sweep(s->dir, eb) != 0)
                                rc = BL_EIO;
                        else if (mkdir_p(s->dir) != 0)
                                rc = bl_errf(eb, BL_ECONFIG,
                                             "--out %s: cannot create the folder: %s", s->dir,
                                             strerror(errno));
                } else {
                        if (mkdir_p(c->experiment.output_dir) != 0)
                                rc = bl_errf(eb, BL_ECONFIG, "[experiment] output_dir %s: %s",
                                             c->experiment.output_dir, strerror(errno));
                        snprintf(s->dir, sizeof(s->dir), "%s/%s-%s", c->experiment.output_dir,
                                 c->experiment.name, stamp);
                        for (int i = 2; rc == 0 && mkdir(s->dir, 0777) != 0; i++) {
                                if (errno != EEXIST || i > 999) {
                                        rc = bl_errf(eb, BL_EIO, "cannot create %s: %s", s->dir,
                                                     strerror(errno));
                                        break;
                                }
                                snprintf(s->dir, sizeof(s->dir), "%s/%s-%s-%d",
                                         c->experiment.output_dir, c->experiment.name, stamp, i);
                        }
                }
        }
        MPI_Bcast(&rc, 1, MPI_INT, 0, s->comm);
        MPI_Bcast(s->dir, (int)sizeof(s->dir), MPI_CHAR, 0, s->comm);
        if (rc != 0 && s->rank != 0)
                bl_errf(eb, rc, "rank 0 could not create the sweep folder");
        return rc;
}

static void put_csv(FILE *f, const char *v)
{
        if (strpbrk(v, ",\"\n") == NULL) {
                fputs(v, f);
                return;
        }
        fputc('"', f);
        for (; *v != '\0'; v++) {
                if (*v == '"')
                        fputc('"', f);
                fputc(*v, f);
        }
        fputc('"', f);
}

/* Rank 0: rewrite DIR/index.csv (temporary name, then rename). */
static void write_index(const struct sweep *s)
{
        char path[DIR_MAX + 32], tmp[DIR_MAX + 48];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", s->dir, BL_SWEEP_INDEX);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        f = fopen(tmp, "w");
        if (f == NULL) {
                fprintf(stderr, "ballot sweep: cannot write %s: %s\n", tmp, strerror(errno));
                return;
        }
        fputs(BL_SWEEP_INDEX_HEADER, f);
        for (int k = 0; k < s->nvary; k++) {
                fputc(',', f);
                put_csv(f, s->vary[k].key);
        }
        fputc('\n', f);
        for (int r = 0; r < s->repeat; r++) {
                for (int i = 0; i < s->npts; i++) {
                        const struct point *p = &s->pts[i];
                        int run = r * s->npts + i;

                        fprintf(f, "%d,%d,%d,%llu,p%03d-r%d.h5,%s", run, i, r,
                                (unsigned long long)(p->cfg.experiment.seed + (uint64_t)r), i, r,
                                s->status[run]);
                        for (int k = 0; k < s->nvary; k++) {
                                fputc(',', f);
                                put_csv(f, strchr(p->ov[k], '=') + 1);
                        }
                        fputc('\n', f);
                }
        }
        if (fclose(f) != 0 || rename(tmp, path) != 0)
                fprintf(stderr, "ballot sweep: cannot write %s: %s\n", path, strerror(errno));
}

/* ---- clients.rate=auto ------------------------------------------------------ */

/*
 * One closed-loop probe per combination of the other values: the first
 * point of the group with clients.rate = 0 and at least 16 requests in
 * flight per client (the peak, not the latency of one request), 1 s
 * measured after 0.3 s of warm-up. The rates are fractions of its ops/s.
 */
static int probe(struct sweep *s, int group, int *collective, struct bl_errbuf *eb)
{
        struct point *p = NULL;
        struct bl_config cfg;
        struct bl_run_opts opts = {0};
        char path[DIR_MAX + 64], label[512];
        double peak = 0;
        int rc;

        for (int i = 0; i < s->npts && p == NULL; i++)
                if (s->pts[i].probe == group)
                        p = &s->pts[i];
        cfg = p->cfg;
        cfg.clients.rate = 0;
        if (cfg.clients.outstanding < 16)
                cfg.clients.outstanding = 16;
        cfg.experiment.duration_s = 1;
        cfg.experiment.ops = 0;
        cfg.experiment.warmup_s = 0.3;
        cfg.experiment.status_interval_s = 0;
        snprintf(path, sizeof(path), "%s/probe", s->dir);
        if (s->rank == 0 && mkdir(path, 0777) != 0 && errno != EEXIST)
                fprintf(stderr, "ballot sweep: cannot create %s: %s\n", path, strerror(errno));
        snprintf(path, sizeof(path), "%s/probe/probe-%03d.h5", s->dir, group);
        point_label(s, p, label, sizeof(label));
        if (s->rank == 0) {
                printf("# sweep: probing the closed-loop peak for %s (probe %d)\n", label, group);
                fflush(stdout);
        }
        opts.command_line = s->command_line;
        opts.out_path = path;
        opts.quiet = 1;
        opts.no_summary = 1;
        opts.faults = p->plan.n > 0 ? &p->plan : NULL;
        rc = bl_run(s->comm, &cfg, &opts, collective, eb);
        if (rc != 0 && rc != BL_ECHECK)
                return rc;
        if (s->rank == 0) {
                struct bl_report_row row;
                struct bl_errbuf reb = {{0}};

                if (bl_results_read_row(path, &row, &reb) == 0 && row.ops_per_s > 0)
                        peak = row.ops_per_s;
                else
                        fprintf(stderr, "ballot sweep: probe %s: %s\n", path,
                                reb.msg[0] ? reb.msg : "no throughput");
        }
        MPI_Bcast(&peak, 1, MPI_DOUBLE, 0, s->comm);
        if (!(peak > 0))
                return bl_errf(eb, BL_EIO, "the probe of %s measured no throughput", label);
        s->peak[group] = peak;
        return 0;
}

static int resolve_auto(struct sweep *s, int *collective, struct bl_errbuf *eb)
{
        int k = 0;

        if (s->nprobe == 0)
                return 0;
        while (!s->vary[k].is_auto)
                k++;
        s->peak = bl_calloc((size_t)s->nprobe, sizeof(double));
        if (s->peak == NULL)
                return bl_errf(eb, BL_ENOMEM, "out of memory");
        for (int g = 0; g < s->nprobe; g++) {
                int rc = probe(s, g, collective, eb);
                if (rc != 0)
                        return rc;
        }
        for (int i = 0; i < s->npts; i++) {
                struct point *p = &s->pts[i];
                char v[32];
                double rate = round(auto_fractions[p->vi[k]] * s->peak[p->probe]);

                snprintf(v, sizeof(v), "%.0f", rate < 1 ? 1 : rate);
                if (point_override(p, k, RATE_KEY, v) != 0)
                        return bl_errf(eb, BL_ENOMEM, "out of memory");
                if (load_point(s, p, eb) != 0)
                        return BL_ECONFIG;
        }
        if (s->rank == 0) {
                for (int g = 0; g < s->nprobe; g++)
                        printf("# sweep: probe %d peak %.0f ops/s -> rates %s\n", g, s->peak[g],
                               "0.1, 0.3, 0.5, 0.7, 0.85, 1.0, 1.2 x peak");
                fflush(stdout);
        }
        return 0;
}

/* ---- the runs ------------------------------------------------------------------ */

/* Rank 0: one line with the run's headline numbers, read back from its file. */
static void print_run(const char *path, char *status)
{
        struct bl_report_row row;
        struct bl_errbuf eb = {{0}};

        if (strcmp(status, "error") == 0 || bl_results_read_row(path, &row, &eb) != 0) {
                printf("# sweep run: %s\n", status);
        } else {
                /* A run that returned 0 passed, or had nothing to judge. */
                if (strcmp(status, "pass") == 0)
                        snprintf(status, 16, "%s", row.verdict);
                printf("# sweep run: %.0f ops/s, p50 %.1f us, p99 %.1f us, verdict %s -> %s\n",
                       row.ops_per_s, row.p50_us, row.p99_us, row.verdict, path);
        }
        fflush(stdout);
}

static int run_all(struct sweep *s, int *collective, struct bl_errbuf *eb, int *nfail, int *ninc,
                   int *nerr)
{
        int total = s->npts * s->repeat;

        for (int run = 0; run < total; run++) {
                int r = run / s->npts, i = run % s->npts, rc;
                struct point *p = &s->pts[i];
                struct bl_config cfg = p->cfg;
                struct bl_run_opts opts = {0};
                struct bl_errbuf reb = {{0}};
                char path[DIR_MAX + 32], label[512];

                cfg.experiment.seed = p->cfg.experiment.seed + (uint64_t)r;
                snprintf(path, sizeof(path), "%s/p%03d-r%d.h5", s->dir, i, r);
                point_label(s, p, label, sizeof(label));
                if (s->rank == 0) {
                        printf("%s# sweep run %d/%d: point %d (%s), repetition %d, seed %llu\n",
                               s->quiet ? "" : "\n", run + 1, total, i, label[0] ? label : "base",
                               r, (unsigned long long)cfg.experiment.seed);
                        fflush(stdout);
                }
                opts.command_line = s->command_line;
                opts.out_path = path;
                opts.quiet = s->quiet;
                opts.no_summary = s->quiet;
                opts.faults = p->plan.n > 0 ? &p->plan : NULL;
                rc = bl_run(s->comm, &cfg, &opts, collective, &reb);
                if (rc != 0 && !*collective) {
                        *eb = reb;
                        return rc;
                }
                if (rc == 0) {
                        snprintf(s->status[run], 16, "pass");
                } else if (rc == BL_ECHECK) {
                        snprintf(s->status[run], 16, "fail");
                        ++*nfail;
                } else if (rc == BL_EINCONCLUSIVE) {
                        snprintf(s->status[run], 16, "inconclusive");
                        ++*ninc;
                } else {
                        snprintf(s->status[run], 16, "error");
                        ++*nerr;
                        if (s->rank == 0)
                                fprintf(stderr, "ballot sweep: run %d (%s): %s\n", run, label,
                                        reb.msg);
                }
                if (s->rank == 0) {
                        print_run(path, s->status[run]);
                        write_index(s);
                }
        }
        return 0;
}

/* Rank 0: the report --group table of this sweep's own files (not of every
 * file in the folder, which --out may share with other runs). */
static void report_runs(const struct sweep *s)
{
        int total = s->npts * s->repeat, n = 2;
        char **argv = bl_calloc((size_t)total + 3, sizeof(*argv));
        char *paths = bl_malloc((size_t)total * (DIR_MAX + 32) + 1);

        if (argv == NULL || paths == NULL) {
                fprintf(stderr, "ballot sweep: out of memory for the closing report\n");
        } else {
                argv[0] = "report";
                argv[1] = "--group";
                for (int run = 0; run < total; run++) {
                        char *path = paths + (size_t)run * (DIR_MAX + 32);

                        snprintf(path, DIR_MAX + 32, "%s/p%03d-r%d.h5", s->dir, run % s->npts,
                                 run / s->npts);
                        if (access(path, F_OK) == 0)
                                argv[n++] = path;
                }
                if (n > 2)
                        bl_report_main(n, argv, stdout, stderr);
        }
        bl_free(argv);
        bl_free(paths);
}

static void free_sweep(struct sweep *s)
{
        for (int k = 0; k < s->nvary; k++) {
                for (int i = 0; i < s->vary[k].n; i++)
                        bl_free(s->vary[k].vals[i]);
                bl_free(s->vary[k].vals);
        }
        for (int i = 0; i < s->npts; i++) {
                for (int k = 0; s->pts[i].ov != NULL && k < s->nvary; k++)
                        bl_free(s->pts[i].ov[k]);
                bl_free(s->pts[i].ov);
                bl_free(s->pts[i].vi);
                bl_faults_free(&s->pts[i].plan);
        }
        for (int i = 0; s->status != NULL && i < s->npts * s->repeat; i++)
                bl_free(s->status[i]);
        bl_free(s->status);
        bl_free(s->pts);
        bl_free(s->peak);
        bl_free(s->ov);
}

int bl_sweep_main(MPI_Comm comm, int argc, char **argv, const char *command_line, int *collective,
                  struct bl_errbuf *eb)
{
        struct sweep s;
        int rc, nfail = 0, ninc = 0, nerr = 0;

        memset(&s, 0, sizeof(s));
        *collective = 1;
        s.comm = comm;
        s.command_line = command_line;
        MPI_Comm_rank(comm, &s.rank);
        MPI_Comm_size(comm, &s.size);
        rc = parse_args(&s, argc, argv, eb);
        if (rc == BL_EINVAL)
                usage_hint(eb);
        if (rc == 0)
                rc = make_points(&s, eb);
        if (rc == 0) {
                s.status = bl_calloc((size_t)(s.npts * s.repeat), sizeof(char *));
                for (int i = 0; s.status != NULL && i < s.npts * s.repeat; i++)
                        if ((s.status[i] = bl_strdup("pending")) == NULL)
                                rc = bl_errf(eb, BL_ENOMEM, "out of memory");
                if (s.status == NULL)
                        rc = bl_errf(eb, BL_ENOMEM, "out of memory");
        }
        if (rc == 0)
                rc = make_dir(&s, eb);
        if (rc == 0 && s.rank == 0) {
                printf("# sweep: %d point%s x %d repetition%s = %d runs on %d ranks into %s/\n",
                       s.npts, s.npts == 1 ? "" : "s", s.repeat, s.repeat == 1 ? "" : "s",
                       s.npts * s.repeat, s.size, s.dir);
                fflush(stdout);
        }
        if (rc == 0)
                rc = resolve_auto(&s, collective, eb);
        if (rc == 0 && s.rank == 0)
                write_index(&s);
        if (rc == 0)
                rc = run_all(&s, collective, eb, &nfail, &ninc, &nerr);
        if (rc == 0 && s.rank == 0) {
                printf("\n# sweep done: %d runs, %d failed a verdict, %d inconclusive, %d errors; "
                       "index %s/%s\n",
                       s.npts * s.repeat, nfail, ninc, nerr, s.dir, BL_SWEEP_INDEX);
                fflush(stdout);
                report_runs(&s);
                printf("# next: build/ballot report --compare KEY %s   "
                       "tools/ballot-plot %s -o %s/plots\n",
                       s.dir, s.dir, s.dir);
                fflush(stdout);
        }
        if (rc == 0 && nerr > 0)
                rc = bl_errf(eb, BL_EIO, "%d of %d runs failed with an error (see %s/%s)", nerr,
                             s.npts * s.repeat, s.dir, BL_SWEEP_INDEX);
        else if (rc == 0 && nfail > 0)
                rc =
                    bl_errf(eb, BL_ECHECK, "%d of %d runs failed a correctness verdict (see %s/%s)",
                            nfail, s.npts * s.repeat, s.dir, BL_SWEEP_INDEX);
        else if (rc == 0 && ninc > 0)
                rc = bl_errf(eb, BL_EINCONCLUSIVE,
                             "%d of %d runs had an inconclusive verdict (see %s/%s)", ninc,
                             s.npts * s.repeat, s.dir, BL_SWEEP_INDEX);
        free_sweep(&s);
        return rc;
}
