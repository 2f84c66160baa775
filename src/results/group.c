/*
 * `ballot report --group` and `--compare KEY` (see group.h).
 *
 * Runs group by configuration fingerprint (results/fingerprint.h): equal
 * options but the seed, name and output folder, on the same rank count.
 * Each group gets the median of ops/s, p50 and p99 over its runs and a
 * distribution-free confidence interval for each median (order statistics,
 * exact binomial coverage). The interval is about the median run of this
 * configuration on this machine; it cannot know about what the runs share
 * (the same hour of a shared machine), so repetitions interleaved over the
 * points of a sweep are worth more than repetitions back to back.
 */
#include "results/group.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "results/fingerprint.h"

enum { M_OPS, M_P50, M_P99, N_METRICS };

static const char *const metric_name[N_METRICS] = {"ops_per_s", "p50_us", "p99_us"};
static const char *const metric_fmt[N_METRICS] = {"%.0f", "%.1f", "%.1f"};

/* A run that completed no operation measured a throughput (zero) but no
 * latency: its percentiles are missing, not zero. */
static double metric(const struct bl_report_row *r, int m)
{
        if (m == M_OPS)
                return r->ops_per_s;
        if (!(r->ops_per_s > 0))
                return NAN;
        return m == M_P50 ? r->p50_us : r->p99_us;
}

/* ---- the statistics ------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

/* P(B <= k) for B ~ Binomial(n, 1/2), summed in logs (n may be large). */
static double binom_half_cdf(size_t n, size_t k)
{
        double p = 0;

        for (size_t i = 0; i <= k && i <= n; i++)
                p += exp(lgamma((double)n + 1) - lgamma((double)i + 1) -
                         lgamma((double)(n - i) + 1) - (double)n * log(2.0));
        return p;
}

void bl_median_ci(const double *v, size_t n, double want, struct bl_median_ci *out)
{
        double *x = bl_malloc((n + 1) * sizeof(*x));
        size_t m = 0, k = 1;

        out->median = out->low = out->high = NAN;
        out->level = 0;
        out->n = 0;
        if (x == NULL)
                return;
        for (size_t i = 0; i < n; i++)
                if (!isnan(v[i]))
                        x[m++] = v[i];
        out->n = m;
        if (m == 0) {
                bl_free(x);
                return;
        }
        qsort(x, m, sizeof(*x), cmp_double);
        out->median = m % 2 ? x[m / 2] : (x[m / 2 - 1] + x[m / 2]) / 2;
        if (m >= 2) {
                /* Widen from the middle outwards: the largest k (narrowest
                 * interval) whose coverage is still at least `want`. */
                for (size_t j = (m + 1) / 2; j >= 1; j--) {
                        if (1 - 2 * binom_half_cdf(m, j - 1) >= want) {
                                k = j;
                                break;
                        }
                        if (j == 1)
                                k = 1;
                }
                out->low = x[k - 1];
                out->high = x[m - k];
                out->level = 1 - 2 * binom_half_cdf(m, k - 1);
        }
        bl_free(x);
}

int bl_ci_noisy(const struct bl_median_ci *c)
{
        if (c->n < 2 || isnan(c->low))
                return 0;
        return c->low < c->median * (1 - BL_NOISY_FRACTION) ||
               c->high > c->median * (1 + BL_NOISY_FRACTION);
}

int bl_ci_overlap(const struct bl_median_ci *a, const struct bl_median_ci *b)
{
        if (a->n < 2 || b->n < 2 || isnan(a->low) || isnan(b->low))
                return -1;
        return a->low <= b->high && b->low <= a->high;
}

/* ---- grouping -------------------------------------------------------------- */

struct run {
        const struct bl_report_row *row;
        struct bl_stored_config cfg;
        uint64_t rest;     /* fingerprint without the compared key */
        const char *value; /* the compared key's value */
        int ok;            /* configuration read */
        int grp;
};

struct grp {
        size_t first; /* index of its first run */
        size_t n;
        int pass;
        uint64_t rest;
        struct bl_median_ci ci[N_METRICS];
        int noisy;
};

struct set {
        struct run *runs;
        size_t n;
        struct grp *g;
        size_t ng;
};

