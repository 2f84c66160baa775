/* Key distributions after YCSB's core generators: uniform, zipfian, scrambled, latest, hotspot. */
#ifndef BL_LOAD_DIST_H
#define BL_LOAD_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "common/rng.h"

/*
 * Every generator draws from a caller-owned struct bl_rng, so a sequence is
 * reproducible from (seed, stream). Generators are plain structs without
 * heap memory: copying one is a valid way to share its precomputation.
 *
 * Zipfian sampling follows Gray et al., "Quickly generating billion-record
 * synthetic databases" (SIGMOD 1994), as YCSB's ZipfianGenerator does: rank
 * 0 and 1 are exact, higher ranks come from a closed-form approximation of
 * the inverse CDF (at theta 0.99, ranks 2-9 come out up to ~17% heavier than
 * 1/i^theta, ranks from 10 on within a few percent; as in YCSB). Its constant
 * zeta(n, theta) = sum_{i=1..n} i^-theta is computed once per (n, theta): a
 * direct sum of the first 1024 terms plus an Euler-Maclaurin tail, so it
 * costs ~20 us for any n (10^10 included) and is accurate to ~1e-13 (the
 * plain sum takes 0.1 s for n = 10^7).
 * Several clients that need the same (n, theta) can still compute one
 * struct bl_zipf_params and share it read-only (bl_zipf_init copies it).
 */

/* YCSB's default zipfian constant. */
#define BL_ZIPF_THETA_DEFAULT 0.99
/* Scrambled zipfian: the fixed item count of the underlying zipfian (YCSB's
 * ScrambledZipfianGenerator.ITEM_COUNT) and its zeta for theta 0.99 (ZETAN). */
#define BL_ZIPF_SCRAMBLE_ITEMS 10000000000ULL
#define BL_ZIPF_SCRAMBLE_ZETAN 26.46902820178302

/* zeta(n, theta) = sum_{i=1..n} i^-theta. 0 for n == 0. Cannot fail. */
double bl_zeta(uint64_t n, double theta);

/* Precomputed constants of a zipfian over n items; read-only once built. */
struct bl_zipf_params {
        uint64_t n;
        double theta;
        double zeta2;      /* zeta(2, theta) */
        double zetan;      /* zeta(n, theta) */
        double alpha;      /* 1 / (1 - theta) */
        double eta;        /* Gray's eta for n */
        double half_theta; /* 0.5^theta: rank 1 threshold */
};

/* Compute the constants for n >= 1 items and theta in (0, 1). Returns 0, or
 * BL_EINVAL (p untouched) for n == 0 or theta outside (0, 1): the method
 * needs theta != 1 and theta <= 0 is not skewed. */
int bl_zipf_params_init(struct bl_zipf_params *p, uint64_t n, double theta);

/* Same, with zeta(n, theta) supplied by the caller (YCSB's precomputed ZETAN). */
int bl_zipf_params_init_zetan(struct bl_zipf_params *p, uint64_t n, double theta, double zetan);

/* A zipfian generator over [0, n): rank 0 is the most popular. */
struct bl_zipf {
        struct bl_zipf_params p; /* own copy: n and zetan change as n grows */
};

/* Start a generator from shared constants (a copy; cannot fail). */
void bl_zipf_init(struct bl_zipf *z, const struct bl_zipf_params *p);
/* Next rank in [0, n). */
uint64_t bl_zipf_next(struct bl_zipf *z, struct bl_rng *r);
/* Next rank in [0, n) for a new item count n >= 1 (0 is taken as 1). Growth
 * extends zeta incrementally (cost proportional to the growth, capped at the
 * ~20 us of a fresh computation); a shrink recomputes it. */
uint64_t bl_zipf_next_n(struct bl_zipf *z, struct bl_rng *r, uint64_t n);

/* FNV-1a 64-bit hash of the 8 little-endian bytes of v (YCSB's fnvhash64,
 * without its sign fold-back). */
uint64_t bl_fnv1a64(uint64_t v);

enum bl_keygen_kind {
        BL_KG_UNIFORM,
        BL_KG_ZIPFIAN,   /* rank i is key i: hot keys at the low end */
        BL_KG_SCRAMBLED, /* zipfian popularity, hot keys hashed across the space */
        BL_KG_LATEST,    /* key n-1 (the newest) is the most popular */
        BL_KG_HOTSPOT,   /* op_fraction of draws hit the first data_fraction of keys */
};

/* A key generator over [0, n) of one of the kinds above. */
struct bl_keygen {
        enum bl_keygen_kind kind;
        uint64_t n;
        struct bl_zipf z; /* zipfian, scrambled, latest */
        uint64_t hot_n;   /* hotspot: keys [0, hot_n) are hot */
        double hot_data;  /* hotspot: hot_n = floor(n * hot_data) */
        double hot_op;    /* hotspot: fraction of draws that are hot */
};

/*
 * Constructors. n >= 1 keys. They return 0, or BL_EINVAL for n == 0, a theta
 * outside (0, 1) or a fraction outside [0, 1]; g is then unspecified.
 *
 * scrambled: YCSB's ScrambledZipfianGenerator: draw a zipfian rank over
 * BL_ZIPF_SCRAMBLE_ITEMS items (zeta is the constant ZETAN for theta 0.99,
 * computed otherwise), then key = fnv1a64(rank) mod n. The popularity of the
 * hottest keys is about that of a zipfian over n, but they are scattered.
 *
 * hotspot: YCSB's HotspotIntegerGenerator with the hot set at the low end:
 * hot_n = floor(n * data_fraction) keys get op_fraction of the draws (uniform
 * inside), the rest get the remainder. An empty hot or cold set takes all.
 */
int bl_keygen_uniform(struct bl_keygen *g, uint64_t n);
int bl_keygen_zipfian(struct bl_keygen *g, uint64_t n, double theta);
int bl_keygen_scrambled(struct bl_keygen *g, uint64_t n, double theta);
int bl_keygen_latest(struct bl_keygen *g, uint64_t n, double theta);
int bl_keygen_hotspot(struct bl_keygen *g, uint64_t n, double data_fraction, double op_fraction);

/* Zipfian or latest from shared precomputed constants (p->n is the key
 * count). Returns 0 or BL_EINVAL if kind is not BL_KG_ZIPFIAN/LATEST. */
int bl_keygen_from_params(struct bl_keygen *g, enum bl_keygen_kind kind,
                          const struct bl_zipf_params *p);

/* Change the key count (n >= 1; 0 is taken as 1), e.g. as inserts extend the
 * key space for 'latest'. Zipfian kinds update zeta lazily on the next draw.
 * For scrambled, every key's popularity moves (the mapping is mod n); for
 * hotspot, the hot set is rescaled. Cannot fail. */
void bl_keygen_set_n(struct bl_keygen *g, uint64_t n);

/* Next key in [0, n). */
uint64_t bl_keygen_next(struct bl_keygen *g, struct bl_rng *r);

/*
 * Up to max of the most popular keys of g, most popular first, distinct:
 * zipfian keys 0, 1, ...; scrambled the keys of zipfian ranks 0, 1, ...
 * (fnv1a64(rank) mod n; ranks that collide add up on one key); latest n-1,
 * n-2, ... (at the current n); hotspot the first keys of the hot set when it
 * draws more than its share; uniform none (no key is hotter). Returns the
 * count. Cost O(max) (scrambled: at most 64 * max ranks tried, O(max^2)
 * duplicate checks). Cannot fail.
 */
size_t bl_keygen_hottest(const struct bl_keygen *g, uint64_t *keys, size_t max);

#endif
