/*
 * Fault schedule parser and validator (grammar in faults.h).
 *
 * Two passes. The first reads the text line by line: each line is trimmed,
 * blanks around list punctuation are squeezed out ("0, 1 | 2" -> "0,1|2"),
 * it is split into words and parsed into one struct bl_fault (syntax, ranges,
 * groups, links). The faults are then sorted by time, stably, and the second
 * pass walks them in time order to check what depends on order: recover after
 * crash, no double crash, no overlapping partitions, heal only when one is
 * active. Messages quote the offending line, found again in the text by its
 * number, so nothing is kept per line. Work is linear in the text plus
 * O(n log n) for the sort; schedules are capped at BL_FAULTS_MAX_LINES lines.
 */
#include "run/faults.h"

#include "common/alloc.h"
#include "common/err.h"
#include "common/number.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_WORDS 16
#define QUOTE_MAX 120 /* bytes of the offending line quoted in a message */
#define NS_PER_S  1000000000ULL

static const char *const kind_names[BL_FAULT__COUNT] = {
    [BL_FAULT_CRASH] = "crash",         [BL_FAULT_RECOVER] = "recover",
    [BL_FAULT_PARTITION] = "partition", [BL_FAULT_HEAL] = "heal",
    [BL_FAULT_DROP] = "drop",           [BL_FAULT_DUP] = "duplicate",
    [BL_FAULT_DELAY] = "delay",         [BL_FAULT_PAUSE] = "pause",
    [BL_FAULT_TRANSFER] = "transfer",   [BL_FAULT_CORRUPT_WAL] = "corrupt-wal",
};

static const char *const usages[BL_FAULT__COUNT] = {
    [BL_FAULT_CRASH] = "TIME crash rank:R|leader:S",
    [BL_FAULT_RECOVER] = "TIME recover rank:R|leader:S",
    [BL_FAULT_PARTITION] = "TIME partition GROUPS [for DUR], e.g. 2s partition 0,1|2 for 1s",
    [BL_FAULT_HEAL] = "TIME heal",
    [BL_FAULT_DROP] = "TIME drop FRACTION [LINKS] [for DUR], e.g. 1s drop 5% 0->1 for 2s",
    [BL_FAULT_DUP] = "TIME duplicate FRACTION [LINKS] [for DUR], e.g. 1s duplicate 0.01",
    [BL_FAULT_DELAY] = "TIME delay MEAN [jitter J] [LINKS] [for DUR], e.g. 1s delay 1ms jitter "
                       "0.5ms",
    [BL_FAULT_PAUSE] = "TIME pause rank:R|leader:S DUR, e.g. 3s pause rank:1 500ms",
    [BL_FAULT_TRANSFER] = "TIME transfer shard:S [to member:M]",
    [BL_FAULT_CORRUPT_WAL] = "TIME corrupt-wal rank:R tail|middle, e.g. 3s corrupt-wal rank:1 "
                             "tail (between a crash of rank:R and its recover)",
};

#define LINKS_ALLOWED "all, R->Q, R<->Q, R->*, *->Q, several separated by commas"

struct parser {
        const char *name;
        const char *text;
        int nranks;
        int nshards;
        struct bl_errbuf *eb;
        int line; /* line being parsed (first pass) */
        struct bl_fault *f;
        size_t n, cap;
};

const char *bl_fault_kind_name(int kind)
{
        if (kind < 0 || kind >= BL_FAULT__COUNT)
                return "unknown";
        return kind_names[kind];
}

/* ---- messages ---- */

/* Start of line `line` (1-based) in text, or NULL past the end. */
static const char *find_line(const char *text, int line)
{
        const char *s = text;

        for (int i = 1; i < line; i++) {
                s = strchr(s, '\n');
                if (s == NULL)
                        return NULL;
                s++;
        }
        return s;
}

/* The line without its comment and surrounding blanks, at most QUOTE_MAX
 * bytes (then ending in "..."). */