static const char *cfg_value(const struct bl_stored_config *c, const char *skey)
{
        size_t ls;

        for (size_t i = 0; i < c->n; i++) {
                ls = strlen(c->entries[i].section);
                if (strncmp(skey, c->entries[i].section, ls) == 0 && skey[ls] == '.' &&
                    strcmp(skey + ls + 1, c->entries[i].key) == 0)
                        return c->entries[i].value;
        }
        return NULL;
}

static void set_free(struct set *s)
{
        for (size_t i = 0; s->runs != NULL && i < s->n; i++)
                bl_stored_config_free(&s->runs[i].cfg);
        bl_free(s->runs);
        bl_free(s->g);
}

/* Read every run's configuration. Returns 0, 1 (some unreadable, named on
 * err and left out) or BL_ENOMEM. */
static int read_runs(struct set *s, FILE *err, struct bl_report_row *const *rows, size_t n)
{
        int status = 0;

        s->runs = bl_calloc(n + 1, sizeof(*s->runs));
        s->g = bl_calloc(n + 1, sizeof(*s->g));
        if (s->runs == NULL || s->g == NULL)
                return BL_ENOMEM;
        s->n = n;
        for (size_t i = 0; i < n; i++) {
                struct bl_errbuf eb = {{0}};

                s->runs[i].row = rows[i];
                s->runs[i].grp = -1;
                if (bl_results_read_config(rows[i]->file, &s->runs[i].cfg, &eb) == 0) {
                        s->runs[i].ok = 1;
                } else {
                        fprintf(err, "ballot report: %s\n", eb.msg);
                        status = 1;
                }
        }
        return status;
}

/* Group runs on (key(run)) equality; key: fingerprint or (rest, value). */
static int same(const struct run *a, const struct run *b, int compare)
{
        if (!compare)
                return strcmp(a->row->fingerprint, b->row->fingerprint) == 0;
        return a->rest == b->rest && strcmp(a->value, b->value) == 0;
}

static int make_groups(struct set *s, int compare)
{
        double *v = bl_malloc((s->n + 1) * sizeof(*v));

        if (v == NULL)
                return BL_ENOMEM;
        for (size_t i = 0; i < s->n; i++) {
                struct run *r = &s->runs[i];
                size_t g = 0;

                if (!r->ok)
                        continue;
                while (g < s->ng && !same(&s->runs[s->g[g].first], r, compare))
                        g++;
                if (g == s->ng)
                        s->g[s->ng++] = (struct grp){.first = i, .rest = r->rest};
                r->grp = (int)g;
                s->g[g].n++;
                s->g[g].pass += strcmp(r->row->verdict, "pass") == 0;
        }
        for (size_t g = 0; g < s->ng; g++) {
                for (int m = 0; m < N_METRICS; m++) {
                        size_t k = 0;
                        for (size_t i = 0; i < s->n; i++)
                                if (s->runs[i].grp == (int)g)
                                        v[k++] = metric(s->runs[i].row, m);
                        bl_median_ci(v, k, BL_CI_LEVEL, &s->g[g].ci[m]);
                        if (bl_ci_noisy(&s->g[g].ci[m]))
                                s->g[g].noisy |= 1 << m;
                }
        }
        bl_free(v);
        return 0;
}

/* The options (but excluded ones and skip) whose values differ between the
 * groups' first runs, as "section.key=value ..." of group g. */
static void differing(const struct set *s, size_t g, const char *skip, char *buf, size_t size)
{
        const struct bl_stored_config *c = &s->runs[s->g[g].first].cfg;
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < c->n && len < size; i++) {
                const struct bl_cfg_entry *e = &c->entries[i];
                char skey[160];
                int differs = 0;

                if (bl_fingerprint_excluded(e->section, e->key))
                        continue;
                snprintf(skey, sizeof(skey), "%s.%s", e->section, e->key);
                if (skip != NULL && strcmp(skey, skip) == 0)
                        continue;
                for (size_t h = 0; h < s->ng && !differs; h++) {
                        const char *o = cfg_value(&s->runs[s->g[h].first].cfg, skey);
                        differs = o == NULL || strcmp(o, e->value) != 0;
                }
                if (differs)
                        len += (size_t)snprintf(buf + len, size - len, "%s%s=%s", len ? " " : "",
                                                skey, e->value);
        }
        if (s->runs[s->g[g].first].cfg.nranks >= 0) {
                for (size_t h = 0; h < s->ng && len < size; h++)
                        if (s->runs[s->g[h].first].cfg.nranks != c->nranks) {
                                snprintf(buf + len, size - len, "%sranks=%d", len ? " " : "",
                                         c->nranks);
                                break;
                        }
        }
}

