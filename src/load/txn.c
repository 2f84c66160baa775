/*
 * Transaction workload generators (see txn.h): bank transfers and audits,
 * YCSB-T read-modify-write transactions, Elle's list-append.
 */
#include "load/txn.h"

#include <string.h>

#include "common/alloc.h"
#include "store/kv.h"

/* Draws before a cross-shard transfer gives up on finding a second shard
 * (a bank with few accounts may hold them all on one shard). */
#define CROSS_TRIES 64

const char *bl_txn_workload_name(int type)
{
        switch (type) {
        case BL_TXW_BANK:
                return "bank";
        case BL_TXW_YCSB_T:
                return "ycsb-t";
        case BL_TXW_LIST_APPEND:
                return "list-append";
        default:
                return "?";
        }
}

const char *bl_txn_class_name(int cls)
{
        static const char *const names[] = {"transfer", "audit", "rmw", "list"};

        return cls >= 0 && cls < (int)(sizeof(names) / sizeof(names[0])) ? names[cls] : "?";
}

void bl_txn_params_default(struct bl_txn_params *p, enum bl_txn_workload type)
{
        memset(p, 0, sizeof(*p));
        p->type = type;
        p->seed = 1;
        p->session = 0;
        p->nsessions = 1;
        p->keys = type == BL_TXW_BANK ? 1000 : 10000;
        p->shards = 1;
        p->initial_balance = 1000;
        p->max_transfer = 100;
        p->audit_frac = 0.1;
        p->audit_accounts = 0;
        p->cross_shard = 0.9;
        p->txn_keys = 4;
        p->dist = BL_DIST_DEFAULT;
        p->theta = BL_ZIPF_THETA_DEFAULT;
        p->hot_data = 0.2;
        p->hot_op = 0.8;
        p->min_ops = 1;
        p->max_ops = 4;
        p->active_keys = 8;
        p->writes_per_key = 32;
}

void bl_txn_params_from_config(struct bl_txn_params *p, enum bl_txn_workload type,
                               const struct bl_config *cfg, uint32_t session, uint32_t nsessions)
{
        bl_txn_params_default(p, type);
        p->seed = cfg->experiment.seed;
        p->session = session;
        p->nsessions = nsessions;
        p->shards = cfg->cluster.shards;
        if (type != BL_TXW_LIST_APPEND)
                p->keys = cfg->store.records;
        p->dist = cfg->workload.distribution;
        p->theta = cfg->workload.zipf_constant;
        p->hot_data = cfg->workload.hotspot_data_fraction;
        p->hot_op = cfg->workload.hotspot_op_fraction;
        p->txn_keys = (uint32_t)cfg->txn.keys;
        p->initial_balance = (int64_t)cfg->bank.initial_balance;
        p->max_transfer = (int64_t)cfg->bank.max_transfer;
        p->audit_frac = cfg->bank.audit_fraction;
        p->audit_accounts = (uint32_t)cfg->bank.audit_accounts;
        p->cross_shard = cfg->bank.cross_shard;
}

static int frac_ok(double x)
{
        return x >= 0.0 && x <= 1.0;
}