static void quote_line(const char *text, int line, char *out, size_t outlen)
{
        const char *s = find_line(text, line);
        size_t n = 0;

        out[0] = '\0';
        if (s == NULL)
                return;
        if (line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
                s += 3;
        while (*s == ' ' || *s == '\t')
                s++;
        while (s[n] != '\0' && s[n] != '\n' && s[n] != '#')
                n++;
        while (n > 0 && isspace((unsigned char)s[n - 1]))
                n--;
        if (n > QUOTE_MAX && outlen > QUOTE_MAX + 3) {
                snprintf(out, outlen, "%.*s...", QUOTE_MAX, s);
                return;
        }
        snprintf(out, outlen, "%.*s", (int)n, s);
}

/* BL_ECONFIG with "NAME:LINE: "<line>": <what>". */
__attribute__((format(printf, 3, 4))) static int perr(struct parser *p, int line, const char *fmt,
                                                      ...)
{
        char what[BL_ERRMSG_SIZE];
        char quoted[QUOTE_MAX + 4];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        quote_line(p->text, line, quoted, sizeof(quoted));
        return bl_errf(p->eb, BL_ECONFIG, "%s:%d: \"%s\": %s", p->name, line, quoted, what);
}

/* ---- numbers ---- */

/* A rank, shard or member number: decimal digits only, at most INT_MAX.
 * Returns 0 or -1. */
static int parse_int(const char *s, size_t n, int *out)
{
        long v = 0;

        if (n == 0 || n > 10)
                return -1;
        for (size_t i = 0; i < n; i++) {
                if (!isdigit((unsigned char)s[i]))
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        if (v > INT_MAX)
                return -1;
        *out = (int)v;
        return 0;
}

enum dur_err { DUR_OK, DUR_SYNTAX, DUR_NOUNIT, DUR_UNIT, DUR_NEGATIVE, DUR_RESOLUTION, DUR_RANGE };

/* "2.5s", "300ms", "50us", "7ns" -> nanoseconds, exactly (no floating
 * point). Returns DUR_OK or what is wrong. */
static enum dur_err parse_ns(const char *s, uint64_t *out)
{
        const char *p = s, *frac = NULL;
        uint64_t ip = 0, mult, scale, total;
        size_t nfrac = 0;
        int digits = 0;

        if (*p == '-')
                return isdigit((unsigned char)p[1]) || p[1] == '.' ? DUR_NEGATIVE : DUR_SYNTAX;
        for (; isdigit((unsigned char)*p); p++, digits++)
                ip = ip > BL_FAULTS_MAX_NS ? ip : ip * 10 + (uint64_t)(*p - '0');
        if (*p == '.') {
                frac = ++p;
                for (; isdigit((unsigned char)*p); p++)
                        nfrac++;
                digits += (int)nfrac;
        }
        if (digits == 0)
                return DUR_SYNTAX;
        if (*p == '\0')
                return DUR_NOUNIT;
        if (strcmp(p, "ns") == 0)
                mult = 1;
        else if (strcmp(p, "us") == 0)
                mult = 1000;
        else if (strcmp(p, "ms") == 0)
                mult = 1000000;
        else if (strcmp(p, "s") == 0)
                mult = NS_PER_S;
        else
                return isalpha((unsigned char)*p) ? DUR_UNIT : DUR_SYNTAX;
        if (ip > BL_FAULTS_MAX_NS / mult)
                return DUR_RANGE;
        total = ip * mult;
        scale = mult;
        for (size_t i = 0; i < nfrac; i++) {
                uint64_t d = (uint64_t)(frac[i] - '0');

                scale /= 10;
                if (scale == 0 && d != 0)
                        return DUR_RESOLUTION;
                total += d * scale;
        }
        if (total > BL_FAULTS_MAX_NS)
                return DUR_RANGE;
        *out = total;
        return DUR_OK;
}

/* Parse word w as a duration; what names it in messages ("time", "duration
 * after for", ...). positive: 0 is refused. */
static int parse_dur(struct parser *p, const char *w, const char *what, int positive, uint64_t *out)
{
        const char *unit = w;

        switch (parse_ns(w, out)) {
        case DUR_OK:
                break;
        case DUR_SYNTAX:
                return perr(p, p->line,
                            "bad %s \"%s\"; write a number and a unit (ns, us, ms, s), e.g. 2.5s "
                            "or 300ms",
                            what, w);
        case DUR_NOUNIT:
                return perr(p, p->line,
                            "%s \"%s\" has no unit; add one of ns, us, ms, s (e.g. %ss)", what, w,
                            w);
        case DUR_UNIT:
                while (*unit != '\0' && !isalpha((unsigned char)*unit))
                        unit++;
                return perr(p, p->line,
                            "%s \"%s\" has an unknown unit \"%s\"; allowed: ns, us, ms, s", what, w,
                            unit);
        case DUR_NEGATIVE:
                return perr(p, p->line,
                            "%s \"%s\" is negative; times count from the start of the workload "
                            "and durations are positive",
                            what, w);
        case DUR_RESOLUTION:
                return perr(p, p->line, "%s \"%s\" is finer than 1ns, the resolution", what, w);
        case DUR_RANGE:
                return perr(p, p->line, "%s \"%s\" is too large; at most %llus", what, w,
                            (unsigned long long)(BL_FAULTS_MAX_NS / NS_PER_S));
        }
        if (positive && *out == 0)
                return perr(p, p->line, "%s \"%s\" must be more than 0", what, w);
        return 0;
}

/* "0.05", "5%", "1e-3": a fraction in [0, 1], read as every number in
 * ballot is (common/number.h), with an optional final '%'. */
static int parse_fraction(struct parser *p, const char *w, double *out)
{
        char num[64];
        size_t len = strlen(w);
        int pct = len > 0 && w[len - 1] == '%';
        double v = -1;

        if (pct)
                len--;
        if (len < sizeof(num)) {
                memcpy(num, w, len);
                num[len] = '\0';
        }
        if (len >= sizeof(num) || bl_parse_double(num, &v) != BL_NUM_OK)
                return perr(p, p->line, "bad fraction \"%s\"; write e.g. 0.05 or 5%%", w);
        if (pct)
                v /= 100;
        if (!(v >= 0.0 && v <= 1.0))
                return perr(p, p->line, "fraction \"%s\" is outside [0,1]; write e.g. 0.05 or 5%%",
                            w);
        *out = v;
        return 0;
}

/* ---- targets, groups, links ---- */

/* "rank:R" or "leader:S" into f->target_kind, f->target. */
static int parse_target(struct parser *p, const char *w, struct bl_fault *f)
{
        int v;

        if (strncasecmp(w, "rank:", 5) == 0) {
                if (parse_int(w + 5, strlen(w + 5), &v) != 0)
                        return perr(p, p->line, "bad target \"%s\"; write rank:R with R in 0..%d",
                                    w, p->nranks - 1);
                if (v >= p->nranks)
                        return perr(p, p->line, "rank %d does not exist; ranks are 0..%d", v,
                                    p->nranks - 1);
                f->target_kind = BL_TARGET_RANK;
        } else if (strncasecmp(w, "leader:", 7) == 0) {
                if (parse_int(w + 7, strlen(w + 7), &v) != 0)
                        return perr(p, p->line, "bad target \"%s\"; write leader:S with S in 0..%d",
                                    w, p->nshards - 1);
                if (v >= p->nshards)
                        return perr(p, p->line, "shard %d does not exist; shards are 0..%d", v,
                                    p->nshards - 1);
                f->target_kind = BL_TARGET_LEADER;
        } else {
                return perr(p, p->line,
                            "bad target \"%s\"; allowed: rank:R (R in 0..%d) or leader:S (S in "
                            "0..%d)",
                            w, p->nranks - 1, p->nshards - 1);
        }
        f->target = v;
        return 0;
}

/* One group item "R" or "A-B" (the bytes [s, s+n)) into lo..hi. */
static int parse_group_item(struct parser *p, const char *w, const char *s, size_t n, int *lo,
                            int *hi)
{
        const char *dash = memchr(s, '-', n);

        if (n == 0)
                return perr(p, p->line,
                            "empty group or rank in \"%s\"; groups are ranks separated by ',' "
                            "and groups by '|', e.g. 0,1|2 or 0|1-3",
                            w);
        if (dash == NULL) {
                if (parse_int(s, n, lo) != 0)
                        goto bad;
                *hi = *lo;
        } else if (parse_int(s, (size_t)(dash - s), lo) != 0 ||
                   parse_int(dash + 1, n - (size_t)(dash - s) - 1, hi) != 0) {
                goto bad;
        }
        if (*lo > *hi)
                return perr(p, p->line, "rank range %d-%d is backwards; write %d-%d", *lo, *hi, *hi,
                            *lo);
        if (*hi >= p->nranks)
                return perr(p, p->line, "rank %d does not exist; ranks are 0..%d", *hi,
                            p->nranks - 1);
        return 0;
bad:
        return perr(p, p->line,
                    "bad rank \"%.*s\" in \"%s\"; groups are ranks (R or A-B) separated by ',' "
                    "and groups by '|', e.g. 0,1|2 or 0|1-3",
                    (int)n, s, w);
}

/* GROUPS into f->group_of_rank, f->ngroups, f->nranks. */
static int parse_groups(struct parser *p, const char *w, struct bl_fault *f)
{
        const char *s = w;
        int group = 0, unlisted = 0, rc;

        f->group_of_rank = bl_malloc((size_t)p->nranks * sizeof(*f->group_of_rank));
        if (f->group_of_rank == NULL)
                return bl_errf(p->eb, BL_ENOMEM, "%s:%d: out of memory", p->name, p->line);
        f->nranks = p->nranks;
        for (int r = 0; r < p->nranks; r++)
                f->group_of_rank[r] = -1;
        for (;;) {
                size_t glen = strcspn(s, "|");
                const char *gend = s + glen;

                for (const char *it = s;;) {
                        size_t ilen = strcspn(it, ",|");
                        int lo = 0, hi = -1;

                        rc = parse_group_item(p, w, it, ilen, &lo, &hi);
                        if (rc != 0)
                                return rc;
                        for (int r = lo; r <= hi; r++) {
                                if (f->group_of_rank[r] >= 0)
                                        return perr(p, p->line,
                                                    "rank %d is listed twice in \"%s\"; a rank "
                                                    "belongs to one group",
                                                    r, w);
                                f->group_of_rank[r] = group;
                        }
                        it += ilen;
                        if (it >= gend)
                                break;
                        it++; /* the ',' */
                }
                group++;
                if (*gend == '\0')
                        break;
                s = gend + 1;
        }
        for (int r = 0; r < p->nranks; r++) {
                if (f->group_of_rank[r] < 0) {
                        f->group_of_rank[r] = group;
                        unlisted = 1;
                }
        }
        f->ngroups = group + unlisted;
        if (f->ngroups < 2)
                return perr(p, p->line,
                            "partition \"%s\" does not split anything: every rank is in one "
                            "group; list at least two groups, or leave some ranks out (e.g. "
                            "0|1,2 or 0)",
                            w);
        return 0;
}

/* One end of a link: "*" (-1) or a rank. */
static int parse_link_end(struct parser *p, const char *item, size_t itemlen, const char *s,
                          size_t n, int *r)
{
        if (n == 1 && s[0] == '*') {
                *r = -1;
                return 0;
        }
        if (parse_int(s, n, r) != 0)
                return perr(p, p->line, "bad link \"%.*s\"; allowed: " LINKS_ALLOWED, (int)itemlen,
                            item);
        if (*r >= p->nranks)
                return perr(p, p->line,
                            "link \"%.*s\" names rank %d, which does not exist; ranks are 0..%d",
                            (int)itemlen, item, *r, p->nranks - 1);
        return 0;
}

static void add_link(struct bl_fault *f, int src, int dst)
{
        for (int i = 0; i < f->nlinks; i++)
                if (f->links[i].src == src && f->links[i].dst == dst)
                        return;
        f->links[f->nlinks].src = src;
        f->links[f->nlinks].dst = dst;
        f->nlinks++;
}

/* LINKS into f->links (room for two per item: R<->Q gives two). */
static int parse_links(struct parser *p, const char *w, struct bl_fault *f)
{
        size_t items = 1;
        const char *s = w;

        for (const char *c = w; *c != '\0'; c++)
                items += *c == ',';
        f->links = bl_malloc(2 * items * sizeof(*f->links));
        if (f->links == NULL)
                return bl_errf(p->eb, BL_ENOMEM, "%s:%d: out of memory", p->name, p->line);
        for (;;) {
                size_t n = strcspn(s, ",");
                const char *arrow = NULL;
                size_t alen = 0;
                int src = -1, dst = -1, rc;

                for (size_t i = 0; i + 1 < n && arrow == NULL; i++) {
                        if (i + 2 < n && strncmp(s + i, "<->", 3) == 0)
                                alen = 3;
                        else if (strncmp(s + i, "->", 2) == 0)
                                alen = 2;
                        if (alen > 0)
                                arrow = s + i;
                }
                if (n == 3 && strncasecmp(s, "all", 3) == 0) {
                        add_link(f, -1, -1);
                } else if (arrow == NULL) {
                        return perr(p, p->line, "bad link \"%.*s\"; allowed: " LINKS_ALLOWED,
                                    (int)n, s);
                } else {
                        rc = parse_link_end(p, s, n, s, (size_t)(arrow - s), &src);
                        if (rc == 0)
                                rc = parse_link_end(p, s, n, arrow + alen,
                                                    n - (size_t)(arrow - s) - alen, &dst);
                        if (rc != 0)
                                return rc;
                        if (src == dst && src >= 0)
                                return perr(p, p->line,
                                            "link \"%.*s\" joins rank %d to itself; a link "
                                            "needs two different ranks",
                                            (int)n, s, src);
                        add_link(f, src, dst);
                        if (alen == 3)
                                add_link(f, dst, src);
                }
                if (s[n] == '\0')
                        break;
                s += n + 1;
        }
        return 0;
}

/* "shard:S" and the optional "to member:M" of transfer; *i is the next word. */
static int parse_transfer(struct parser *p, char **w, int nw, int *i, struct bl_fault *f)
{
        int v;

        if (*i >= nw)
                return perr(p, p->line, "transfer needs a shard; usage: %s",
                            usages[BL_FAULT_TRANSFER]);
        if (strncasecmp(w[*i], "shard:", 6) != 0 ||
            parse_int(w[*i] + 6, strlen(w[*i] + 6), &v) != 0)
                return perr(p, p->line, "bad shard \"%s\"; write shard:S with S in 0..%d", w[*i],
                            p->nshards - 1);
        if (v >= p->nshards)
                return perr(p, p->line, "shard %d does not exist; shards are 0..%d", v,
                            p->nshards - 1);
        f->target_kind = BL_TARGET_LEADER;
        f->target = v;
        (*i)++;
        if (*i >= nw || strcasecmp(w[*i], "to") != 0)
                return 0;
        if (*i + 1 >= nw)
                return perr(p, p->line, "\"to\" needs a member; usage: %s",
                            usages[BL_FAULT_TRANSFER]);
        if (strncasecmp(w[*i + 1], "member:", 7) != 0 ||
            parse_int(w[*i + 1] + 7, strlen(w[*i + 1] + 7), &v) != 0)
                return perr(p, p->line,
                            "bad member \"%s\"; write member:M (M a member index of "
                            "the shard, from 0)",
                            w[*i + 1]);
        if (v >= p->nranks)
                return perr(p, p->line,
                            "member %d cannot exist with %d ranks; members are 0.."
                            "replicas-1",
                            v, p->nranks);
        f->to_member = v;
        *i += 2;
        return 0;
}

/* ---- lines ---- */

/*
 * Copy the line s (len bytes, no '\n') into out without its comment and
 * outer blanks, squeezing the blanks around ',', '|', ':', '%', "->" and
 * "<->", and single blanks elsewhere. Returns the length written.
 */
static size_t clean_line(const char *s, size_t len, char *out)
{
        size_t o = 0;

        for (size_t i = 0; i < len && s[i] != '#'; i++) {
                if (isspace((unsigned char)s[i])) {
                        size_t j = i;
                        const char *nx;
                        char prev = o > 0 ? out[o - 1] : '\0';

                        while (j < len && isspace((unsigned char)s[j]))
                                j++;
                        if (j >= len || s[j] == '#')
                                break;
                        nx = s + j;
                        if (o > 0 && !strchr(",|:", prev) &&
                            !(prev == '>' && o >= 2 && out[o - 2] == '-') && !strchr(",|:%", *nx) &&
                            !(len - j >= 2 && strncmp(nx, "->", 2) == 0) &&
                            !(len - j >= 3 && strncmp(nx, "<->", 3) == 0))
                                out[o++] = ' ';
                        i = j - 1;
                        continue;
                }
                out[o++] = s[i];
        }
        out[o] = '\0';
        return o;
}

/* Split buf at blanks into at most MAX_WORDS words. Returns the count, or -1
 * when there are more. */
static int split_words(char *buf, char **w)
{
        char *save = NULL;
        int n = 0;

        for (char *tok = strtok_r(buf, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
                if (n == MAX_WORDS)
                        return -1;
                w[n++] = tok;
        }
        return n;
}

static void fault_init(struct bl_fault *f, int line)
{
        memset(f, 0, sizeof(*f));
        f->line = line;
        f->to_member = -1;
        f->crash_id = -1;
}

static void fault_free(struct bl_fault *f)
{
        bl_free(f->links);
        bl_free(f->group_of_rank);
        f->links = NULL;
        f->group_of_rank = NULL;
}

/* The words after the action's required arguments: [jitter J] [LINKS]
 * [for DUR], each at most once, as the action allows. */
static int parse_options(struct parser *p, char **w, int nw, int i, struct bl_fault *f)
{
        int has_links =
            f->kind == BL_FAULT_DROP || f->kind == BL_FAULT_DUP || f->kind == BL_FAULT_DELAY;
        int has_for = has_links || f->kind == BL_FAULT_PARTITION;
        int seen_for = 0, seen_jitter = 0, rc;

        for (; i < nw; i++) {
                if (has_for && !seen_for && strcasecmp(w[i], "for") == 0) {
                        if (i + 1 >= nw)
                                return perr(p, p->line, "\"for\" needs a duration; usage: %s",
                                            usages[f->kind]);
                        rc = parse_dur(p, w[++i], "duration after \"for\"", 1, &f->for_ns);
                        seen_for = 1;
                } else if (f->kind == BL_FAULT_DELAY && !seen_jitter &&
                           strcasecmp(w[i], "jitter") == 0) {
                        if (i + 1 >= nw)
                                return perr(p, p->line, "\"jitter\" needs a duration; usage: %s",
                                            usages[f->kind]);
                        rc = parse_dur(p, w[++i], "jitter", 0, &f->jitter_ns);
                        seen_jitter = 1;
                } else if (has_links && f->links == NULL && strcasecmp(w[i], "for") != 0 &&
                           strcasecmp(w[i], "jitter") != 0) {
                        rc = parse_links(p, w[i], f);
                } else {
                        return perr(p, p->line, "unexpected \"%s\"; usage: %s", w[i],
                                    usages[f->kind]);
                }
                if (rc != 0)
                        return rc;
        }
        if (has_links && f->links == NULL) {
                f->links = bl_malloc(sizeof(*f->links));
                if (f->links == NULL)
                        return bl_errf(p->eb, BL_ENOMEM, "%s:%d: out of memory", p->name, p->line);
                add_link(f, -1, -1);
        }
        return 0;
}

/* One line's words into f (already initialised). */
static int parse_fault(struct parser *p, char **w, int nw, struct bl_fault *f)
{
        int i = 2, kind = -1, rc;

        if (parse_ns(w[0], &f->at_ns) == DUR_SYNTAX)
                return perr(p, p->line,
                            "bad time \"%s\"; a line reads TIME ACTION ..., e.g. \"2s crash "
                            "rank:0\", with a time made of a number and a unit (ns, us, ms, s)",
                            w[0]);
        rc = parse_dur(p, w[0], "time", 0, &f->at_ns);
        if (rc != 0)
                return rc;
        if (nw < 2)
                return perr(p, p->line,
                            "missing action after the time; allowed: crash, recover, partition, "
                            "heal, drop, duplicate, delay, pause, transfer, corrupt-wal");
        for (int k = 0; k < BL_FAULT__COUNT; k++)
                if (strcasecmp(w[1], kind_names[k]) == 0)
                        kind = k;
        if (kind < 0)
                return perr(p, p->line,
                            "unknown action \"%s\"; allowed: crash, recover, partition, heal, "
                            "drop, duplicate, delay, pause, transfer, corrupt-wal",
                            w[1]);
        f->kind = (enum bl_fault_kind)kind;
        switch (f->kind) {
        case BL_FAULT_CRASH:
        case BL_FAULT_RECOVER:
        case BL_FAULT_PAUSE:
                if (i >= nw)
                        return perr(p, p->line, "%s needs a target; usage: %s", w[1], usages[kind]);
                rc = parse_target(p, w[i++], f);
                if (rc != 0 || f->kind != BL_FAULT_PAUSE)
                        break;
                if (i >= nw)
                        return perr(p, p->line, "pause needs a duration; usage: %s", usages[kind]);
                rc = parse_dur(p, w[i++], "pause duration", 1, &f->pause_ns);
                break;
        case BL_FAULT_PARTITION:
                if (i >= nw || strcasecmp(w[i], "for") == 0)
                        return perr(p, p->line, "partition needs groups; usage: %s", usages[kind]);
                rc = parse_groups(p, w[i++], f);
                break;
        case BL_FAULT_DROP:
        case BL_FAULT_DUP:
                if (i >= nw)
                        return perr(p, p->line, "%s needs a fraction; usage: %s", w[1],
                                    usages[kind]);
                rc = parse_fraction(p, w[i++], &f->fraction);
                break;
        case BL_FAULT_DELAY:
                if (i >= nw)
                        return perr(p, p->line, "delay needs a mean; usage: %s", usages[kind]);
                rc = parse_dur(p, w[i++], "delay", 1, &f->delay_ns);
                break;
        case BL_FAULT_TRANSFER:
                rc = parse_transfer(p, w, nw, &i, f);
                break;
        case BL_FAULT_CORRUPT_WAL:
                if (i >= nw)
                        return perr(p, p->line, "corrupt-wal needs a target; usage: %s",
                                    usages[kind]);
                rc = parse_target(p, w[i++], f);
                if (rc == 0 && f->target_kind != BL_TARGET_RANK)
                        return perr(p, p->line,
                                    "corrupt-wal needs rank:R (a crashed rank leads nothing); "
                                    "usage: %s",
                                    usages[kind]);
                if (rc == 0 &&
                    (i >= nw || (strcasecmp(w[i], "tail") != 0 && strcasecmp(w[i], "middle") != 0)))
                        return perr(p, p->line,
                                    "corrupt-wal needs where: tail or middle; usage: %s",
                                    usages[kind]);
                if (rc == 0)
                        f->wal_middle = strcasecmp(w[i++], "middle") == 0;
                break;
        case BL_FAULT_HEAL:
        case BL_FAULT__COUNT:
                break;
        }
        if (rc == 0)
                rc = parse_options(p, w, nw, i, f);
        if (rc == 0 && f->kind == BL_FAULT_DELAY && f->jitter_ns > f->delay_ns)
                rc = perr(p, p->line,
                          "jitter is larger than the mean delay, which would need negative "
                          "delays; use a jitter of at most the mean");
        return rc;
}

/* Append f to the plan being built (f's arrays move in). */
static int push_fault(struct parser *p, const struct bl_fault *f)
{
        if (p->n == p->cap) {
                size_t cap = p->cap ? 2 * p->cap : 16;
                struct bl_fault *nf = bl_realloc(p->f, cap * sizeof(*nf));

                if (nf == NULL)
                        return bl_errf(p->eb, BL_ENOMEM, "%s:%d: out of memory", p->name, p->line);
                p->f = nf;
                p->cap = cap;
        }
        p->f[p->n++] = *f;
        return 0;
}

/* First pass: every line into p->f, in file order. */
static int parse_lines(struct parser *p)
{
        const char *s = p->text;
        char buf[BL_FAULTS_LINE_MAX + 1];
        char *w[MAX_WORDS];
        int nlines = 0;

        for (const char *c = s; *c != '\0'; c++)
                nlines += *c == '\n';
        nlines += *s != '\0' && s[strlen(s) - 1] != '\n';
        if (nlines > BL_FAULTS_MAX_LINES)
                return perr(p, BL_FAULTS_MAX_LINES + 1,
                            "the schedule has more than %d lines (%d, comments and blank lines "
                            "included); split it or shorten it",
                            BL_FAULTS_MAX_LINES, nlines);
        if (strncmp(s, "\xEF\xBB\xBF", 3) == 0)
                s += 3;
        for (p->line = 1; *s != '\0'; p->line++) {
                size_t len = strcspn(s, "\n");
                const char *next = s[len] == '\n' ? s + len + 1 : s + len;
                struct bl_fault f;
                int nw, rc;

                if (len > 0 && s[len - 1] == '\r')
                        len--;
                if (len > BL_FAULTS_LINE_MAX)
                        return perr(p, p->line, "line is longer than %d bytes", BL_FAULTS_LINE_MAX);
                clean_line(s, len, buf);
                s = next;
                nw = split_words(buf, w);
                if (nw == 0)
                        continue;
                if (nw < 0)
                        return perr(p, p->line, "more than %d words; one fault per line",
                                    MAX_WORDS);
                fault_init(&f, p->line);
                rc = parse_fault(p, w, nw, &f);
                if (rc == 0)
                        rc = push_fault(p, &f);
                if (rc != 0) {
                        fault_free(&f);
                        return rc;
                }
        }
        return 0;
}

/* ---- order-dependent checks ---- */

/* Time in the schedule's notation: the largest unit with a value >= 1, with
 * as many decimals as needed to be exact ("2.5s", "300ms", "1.000001s"). */
static void fmt_ns(uint64_t ns, char *out, size_t len)
{
        static const struct {
                uint64_t mult;
                int digits;
                const char *unit;
        } units[] = {{NS_PER_S, 9, "s"}, {1000000, 6, "ms"}, {1000, 3, "us"}, {1, 0, "ns"}};
        size_t u = 0;
        uint64_t ip, fr;
        char frac[24];
        int n;

        if (ns == 0) {
                snprintf(out, len, "0s");
                return;
        }
        while (ns < units[u].mult)
                u++;
        ip = ns / units[u].mult;
        fr = ns % units[u].mult;
        if (fr == 0) {
                snprintf(out, len, "%llu%s", (unsigned long long)ip, units[u].unit);
                return;
        }
        n = snprintf(frac, sizeof(frac), "%0*llu", units[u].digits, (unsigned long long)fr);
        while (n > 0 && frac[n - 1] == '0')
                frac[--n] = '\0';
        snprintf(out, len, "%llu.%.9s%s", (unsigned long long)ip, frac, units[u].unit);
}

static int target_slot(const struct parser *p, const struct bl_fault *f)
{
        return f->target_kind == BL_TARGET_RANK ? f->target : p->nranks + f->target;
}

static const char *target_prefix(const struct bl_fault *f)
{
        return f->target_kind == BL_TARGET_RANK ? "rank" : "leader";
}

static int cmp_fault(const void *a, const void *b)
{
        const struct bl_fault *x = a, *y = b;

        if (x->at_ns != y->at_ns)
                return x->at_ns < y->at_ns ? -1 : 1;
        return (x->line > y->line) - (x->line < y->line);
}

/* Second pass, in time order: crash/recover pairs and partition windows. */
static int check_order(struct parser *p)
{
        int nslots = p->nranks + p->nshards;
        int *open = bl_malloc((size_t)nslots * sizeof(*open));
        int part = -1, rc = 0;
        uint64_t part_end = 0;
        char t[48];

        if (open == NULL)
                return bl_errf(p->eb, BL_ENOMEM, "%s: out of memory", p->name);
        for (int i = 0; i < nslots; i++)
                open[i] = -1;
        for (size_t i = 0; i < p->n && rc == 0; i++) {
                struct bl_fault *f = &p->f[i];
                int slot;

                switch (f->kind) {
                case BL_FAULT_CRASH:
                        slot = target_slot(p, f);
                        if (open[slot] >= 0)
                                rc = perr(p, f->line,
                                          "%s:%d is already crashed (line %d) and not recovered; "
                                          "recover it first (to crash another rank, name it "
                                          "with rank:R)",
                                          target_prefix(f), f->target, p->f[open[slot]].line);
                        else
                                open[slot] = (int)i;
                        break;
                case BL_FAULT_RECOVER:
                        slot = target_slot(p, f);
                        if (open[slot] < 0)
                                rc = perr(p, f->line,
                                          "no earlier crash of %s:%d to recover; a recover "
                                          "follows a crash of the same target (rank:R matches "
                                          "rank:R, leader:S matches leader:S)",
                                          target_prefix(f), f->target);
                        f->crash_id = open[slot];
                        open[slot] = -1;
                        break;
                case BL_FAULT_CORRUPT_WAL:
                        if (open[target_slot(p, f)] < 0)
                                rc = perr(p, f->line,
                                          "rank:%d is not crashed at this time; corrupt-wal "
                                          "damages the log of a rank between its crash (by "
                                          "rank:R) and its recover",
                                          f->target);
                        break;
                case BL_FAULT_PARTITION:
                        if (part >= 0 && f->at_ns < part_end) {
                                if (part_end == UINT64_MAX)
                                        snprintf(t, sizeof(t), "a heal");
                                else
                                        fmt_ns(part_end, t, sizeof(t));
                                rc = perr(p, f->line,
                                          "overlaps the partition of line %d, active until %s; "
                                          "heal it first, or end it earlier with \"for\"",
                                          p->f[part].line, t);
                        }
                        part = (int)i;
                        part_end = f->for_ns > 0 ? f->at_ns + f->for_ns : UINT64_MAX;
                        break;
                case BL_FAULT_HEAL:
                        if (part < 0 || f->at_ns >= part_end) {
                                if (part >= 0)
                                        fmt_ns(part_end, t, sizeof(t));
                                rc = perr(p, f->line,
                                          "heal without an active partition%s%s%s; a heal ends "
                                          "a partition started earlier and still active",
                                          part >= 0 ? " (the last one ended by itself at " : "",
                                          part >= 0 ? t : "", part >= 0 ? ")" : "");
                        }
                        part = -1;
                        break;
                default:
                        break;
                }
        }
        bl_free(open);
        return rc;
}

/* ---- public ---- */

void bl_faults_free(struct bl_fault_plan *plan)
{
        if (plan == NULL)
                return;
        for (size_t i = 0; i < plan->n; i++)
                fault_free(&plan->f[i]);
        bl_free(plan->f);
        memset(plan, 0, sizeof(*plan));
}

int bl_faults_parse_text(const char *name, const char *text, int nranks, int nshards,
                         struct bl_fault_plan *plan, struct bl_errbuf *eb)
{
        struct parser p = {.name = name != NULL ? name : "(schedule)",
                           .text = text,
                           .nranks = nranks,
                           .nshards = nshards,
                           .eb = eb};
        int rc;

        if (plan == NULL)
                return bl_errf(eb, BL_EINVAL, "fault schedule: no plan to fill");
        memset(plan, 0, sizeof(*plan));
        if (text == NULL || nranks < 1 || nshards < 1)
                return bl_errf(eb, BL_EINVAL, "%s: no text, or ranks (%d) or shards (%d) < 1",
                               p.name, nranks, nshards);
        rc = parse_lines(&p);
        if (rc == 0 && p.n > 1)
                qsort(p.f, p.n, sizeof(*p.f), cmp_fault);
        if (rc == 0)
                rc = check_order(&p);
        plan->f = p.f;
        plan->n = p.n;
        if (rc != 0) {
                bl_faults_free(plan);
                return rc;
        }
        plan->nranks = nranks;
        plan->nshards = nshards;
        return 0;
}

/* Read a whole file into a NUL-terminated buffer, refusing files that cannot
 * be a valid schedule by size, and NUL bytes. */
static int read_file(const char *path, char **out, struct bl_errbuf *eb)
{
        const size_t max = (size_t)BL_FAULTS_MAX_LINES * (BL_FAULTS_LINE_MAX + 2);
        size_t cap = 4096, n = 0;
        char *buf = NULL, *nb;
        const char *nul;
        FILE *fp = fopen(path, "rb");
        int rc = 0, line = 1;

        *out = NULL;
        if (fp == NULL)
                return bl_errf(eb, BL_ECONFIG, "%s: cannot open: %s", path, strerror(errno));
        for (;;) {
                size_t got;

                if (n + 1 >= cap || buf == NULL) {
                        cap = buf == NULL ? cap : 2 * cap;
                        nb = bl_realloc(buf, cap);
                        if (nb == NULL) {
                                rc = bl_errf(eb, BL_ENOMEM, "%s: out of memory", path);
                                goto out_close;
                        }
                        buf = nb;
                }
                got = fread(buf + n, 1, cap - n - 1, fp);
                n += got;
                if (n > max) {
                        rc = bl_errf(eb, BL_ECONFIG,
                                     "%s: larger than %zu bytes; a schedule has at most %d lines "
                                     "of %d bytes",
                                     path, max, BL_FAULTS_MAX_LINES, BL_FAULTS_LINE_MAX);
                        goto out_close;
                }
                if (got == 0)
                        break;
        }
        if (ferror(fp)) {
                rc = bl_errf(eb, BL_ECONFIG, "%s: read error", path);
                goto out_close;
        }
        buf[n] = '\0';
        nul = memchr(buf, '\0', n);
        if (nul != NULL) {
                for (const char *c = buf; c < nul; c++)
                        line += *c == '\n';
                rc = bl_errf(eb, BL_ECONFIG, "%s:%d: holds a NUL byte; a schedule is text", path,
                             line);
        }
out_close:
        fclose(fp);
        if (rc != 0)
                bl_free(buf);
        else
                *out = buf;
        return rc;
}

int bl_faults_parse_file(const char *path, int nranks, int nshards, struct bl_fault_plan *plan,
                         struct bl_errbuf *eb)
{
        char *text;
        int rc;

        if (plan == NULL || path == NULL)
                return bl_errf(eb, BL_EINVAL, "fault schedule: no path or plan");
        memset(plan, 0, sizeof(*plan));
        rc = read_file(path, &text, eb);
        if (rc != 0)
                return rc;
        rc = bl_faults_parse_text(path, text, nranks, nshards, plan, eb);
        bl_free(text);
        return rc;
}

/* A growing output for describe: counts what it would need past the end. */
struct out {
        char *buf;
        size_t len;
        size_t pos;
};

__attribute__((format(printf, 2, 3))) static void outf(struct out *o, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(o->pos < o->len ? o->buf + o->pos : NULL,
                      o->pos < o->len ? o->len - o->pos : 0, fmt, ap);
        va_end(ap);
        if (n > 0)
                o->pos += (size_t)n;
}

/* The shortest %g form that reads back as the same double. */
static void out_double(struct out *o, double v)
{
        char b[40];

        for (int prec = 15; prec <= 17; prec++) {
                snprintf(b, sizeof(b), "%.*g", prec, v);
                if (strtod(b, NULL) == v)
                        break;
        }
        outf(o, "%s", b);
}

static void out_ns(struct out *o, uint64_t ns)
{
        char t[48];

        fmt_ns(ns, t, sizeof(t));
        outf(o, "%s", t);
}

static void out_groups(struct out *o, const struct bl_fault *f)
{
        for (int g = 0; g < f->ngroups; g++) {
                int first = 1;

                if (g > 0)
                        outf(o, "|");
                for (int r = 0; r < f->nranks; r++) {
                        int e = r;

                        if (f->group_of_rank[r] != g)
                                continue;
                        while (e + 1 < f->nranks && f->group_of_rank[e + 1] == g)
                                e++;
                        outf(o, first ? "" : ",");
                        if (e - r >= 2)
                                outf(o, "%d-%d", r, e);
                        else if (e - r == 1)
                                outf(o, "%d,%d", r, e);
                        else
                                outf(o, "%d", r);
                        first = 0;
                        r = e;
                }
        }
}

static void out_links(struct out *o, const struct bl_fault *f)
{
        for (int i = 0; i < f->nlinks; i++) {
                const struct bl_fault_link *l = &f->links[i];

                outf(o, i > 0 ? "," : " ");
                if (l->src < 0 && l->dst < 0) {
                        outf(o, "all");
                        continue;
                }
                if (l->src < 0)
                        outf(o, "*");
                else
                        outf(o, "%d", l->src);
                outf(o, "->");
                if (l->dst < 0)
                        outf(o, "*");
                else
                        outf(o, "%d", l->dst);
        }
}

int bl_faults_describe(const struct bl_fault *f, char *buf, size_t len)
{
        struct out o = {.buf = buf, .len = len, .pos = 0};

        if (f == NULL || (int)f->kind < 0 || f->kind >= BL_FAULT__COUNT)
                return BL_EINVAL;
        if (len > 0)
                buf[0] = '\0';
        out_ns(&o, f->at_ns);
        outf(&o, " %s", kind_names[f->kind]);
        switch (f->kind) {
        case BL_FAULT_CRASH:
        case BL_FAULT_RECOVER:
        case BL_FAULT_PAUSE:
                outf(&o, " %s:%d", target_prefix(f), f->target);
                if (f->kind == BL_FAULT_PAUSE) {
                        outf(&o, " ");
                        out_ns(&o, f->pause_ns);
                }
                break;
        case BL_FAULT_PARTITION:
                outf(&o, " ");
                if (f->group_of_rank != NULL)
                        out_groups(&o, f);
                break;
        case BL_FAULT_DROP:
        case BL_FAULT_DUP:
                outf(&o, " ");
                out_double(&o, f->fraction);
                out_links(&o, f);
                break;
        case BL_FAULT_DELAY:
                outf(&o, " ");
                out_ns(&o, f->delay_ns);
                if (f->jitter_ns > 0) {
                        outf(&o, " jitter ");
                        out_ns(&o, f->jitter_ns);
                }
                out_links(&o, f);
                break;
        case BL_FAULT_TRANSFER:
                outf(&o, " shard:%d", f->target);
                if (f->to_member >= 0)
                        outf(&o, " to member:%d", f->to_member);
                break;
        case BL_FAULT_CORRUPT_WAL:
                outf(&o, " rank:%d %s", f->target, f->wal_middle ? "middle" : "tail");
                break;
        case BL_FAULT_HEAL:
        case BL_FAULT__COUNT:
                break;
        }
        if (f->for_ns > 0 && f->kind != BL_FAULT_PAUSE) {
                outf(&o, " for ");
                out_ns(&o, f->for_ns);
        }
        return o.pos > INT_MAX ? INT_MAX : (int)o.pos;
}

int bl_faults_resolve_path(const char *config_path, const char *schedule, char *out, size_t len,
                           struct bl_errbuf *eb)
{
        const char *slash = config_path != NULL ? strrchr(config_path, '/') : NULL;
        int n;

        if (len > 0)
                out[0] = '\0';
        if (schedule == NULL || schedule[0] == '\0')
                return bl_errf(eb, BL_ECONFIG, "%s: [faults] schedule is empty; give a file path",
                               config_path != NULL ? config_path : "config");
        if (schedule[0] == '/' || slash == NULL)
                n = snprintf(out, len, "%s", schedule);
        else
                n = snprintf(out, len, "%.*s/%s", (int)(slash - config_path), config_path,
                             schedule);
        if (n < 0 || (size_t)n >= len) {
                if (len > 0)
                        out[0] = '\0';
                return bl_errf(eb, BL_ECONFIG,
                               "%s: fault schedule path \"%s\" is too long (at most %zu bytes "
                               "with the config's directory)",
                               config_path != NULL ? config_path : "config", schedule,
                               len > 0 ? len - 1 : 0);
        }
        return 0;
}

int bl_fault_link_matches(const struct bl_fault *f, int src, int dst)
{
        if (f->kind != BL_FAULT_DROP && f->kind != BL_FAULT_DUP && f->kind != BL_FAULT_DELAY)
                return 0;
        for (int i = 0; i < f->nlinks; i++) {
                const struct bl_fault_link *l = &f->links[i];

                if ((l->src < 0 || l->src == src) && (l->dst < 0 || l->dst == dst))
                        return 1;
        }
        return 0;
}

uint64_t bl_fault_end_ns(const struct bl_fault *f)
{
        switch (f->kind) {
        case BL_FAULT_PAUSE:
                return f->at_ns + f->pause_ns;
        case BL_FAULT_PARTITION:
        case BL_FAULT_DROP:
        case BL_FAULT_DUP:
        case BL_FAULT_DELAY:
                return f->for_ns > 0 ? f->at_ns + f->for_ns : UINT64_MAX;
        default:
                return f->at_ns;
        }
}