static void noisy_text(int mask, char *buf, size_t n)
{
        size_t len = 0;

        buf[0] = '\0';
        for (int m = 0; m < N_METRICS; m++)
                if (mask & (1 << m))
                        len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "," : "",
                                                metric_name[m]);
        if (len == 0)
                snprintf(buf, n, "-");
}

/* "1234 [1200 1300]" or "1234 [-]". When the interval rests on fewer runs
 * than the group has (latencies of runs that completed nothing are
 * missing), its own n and coverage follow, since the ci% column gives the
 * coverage over all the group's runs: "35.0 [30.0 40.0] n=2:50%". */
static void ci_text(const struct bl_median_ci *c, int m, size_t group_n, char *buf, size_t n)
{
        char a[24], lo[24], hi[24], own[32] = "";

        if (c->n < group_n)
                snprintf(own, sizeof(own), c->n >= 2 ? " n=%zu:%.0f%%" : " n=%zu", c->n,
                         100 * c->level);
        snprintf(a, sizeof(a), metric_fmt[m], c->median);
        if (isnan(c->low)) {
                snprintf(buf, n, "%s [-]%s", a, own);
                return;
        }
        snprintf(lo, sizeof(lo), metric_fmt[m], c->low);
        snprintf(hi, sizeof(hi), metric_fmt[m], c->high);
        snprintf(buf, n, "%s [%s %s]%s", a, lo, hi, own);
}

static void csv_num(FILE *out, double v)
{
        if (isnan(v))
                fputs(",", out);
        else
                fprintf(out, ",%.10g", v);
}

static void csv_str(FILE *out, const char *s)
{
        fputc(',', out);
        if (strpbrk(s, ",\"\n") == NULL) {
                fputs(s, out);
                return;
        }
        fputc('"', out);
        for (; *s; s++) {
                if (*s == '"')
                        fputc('"', out);
                fputc(*s, out);
        }
        fputc('"', out);
}

static void legend(FILE *out)
{
        fprintf(out, "# median over the runs of a group; [low high]: confidence interval of the "
                     "median from order statistics (distribution-free), its coverage in ci%%\n"
                     "# (95%% needs n >= 6; with fewer runs it is [min max], e.g. 75%% for n = 3); "
                     "noisy: an interval reaches beyond +-10%% of its median\n");
}