int bl_txn_params_check(const struct bl_txn_params *p, struct bl_errbuf *eb)
{
        if (p->type != BL_TXW_BANK && p->type != BL_TXW_YCSB_T && p->type != BL_TXW_LIST_APPEND)
                return bl_errf(eb, BL_EINVAL,
                               "transaction workload %d: allowed bank, ycsb-t, "
                               "list-append",
                               (int)p->type);
        if (p->nsessions == 0 || p->session >= p->nsessions)
                return bl_errf(eb, BL_EINVAL, "session %u of %u: must be below the count",
                               p->session, p->nsessions);
        switch (p->type) {
        case BL_TXW_BANK:
                if (p->keys < 2)
                        return bl_errf(eb, BL_EINVAL,
                                       "bank accounts = %llu: a transfer needs at least 2",
                                       (unsigned long long)p->keys);
                if (p->initial_balance < 0 || p->max_transfer < 1)
                        return bl_errf(eb, BL_EINVAL,
                                       "bank initial balance %lld, max transfer %lld: allowed "
                                       ">= 0 and >= 1",
                                       (long long)p->initial_balance, (long long)p->max_transfer);
                if (!frac_ok(p->audit_frac) || !frac_ok(p->cross_shard))
                        return bl_errf(eb, BL_EINVAL,
                                       "bank audit fraction %g, cross-shard fraction %g: allowed "
                                       "[0, 1]",
                                       p->audit_frac, p->cross_shard);
                if (p->audit_accounts > p->keys)
                        return bl_errf(eb, BL_EINVAL,
                                       "bank audit accounts = %u: at most the %llu accounts "
                                       "(0 for all)",
                                       p->audit_accounts, (unsigned long long)p->keys);
                return 0;
        case BL_TXW_YCSB_T:
                if (p->keys == 0 || p->txn_keys == 0 || p->txn_keys > p->keys || p->txn_keys > 1024)
                        return bl_errf(eb, BL_EINVAL,
                                       "txn.keys = %u over %llu records: allowed 1 to "
                                       "min(records, 1024)",
                                       p->txn_keys, (unsigned long long)p->keys);
                if ((p->dist == BL_DIST_DEFAULT || p->dist == BL_DIST_ZIPFIAN ||
                     p->dist == BL_DIST_LATEST) &&
                    !(p->theta > 0.0 && p->theta < 1.0))
                        return bl_errf(eb, BL_EINVAL, "zipf constant %g: allowed (0, 1)", p->theta);
                if (p->dist == BL_DIST_HOTSPOT && (!frac_ok(p->hot_data) || !frac_ok(p->hot_op)))
                        return bl_errf(eb, BL_EINVAL, "hotspot fractions %g, %g: allowed [0, 1]",
                                       p->hot_data, p->hot_op);
                return 0;
        case BL_TXW_LIST_APPEND:
                if (p->min_ops == 0 || p->max_ops < p->min_ops || p->max_ops > 1024)
                        return bl_errf(eb, BL_EINVAL,
                                       "list-append micro-ops %u..%u: allowed 1 <= min <= max "
                                       "<= 1024",
                                       p->min_ops, p->max_ops);
                if (p->active_keys == 0 || p->writes_per_key == 0)
                        return bl_errf(eb, BL_EINVAL,
                                       "list-append active keys %u, writes per key %u: allowed "
                                       ">= 1",
                                       p->active_keys, p->writes_per_key);
                return 0;
        }
        return BL_EINVAL;
}

static int set_keys(struct bl_txngen *g)
{
        const struct bl_txn_params *p = &g->p;

        switch (p->dist) {
        case BL_DIST_UNIFORM:
                return bl_keygen_uniform(&g->keys, p->keys);
        case BL_DIST_HOTSPOT:
                return bl_keygen_hotspot(&g->keys, p->keys, p->hot_data, p->hot_op);
        case BL_DIST_LATEST:
                return bl_keygen_latest(&g->keys, p->keys, p->theta);
        case BL_DIST_DEFAULT:
        case BL_DIST_ZIPFIAN:
        default:
                return bl_keygen_scrambled(&g->keys, p->keys, p->theta);
        }
}

int bl_txngen_init(struct bl_txngen *g, const struct bl_txn_params *p, struct bl_errbuf *eb)
{
        int rc;

        memset(g, 0, sizeof(*g));
        rc = bl_txn_params_check(p, eb);
        if (rc != 0)
                return rc;
        g->p = *p;
        bl_rng_seed(&g->rng, p->seed, p->session);
        switch (p->type) {
        case BL_TXW_BANK: {
                uint64_t audit = p->audit_accounts ? p->audit_accounts : p->keys;

                if (audit > UINT32_MAX / 2)
                        return bl_errf(eb, BL_EINVAL, "bank audits of %llu accounts: too many",
                                       (unsigned long long)audit);
                g->cap = audit > 2 ? (uint32_t)audit : 2;
                if (p->audit_accounts > 0 && p->audit_accounts < p->keys) {
                        if (p->keys > SIZE_MAX / sizeof(*g->perm))
                                return BL_ENOMEM;
                        g->perm = bl_malloc(p->keys * sizeof(*g->perm));
                        if (g->perm == NULL)
                                return bl_errf(eb, BL_ENOMEM, "bank: out of memory");
                        for (uint64_t i = 0; i < p->keys; i++)
                                g->perm[i] = i;
                }
                break;
        }
        case BL_TXW_YCSB_T:
                g->cap = p->txn_keys;
                if (set_keys(g) != 0)
                        return bl_errf(eb, BL_EINVAL, "ycsb-t: bad key distribution");
                break;
        case BL_TXW_LIST_APPEND:
                g->cap = p->max_ops;
                break;
        }
        g->ops = bl_malloc(g->cap * sizeof(*g->ops));
        if (g->ops == NULL) {
                bl_txngen_free(g);
                return bl_errf(eb, BL_ENOMEM, "%s: out of memory", bl_txn_workload_name(p->type));
        }
        g->req.ops = g->ops;
        return 0;
}

void bl_txngen_free(struct bl_txngen *g)
{
        bl_free(g->ops);
        bl_free(g->perm);
        g->ops = NULL;
        g->perm = NULL;
        g->req.ops = NULL;
}

