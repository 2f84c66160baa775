/*
 * Key distributions (see dist.h). The zipfian core is Gray et al.'s method as
 * in YCSB's ZipfianGenerator; the others wrap it or a uniform draw the way
 * YCSB's ScrambledZipfianGenerator, SkewedLatestGenerator and
 * HotspotIntegerGenerator do.
 *
 * zeta(n, theta) is the only expensive part. Below EM_CUT terms it is summed
 * directly; beyond, the tail sum_{i=a..b} f(i), f(x) = x^-theta, comes from
 * the Euler-Maclaurin formula
 *   int_a^b f + (f(a) + f(b)) / 2 + sum_k B_2k / (2k)! (f^(2k-1)(b) - f^(2k-1)(a))
 * truncated after B_6. With a >= 1024 the remainder is below 1e-20, far
 * under the rounding error of the direct sum it replaces.
 */
#include "load/dist.h"

#include <math.h>

#include "common/err.h"

#define EM_CUT 1024u

static double zeta_direct(uint64_t a, uint64_t b, double theta)
{
        double sum = 0.0;

        /* Smallest terms first, for accuracy. */
        for (uint64_t i = b; i >= a && i > 0; i--)
                sum += pow((double)i, -theta);
        return sum;
}

/* sum_{i=a..b} i^-theta for EM_CUT <= a <= b, by Euler-Maclaurin. */
static double zeta_em(uint64_t a, uint64_t b, double theta)
{
        double x = (double)a, y = (double)b;
        double s = 1.0 - theta;
        double fa = pow(x, -theta), fb = pow(y, -theta);
        /* b^s - a^s written to avoid cancellation when theta is near 1. */
        double integral = pow(x, s) * expm1(s * log(y / x)) / s;
        double c1 = -theta;                             /* f'   = c1 x^(-theta-1) */
        double c3 = -theta * (theta + 1) * (theta + 2); /* f''' = c3 x^(-theta-3) */
        double c5 = c3 * (theta + 3) * (theta + 4);     /* f^(5) */
        double d1 = c1 * (fb / y - fa / x);
        double d3 = c3 * (fb / (y * y * y) - fa / (x * x * x));
        double d5 = c5 * (fb / (y * y * y * y * y) - fa / (x * x * x * x * x));

        return integral + (fa + fb) / 2 + d1 / 12 - d3 / 720 + d5 / 30240;
}

/* sum_{i=a..b} i^-theta, 1 <= a; 0 when b < a. */
static double zeta_range(uint64_t a, uint64_t b, double theta)
{
        if (b < a)
                return 0.0;
        if (b - a < EM_CUT)
                return zeta_direct(a, b, theta);
        if (a < EM_CUT)
                return zeta_direct(a, EM_CUT - 1, theta) + zeta_em(EM_CUT, b, theta);
        return zeta_em(a, b, theta);
}

double bl_zeta(uint64_t n, double theta)
{
        return zeta_range(1, n, theta);
}

static int theta_ok(double theta)
{
        return theta > 0.0 && theta < 1.0;
}

/* Gray's eta for the current n and zetan; unused (0) for n <= 2, where the
 * two exact ranks cover every draw. */
static double eta_of(const struct bl_zipf_params *p)
{
        if (p->n <= 2)
                return 0.0;
        return (1.0 - pow(2.0 / (double)p->n, 1.0 - p->theta)) / (1.0 - p->zeta2 / p->zetan);
}

int bl_zipf_params_init_zetan(struct bl_zipf_params *p, uint64_t n, double theta, double zetan)
{
        if (n == 0 || !theta_ok(theta) || !(zetan >= 1.0))
                return BL_EINVAL;
        p->n = n;
        p->theta = theta;
        p->zeta2 = 1.0 + pow(2.0, -theta);
        p->zetan = zetan;
        p->alpha = 1.0 / (1.0 - theta);
        p->half_theta = pow(0.5, theta);
        p->eta = eta_of(p);
        return 0;
}

int bl_zipf_params_init(struct bl_zipf_params *p, uint64_t n, double theta)
{
        if (n == 0 || !theta_ok(theta))
                return BL_EINVAL;
        return bl_zipf_params_init_zetan(p, n, theta, bl_zeta(n, theta));
}

void bl_zipf_init(struct bl_zipf *z, const struct bl_zipf_params *p)
{
        z->p = *p;
}

static void zipf_resize(struct bl_zipf *z, uint64_t n)
{
        struct bl_zipf_params *p = &z->p;

        if (n > p->n)
                p->zetan += zeta_range(p->n + 1, n, p->theta);
        else
                p->zetan = bl_zeta(n, p->theta);
        p->n = n;
        p->eta = eta_of(p);
}

uint64_t bl_zipf_next(struct bl_zipf *z, struct bl_rng *r)
{
        const struct bl_zipf_params *p = &z->p;
        double u = bl_rng_double(r);
        double uz = u * p->zetan;
        uint64_t ret;

        if (uz < 1.0)
                return 0;
        if (uz < 1.0 + p->half_theta)
                return p->n > 1 ? 1 : 0;
        ret = (uint64_t)((double)p->n * pow(p->eta * u - p->eta + 1.0, p->alpha));
        return ret < p->n ? ret : p->n - 1;
}

uint64_t bl_zipf_next_n(struct bl_zipf *z, struct bl_rng *r, uint64_t n)
{
        if (n == 0)
                n = 1;
        if (n != z->p.n)
                zipf_resize(z, n);
        return bl_zipf_next(z, r);
}