int bl_report_group(FILE *out, FILE *err, struct bl_report_row *const *rows, size_t n, int csv)
{
        struct set s = {0};
        char conf[1024], noisy[64], cell[N_METRICS][96];
        int status = read_runs(&s, err, rows, n), w[N_METRICS];

        if (status < 0 || make_groups(&s, 0) != 0) {
                set_free(&s);
                return BL_ENOMEM;
        }
        if (csv) {
                fprintf(out, "fingerprint,name,kernel,ranks,shards,replicas,workload,n,ci_level");
                for (int m = 0; m < N_METRICS; m++)
                        fprintf(out, ",%s,%s_ci_low,%s_ci_high", metric_name[m], metric_name[m],
                                metric_name[m]);
                fprintf(out, ",passed,noisy,config,latency_n,latency_ci_level\n");
        } else {
                fprintf(out, "# ballot report --group: %zu run%s in %zu configuration%s\n", n,
                        n == 1 ? "" : "s", s.ng, s.ng == 1 ? "" : "s");
                legend(out);
        }
        for (int m = 0; m < N_METRICS; m++) {
                w[m] = (int)strlen(metric_name[m]) + 6;
                for (size_t g = 0; g < s.ng; g++) {
                        ci_text(&s.g[g].ci[m], m, s.g[g].n, cell[m], sizeof(cell[m]));
                        if ((int)strlen(cell[m]) > w[m])
                                w[m] = (int)strlen(cell[m]);
                }
        }
        if (!csv)
                fprintf(out, "# %-16s %-10s %5s %-8s %3s %4s %*s %*s %*s %-6s %-8s %s\n",
                        "fingerprint", "kernel", "ranks", "workload", "n", "ci%", w[0],
                        "ops_per_s [ci]", w[1], "p50_us [ci]", w[2], "p99_us [ci]", "passed",
                        "noisy", "config (options that differ)");
        for (size_t g = 0; g < s.ng; g++) {
                const struct grp *gr = &s.g[g];
                const struct bl_report_row *r = s.runs[gr->first].row;
                const struct bl_median_ci *c = gr->ci;

                differing(&s, g, NULL, conf, sizeof(conf));
                noisy_text(gr->noisy, noisy, sizeof(noisy));
                if (csv) {
                        fprintf(out, "%s", r->fingerprint);
                        csv_str(out, r->name);
                        csv_str(out, r->kernel);
                        fprintf(out, ",%d,%d,%d", r->ranks, r->shards, r->replicas);
                        csv_str(out, r->workload);
                        fprintf(out, ",%zu", gr->n);
                        csv_num(out, gr->n >= 2 ? c[0].level : NAN);
                        for (int m = 0; m < N_METRICS; m++) {
                                csv_num(out, c[m].median);
                                csv_num(out, c[m].low);
                                csv_num(out, c[m].high);
                        }
                        fprintf(out, ",%d", gr->pass);
                        csv_str(out, gr->noisy ? noisy : "");
                        csv_str(out, conf);
                        fprintf(out, ",%zu", c[M_P50].n);
                        csv_num(out, c[M_P50].n >= 2 ? c[M_P50].level : NAN);
                        fputc('\n', out);
                        continue;
                }
                char lvl[8] = "-", pass[24];
                if (gr->n >= 2)
                        snprintf(lvl, sizeof(lvl), "%.0f", 100 * c[0].level);
                snprintf(pass, sizeof(pass), "%d/%zu", gr->pass, gr->n);
                for (int m = 0; m < N_METRICS; m++)
                        ci_text(&c[m], m, gr->n, cell[m], sizeof(cell[m]));
                fprintf(out, "  %-16s %-10s %5d %-8s %3zu %4s %*s %*s %*s %-6s %-8s %s\n",
                        r->fingerprint, r->kernel, r->ranks, r->workload, gr->n, lvl, w[0], cell[0],
                        w[1], cell[1], w[2], cell[2], pass, noisy, conf[0] ? conf : "-");
        }
        set_free(&s);
        return status;
}

/* ---- --compare KEY ------------------------------------------------------------ */

static const char *overlap_word(int o)
{
        return o < 0 ? "?" : o ? "yes" : "no";
}