static uint64_t next_value(struct bl_txngen *g)
{
        g->writes++;
        return ((uint64_t)g->p.session + 1) << 32 | g->writes;
}

static void put_op(struct bl_txngen *g, int kind, uint64_t key, int64_t arg)
{
        struct bl_txop *o = &g->ops[g->req.nops++];

        o->kind = (uint8_t)kind;
        o->key = key;
        o->arg = arg;
}

/* The second account of a transfer: another shard with probability
 * cross_shard (when there are shards and such an account can be found). */
static uint64_t other_account(struct bl_txngen *g, uint64_t a)
{
        const struct bl_txn_params *p = &g->p;
        uint64_t b;

        if (p->shards > 1 && bl_rng_double(&g->rng) < p->cross_shard) {
                int sa = bl_shard_of(a, p->shards);

                for (int i = 0; i < CROSS_TRIES; i++) {
                        b = bl_rng_below(&g->rng, p->keys);
                        if (bl_shard_of(b, p->shards) != sa)
                                return b;
                }
        }
        b = bl_rng_below(&g->rng, p->keys - 1);
        return b >= a ? b + 1 : b;
}

static void next_bank(struct bl_txngen *g)
{
        const struct bl_txn_params *p = &g->p;

        if (p->audit_frac > 0.0 && bl_rng_double(&g->rng) < p->audit_frac) {
                g->req.cls = BL_TXC_AUDIT;
                if (g->perm == NULL) {
                        for (uint64_t a = 0; a < p->keys; a++)
                                put_op(g, BL_TXOP_READ, a, 0);
                        return;
                }
                /* Partial Fisher-Yates: the first audit_accounts slots become a
                 * uniform random set; perm stays a permutation for the next. */
                for (uint32_t i = 0; i < p->audit_accounts; i++) {
                        uint64_t j = i + bl_rng_below(&g->rng, p->keys - i), t = g->perm[i];

                        g->perm[i] = g->perm[j];
                        g->perm[j] = t;
                        put_op(g, BL_TXOP_READ, g->perm[i], 0);
                }
                return;
        }
        {
                uint64_t a = bl_rng_below(&g->rng, p->keys), b = other_account(g, a);
                int64_t x = 1 + (int64_t)bl_rng_below(&g->rng, (uint64_t)p->max_transfer);

                g->req.cls = BL_TXC_TRANSFER;
                put_op(g, BL_TXOP_ADD, a, -x);
                put_op(g, BL_TXOP_ADD, b, x);
        }
}

static void next_ycsbt(struct bl_txngen *g)
{
        uint64_t tries = 0;

        g->req.cls = BL_TXC_RMW;
        while (g->req.nops < g->p.txn_keys) {
                uint64_t k;
                uint32_t i;

                /* Distinct keys: redraw a repeat. When txn_keys is close to the
                 * key count, a skewed distribution takes long to reach the cold
                 * keys: after 64 draws per key, draw uniformly. */
                if (++tries <= 64ull * g->p.txn_keys)
                        k = bl_keygen_next(&g->keys, &g->rng);
                else
                        k = bl_rng_below(&g->rng, g->p.keys);
                for (i = 0; i < g->req.nops && g->ops[i].key != k; i++)
                        ;
                if (i < g->req.nops)
                        continue;
                put_op(g, BL_TXOP_RMW, k, (int64_t)next_value(g));
        }
}

static void next_list(struct bl_txngen *g)
{
        const struct bl_txn_params *p = &g->p;
        uint32_t n = p->min_ops + (uint32_t)bl_rng_below(&g->rng, p->max_ops - p->min_ops + 1);
        uint64_t per_gen = (uint64_t)p->active_keys * p->writes_per_key;
        uint64_t gen = g->appends * p->nsessions / per_gen;

        g->req.cls = BL_TXC_LIST;
        for (uint32_t i = 0; i < n; i++) {
                uint64_t k = gen * p->active_keys + bl_rng_below(&g->rng, p->active_keys);

                if (bl_rng_below(&g->rng, 2) == 0) {
                        put_op(g, BL_TXOP_APPEND, k, (int64_t)next_value(g));
                        g->appends++;
                } else {
                        put_op(g, BL_TXOP_READ, k, 0);
                }
        }
}

const struct bl_txn_req *bl_txngen_next(struct bl_txngen *g)
{
        g->req.nops = 0;
        switch (g->p.type) {
        case BL_TXW_BANK:
                next_bank(g);
                break;
        case BL_TXW_YCSB_T:
                next_ycsbt(g);
                break;
        case BL_TXW_LIST_APPEND:
                next_list(g);
                break;
        }
        return &g->req;
}
