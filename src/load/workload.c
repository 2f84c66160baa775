/*
 * Workload generators (see workload.h): an operation mix over a key
 * distribution, per client session, after YCSB's CoreWorkload.
 */
#include "load/workload.h"

#include "common/err.h"

static int set_mix(struct bl_workload *w, enum bl_workload_type type)
{
        switch (type) {
        case BL_WL_YCSB_A:
                w->read_frac = 0.5;
                w->write_op = BL_OP_PUT;
                return 0;
        case BL_WL_YCSB_B:
                w->read_frac = 0.95;
                w->write_op = BL_OP_PUT;
                return 0;
        case BL_WL_YCSB_C:
                w->read_frac = 1.0;
                w->write_op = BL_OP_PUT;
                return 0;
        case BL_WL_YCSB_D:
                w->read_frac = 0.95;
                w->write_op = BL_OP_INSERT;
                return 0;
        case BL_WL_YCSB_F:
                w->read_frac = 0.5;
                w->write_op = BL_OP_RMW;
                return 0;
        case BL_WL_COUNTER:
                w->read_frac = 0.0;
                w->write_op = BL_OP_INCR;
                return 0;
        case BL_WL_BANK:
        case BL_WL_YCSB_T:
        case BL_WL_LIST_APPEND:
                break; /* transactions: load/txn.h generates them */
        }
        return BL_ECONFIG;
}

static int set_keys(struct bl_workload *w, const struct bl_config *cfg)
{
        enum bl_dist dist = cfg->workload.distribution;
        double theta = cfg->workload.zipf_constant;
        uint64_t n = w->records;
        int rc;

        if (w->type == BL_WL_COUNTER) {
                if (cfg->workload.counters <= 0)
                        return BL_ECONFIG;
                return bl_keygen_uniform(&w->keys, (uint64_t)cfg->workload.counters);
        }
        if (n == 0)
                return BL_ECONFIG;
        if (dist == BL_DIST_DEFAULT)
                dist = w->type == BL_WL_YCSB_D ? BL_DIST_LATEST : BL_DIST_ZIPFIAN;

        switch (dist) {
        case BL_DIST_UNIFORM:
                rc = bl_keygen_uniform(&w->keys, n);
                break;
        case BL_DIST_HOTSPOT:
                rc = bl_keygen_hotspot(&w->keys, n, cfg->workload.hotspot_data_fraction,
                                       cfg->workload.hotspot_op_fraction);
                break;
        case BL_DIST_LATEST:
                w->latest = 1;
                rc = bl_keygen_latest(&w->keys, n, theta);
                break;
        case BL_DIST_ZIPFIAN:
                rc = bl_keygen_scrambled(&w->keys, n, theta);
                break;
        case BL_DIST_DEFAULT:
        default:
                rc = BL_ECONFIG;
                break;
        }
        return rc == 0 ? 0 : BL_ECONFIG;
}

int bl_workload_init(struct bl_workload *w, const struct bl_config *cfg, uint32_t session,
                     uint32_t nsessions)
{
        *w = (struct bl_workload){0};
        if (session >= nsessions)
                return BL_EINVAL;
        w->type = cfg->workload.type;
        w->session = session;
        w->nsessions = nsessions;
        w->records = cfg->store.records;
        w->pad = cfg->store.value_size > 0 ? (uint32_t)cfg->store.value_size : 0;
        if (set_mix(w, w->type) != 0)
                return BL_ECONFIG;
        bl_rng_seed(&w->rng, cfg->experiment.seed, session);
        return set_keys(w, cfg);
}

size_t bl_workload_hot_keys(const struct bl_config *cfg, uint64_t *keys, size_t max)
{
        struct bl_workload w;

        if (bl_workload_init(&w, cfg, 0, 1) != 0)
                return 0;
        return bl_keygen_hottest(&w.keys, keys, max);
}

static uint64_t next_value(struct bl_workload *w)
{
        w->writes++;
        return ((uint64_t)w->session + 1) << 32 | w->writes;
}

void bl_workload_next(struct bl_workload *w, struct bl_cmd *out)
{
        int read = w->read_frac > 0.0 && bl_rng_double(&w->rng) < w->read_frac;

        if (read) {
                out->op = BL_OP_GET;
                out->value = 0;
                out->pad = 0;
                if (w->latest)
                        bl_keygen_set_n(&w->keys, w->records + w->inserts * w->nsessions);
                out->key = bl_keygen_next(&w->keys, &w->rng);
                return;
        }
        out->op = w->write_op;
        out->pad = w->pad;
        switch (w->write_op) {
        case BL_OP_INCR:
                out->key = bl_keygen_next(&w->keys, &w->rng);
                out->value = 1;
                break;
        case BL_OP_INSERT:
                out->key = w->records + w->inserts * w->nsessions + w->session;
                out->value = next_value(w);
                w->inserts++;
                break;
        default:
                if (w->latest)
                        bl_keygen_set_n(&w->keys, w->records + w->inserts * w->nsessions);
                out->key = bl_keygen_next(&w->keys, &w->rng);
                out->value = next_value(w);
                break;
        }
}