int bl_report_compare(FILE *out, FILE *err, struct bl_report_row *const *rows, size_t n,
                      const char *key, int csv)
{
        struct set s = {0};
        int status = read_runs(&s, err, rows, n), known = 0, ncfg = 0, kw = (int)strlen(key);
        char conf[1024], cell[96];

        if (status < 0) {
                set_free(&s);
                return BL_ENOMEM;
        }
        for (size_t i = 0; i < s.n; i++) {
                struct run *r = &s.runs[i];
                if (!r->ok)
                        continue;
                r->value = cfg_value(&r->cfg, key);
                if (r->value == NULL) {
                        r->ok = 0;
                        continue;
                }
                known = 1;
                if ((int)strlen(r->value) > kw)
                        kw = (int)strlen(r->value);
                r->rest = bl_fingerprint(r->cfg.entries, r->cfg.n, r->cfg.nranks, key);
        }
        if (!known) {
                fprintf(err,
                        "ballot report: --compare %s: no such option in these result files "
                        "(expected section.key, e.g. experiment.kernel)\n",
                        key);
                set_free(&s);
                return 2;
        }
        if (make_groups(&s, 1) != 0) {
                set_free(&s);
                return BL_ENOMEM;
        }
        if (csv) {
                fprintf(out, "config,%s,n,ci_level", key);
                for (int m = 0; m < N_METRICS; m++)
                        fprintf(out, ",%s,%s_ci_low,%s_ci_high,%s_ratio,%s_overlap", metric_name[m],
                                metric_name[m], metric_name[m], metric_name[m], metric_name[m]);
                fprintf(out, ",passed,noisy,latency_n,latency_ci_level\n");
        } else {
                fprintf(out,
                        "# ballot report --compare %s: %zu runs; the values of %s side by "
                        "side for otherwise equal configurations\n",
                        key, n, key);
                legend(out);
                fprintf(out, "# ratio: median / median of the first value; overlap: do the two "
                             "intervals overlap (no: a difference beyond the noise; ?: n < 2)\n");
        }
        /* One block per configuration (rest fingerprint), in order of first
         * appearance; inside it the values in order of first appearance. */
        for (size_t g0 = 0; g0 < s.ng; g0++) {
                int seen = 0;
                for (size_t h = 0; h < g0 && !seen; h++)
                        seen = s.g[h].rest == s.g[g0].rest;
                if (seen)
                        continue;
                ncfg++;
                differing(&s, g0, key, conf, sizeof(conf));
                if (!csv)
                        fprintf(out,
                                "\n# configuration %d: %s%s%d ranks, %s; %s\n# %-*s %3s %4s "
                                "%-24s %6s %-7s %-22s %6s %-7s %-22s %6s %-7s %-6s %s\n",
                                ncfg,
                                strcmp(key, "experiment.kernel") == 0
                                    ? ""
                                    : s.runs[s.g[g0].first].row->kernel,
                                strcmp(key, "experiment.kernel") == 0 ? "" : " ",
                                s.runs[s.g[g0].first].row->ranks,
                                s.runs[s.g[g0].first].row->workload,
                                conf[0] ? conf : "the only one", kw, key, "n", "ci%",
                                "ops_per_s [ci]", "ratio", "overlap", "p50_us [ci]", "ratio",
                                "overlap", "p99_us [ci]", "ratio", "overlap", "passed", "noisy");
                const struct grp *base = &s.g[g0];
                for (size_t g = g0; g < s.ng; g++) {
                        const struct grp *gr = &s.g[g];
                        char noisy[64], lvl[8] = "-";

                        if (gr->rest != base->rest)
                                continue;
                        noisy_text(gr->noisy, noisy, sizeof(noisy));
                        if (gr->n >= 2)
                                snprintf(lvl, sizeof(lvl), "%.0f", 100 * gr->ci[0].level);
                        if (csv) {
                                fprintf(out, "%d", ncfg);
                                csv_str(out, s.runs[gr->first].value);
                                fprintf(out, ",%zu", gr->n);
                                csv_num(out, gr->n >= 2 ? gr->ci[0].level : NAN);
                        } else {
                                fprintf(out, "  %-*s %3zu %4s", kw, s.runs[gr->first].value, gr->n,
                                        lvl);
                        }
                        for (int m = 0; m < N_METRICS; m++) {
                                const struct bl_median_ci *c = &gr->ci[m], *b = &base->ci[m];
                                double ratio = b->median != 0 ? c->median / b->median : NAN;
                                int ov = bl_ci_overlap(c, b);

                                if (csv) {
                                        csv_num(out, c->median);
                                        csv_num(out, c->low);
                                        csv_num(out, c->high);
                                        csv_num(out, ratio);
                                        csv_str(out, g == g0 ? "" : overlap_word(ov));
                                        continue;
                                }
                                ci_text(c, m, gr->n, cell, sizeof(cell));
                                fprintf(out, " %-*s %6.2f %-7s", m == M_OPS ? 24 : 22, cell, ratio,
                                        g == g0 ? "-" : overlap_word(ov));
                        }
                        if (csv) {
                                fprintf(out, ",%d", gr->pass);
                                csv_str(out, gr->noisy ? noisy : "");
                                fprintf(out, ",%zu", gr->ci[M_P50].n);
                                csv_num(out, gr->ci[M_P50].n >= 2 ? gr->ci[M_P50].level : NAN);
                                fputc('\n', out);
                        } else {
                                char pass[24];
                                snprintf(pass, sizeof(pass), "%d/%zu", gr->pass, gr->n);
                                fprintf(out, " %-6s %s\n", pass, noisy);
                        }
                }
        }
        set_free(&s);
        return status;
}