uint64_t bl_fnv1a64(uint64_t v)
{
        uint64_t h = 0xcbf29ce484222325ULL;

        for (int i = 0; i < 8; i++) {
                h ^= v & 0xff;
                h *= 0x100000001b3ULL;
                v >>= 8;
        }
        return h;
}

int bl_keygen_uniform(struct bl_keygen *g, uint64_t n)
{
        if (n == 0)
                return BL_EINVAL;
        g->kind = BL_KG_UNIFORM;
        g->n = n;
        return 0;
}

int bl_keygen_from_params(struct bl_keygen *g, enum bl_keygen_kind kind,
                          const struct bl_zipf_params *p)
{
        if (kind != BL_KG_ZIPFIAN && kind != BL_KG_LATEST)
                return BL_EINVAL;
        g->kind = kind;
        g->n = p->n;
        bl_zipf_init(&g->z, p);
        return 0;
}

static int keygen_zipf_kind(struct bl_keygen *g, enum bl_keygen_kind kind, uint64_t n, double theta)
{
        struct bl_zipf_params p;
        int rc = bl_zipf_params_init(&p, n, theta);

        if (rc != 0)
                return rc;
        return bl_keygen_from_params(g, kind, &p);
}

int bl_keygen_zipfian(struct bl_keygen *g, uint64_t n, double theta)
{
        return keygen_zipf_kind(g, BL_KG_ZIPFIAN, n, theta);
}

int bl_keygen_latest(struct bl_keygen *g, uint64_t n, double theta)
{
        return keygen_zipf_kind(g, BL_KG_LATEST, n, theta);
}

int bl_keygen_scrambled(struct bl_keygen *g, uint64_t n, double theta)
{
        struct bl_zipf_params p;
        int rc;

        if (n == 0)
                return BL_EINVAL;
        if (theta == BL_ZIPF_THETA_DEFAULT)
                rc = bl_zipf_params_init_zetan(&p, BL_ZIPF_SCRAMBLE_ITEMS, theta,
                                               BL_ZIPF_SCRAMBLE_ZETAN);
        else
                rc = bl_zipf_params_init(&p, BL_ZIPF_SCRAMBLE_ITEMS, theta);
        if (rc != 0)
                return rc;
        g->kind = BL_KG_SCRAMBLED;
        g->n = n;
        bl_zipf_init(&g->z, &p);
        return 0;
}

static void hotspot_scale(struct bl_keygen *g)
{
        g->hot_n = (uint64_t)((double)g->n * g->hot_data);
        if (g->hot_n > g->n)
                g->hot_n = g->n;
}

int bl_keygen_hotspot(struct bl_keygen *g, uint64_t n, double data_fraction, double op_fraction)
{
        if (n == 0 || !(data_fraction >= 0.0 && data_fraction <= 1.0) ||
            !(op_fraction >= 0.0 && op_fraction <= 1.0))
                return BL_EINVAL;
        g->kind = BL_KG_HOTSPOT;
        g->n = n;
        g->hot_data = data_fraction;
        g->hot_op = op_fraction;
        hotspot_scale(g);
        return 0;
}

void bl_keygen_set_n(struct bl_keygen *g, uint64_t n)
{
        g->n = n == 0 ? 1 : n;
        if (g->kind == BL_KG_HOTSPOT)
                hotspot_scale(g);
}

static uint64_t hotspot_next(struct bl_keygen *g, struct bl_rng *r)
{
        uint64_t cold_n = g->n - g->hot_n;
        int hot = bl_rng_double(r) < g->hot_op;

        if (g->hot_n == 0 || (!hot && cold_n > 0))
                return g->hot_n + bl_rng_below(r, cold_n);
        return bl_rng_below(r, g->hot_n);
}

uint64_t bl_keygen_next(struct bl_keygen *g, struct bl_rng *r)
{
        switch (g->kind) {
        case BL_KG_ZIPFIAN:
                return bl_zipf_next_n(&g->z, r, g->n);
        case BL_KG_SCRAMBLED:
                return bl_fnv1a64(bl_zipf_next(&g->z, r)) % g->n;
        case BL_KG_LATEST:
                return g->n - 1 - bl_zipf_next_n(&g->z, r, g->n);
        case BL_KG_HOTSPOT:
                return hotspot_next(g, r);
        case BL_KG_UNIFORM:
        default:
                return bl_rng_below(r, g->n);
        }
}

static int contains(const uint64_t *keys, size_t n, uint64_t key)
{
        for (size_t i = 0; i < n; i++)
                if (keys[i] == key)
                        return 1;
        return 0;
}

size_t bl_keygen_hottest(const struct bl_keygen *g, uint64_t *keys, size_t max)
{
        size_t n = 0;

        if (max > g->n)
                max = (size_t)g->n;
        switch (g->kind) {
        case BL_KG_ZIPFIAN:
                for (; n < max; n++)
                        keys[n] = n;
                break;
        case BL_KG_SCRAMBLED:
                for (uint64_t rank = 0; n < max && rank < 64 * (uint64_t)max; rank++) {
                        uint64_t k = bl_fnv1a64(rank) % g->n;
                        if (!contains(keys, n, k))
                                keys[n++] = k;
                }
                break;
        case BL_KG_LATEST:
                for (; n < max; n++)
                        keys[n] = g->n - 1 - n;
                break;
        case BL_KG_HOTSPOT:
                /* The hot set is hotter than the rest only if it draws more
                 * than its share of the keys. */
                if (g->hot_n > 0 && g->hot_n < g->n && g->hot_op > (double)g->hot_n / (double)g->n)
                        for (; n < max && n < g->hot_n; n++)
                                keys[n] = n;
                break;
        case BL_KG_UNIFORM:
        default:
                break;
        }
        return n;
}
