/*
 * Transaction verdicts (see txnverdict.h). Atomicity sorts every (transaction,
 * shard) record once and walks the transactions in id order; bank is one pass
 * over the audits with a stamp per account to recognise full audits.
 */
#include "check/txnverdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/history.h"
#include "common/alloc.h"
#include "common/err.h"

static void set(struct bl_verdict *v, const char *name, int pass, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set(struct bl_verdict *v, const char *name, int pass, const char *fmt, ...)
{
        va_list ap;

        snprintf(v->name, sizeof(v->name), "%s", name);
        v->pass = pass;
        va_start(ap, fmt);
        vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
        va_end(ap);
}

/* ---- atomicity ---- */

enum { APPLIED = 0, IN_DOUBT = 1 };

#define NO_SHARD UINT32_MAX

struct rec {
        uint64_t txn;
        uint32_t shard;
        uint8_t kind;
};

static int cmp_rec(const void *a, const void *b)
{
        const struct rec *x = a, *y = b;

        if (x->txn != y->txn)
                return x->txn < y->txn ? -1 : 1;
        if (x->shard != y->shard)
                return x->shard < y->shard ? -1 : 1;
        return x->kind - y->kind;
}

static int cmp_outcome(const void *a, const void *b)
{
        const struct bl_txn_outcome *x = *(const struct bl_txn_outcome *const *)a;
        const struct bl_txn_outcome *y = *(const struct bl_txn_outcome *const *)b;

        return (x->txn > y->txn) - (x->txn < y->txn);
}

static int writes_shard(const struct bl_txn_outcome *t, uint32_t shard)
{
        for (uint32_t i = 0; i < t->nshards; i++)
                if (t->shards[i] == shard)
                        return 1;
        return 0;
}

/* Kind of t's record on shard in r[0..n) (t's records, sorted), or -1. */
static int kind_on(const struct rec *r, size_t n, uint32_t shard)
{
        for (size_t i = 0; i < n; i++)
                if (r[i].shard == shard)
                        return r[i].kind;
        return -1;
}

/* Whether a shard's log was given: a shard without one (no live replica at
 * the end) is not judged, neither applying nor missing anything. */
static int logged(const struct bl_shard_log *logs, size_t nlogs, uint32_t shard)
{
        for (size_t l = 0; l < nlogs; l++)
                if (logs[l].shard == shard)
                        return 1;
        return 0;
}

/* Judge one transaction from its records r[0..n). 0 fine, 1 violation (v set). */
static int judge_txn(const struct bl_txn_outcome *t, const struct rec *r, size_t n,
                     const struct bl_shard_log *logs, size_t nlogs, uint64_t *in_doubt,
                     struct bl_verdict *v)
{
        const char *out = bl_outcome_name(t->outcome);
        uint32_t applied = 0, doubt = 0, missing = NO_SHARD;

        for (size_t i = 0; i < n; i++) {
                if (i > 0 && r[i].shard == r[i - 1].shard && r[i].kind == r[i - 1].kind &&
                    r[i].kind == APPLIED) {
                        set(v, "atomicity", BL_VERDICT_FAIL,
                            "transaction %llu (%s) applied twice on shard %u",
                            (unsigned long long)t->txn, out, r[i].shard);
                        return 1;
                }
                if (!writes_shard(t, r[i].shard)) {
                        set(v, "atomicity", BL_VERDICT_FAIL,
                            "transaction %llu (%s) %s on shard %u, which it does not write",
                            (unsigned long long)t->txn, out,
                            r[i].kind == APPLIED ? "applied" : "prepared", r[i].shard);
                        return 1;
                }
        }
        for (uint32_t i = 0; i < t->nshards; i++) {
                int k = kind_on(r, n, t->shards[i]);

                if (k == APPLIED)
                        applied++;
                else if (k == IN_DOUBT)
                        doubt++;
                else if (missing == NO_SHARD && logged(logs, nlogs, t->shards[i]))
                        missing = t->shards[i];
        }
        if (t->outcome == BL_OUT_FAIL && applied > 0) {
                size_t i = 0;

                while (r[i].kind != APPLIED)
                        i++;
                set(v, "atomicity", BL_VERDICT_FAIL,
                    "transaction %llu aborted, yet applied on shard %u (%u of its %u shards)",
                    (unsigned long long)t->txn, r[i].shard, applied, t->nshards);
                return 1;
        }
        if (t->outcome == BL_OUT_OK && missing != NO_SHARD) {
                set(v, "atomicity", BL_VERDICT_FAIL,
                    "transaction %llu committed, yet not applied on shard %u (applied on %u of "
                    "its %u shards)",
                    (unsigned long long)t->txn, missing, applied, t->nshards);
                return 1;
        }
        if (t->outcome == BL_OUT_UNKNOWN && applied > 0 && missing != NO_SHARD) {
                set(v, "atomicity", BL_VERDICT_FAIL,
                    "transaction %llu (outcome unknown) applied on %u of its %u shards, not on "
                    "shard %u",
                    (unsigned long long)t->txn, applied, t->nshards, missing);
                return 1;
        }
        if (doubt > 0 && t->outcome != BL_OUT_FAIL)
                (*in_doubt)++;
        return 0;
}

int bl_check_atomicity(const struct bl_txn_outcome *t, size_t nt, const struct bl_shard_log *logs,
                       size_t nlogs, struct bl_verdict *v)
{
        const struct bl_txn_outcome **byid = NULL;
        struct rec *r = NULL;
        size_t nr = 0, j = 0;
        uint64_t in_doubt = 0;
        int rc = 0;

        if (v == NULL || (t == NULL && nt > 0) || (logs == NULL && nlogs > 0))
                return BL_EINVAL;
        for (size_t l = 0; l < nlogs; l++)
                nr += logs[l].napplied + (logs[l].in_doubt ? logs[l].nin_doubt : 0);
        byid = bl_malloc((nt ? nt : 1) * sizeof(*byid));
        r = bl_malloc((nr ? nr : 1) * sizeof(*r));
        if (byid == NULL || r == NULL) {
                set(v, "atomicity", BL_VERDICT_INCONCLUSIVE, "out of memory");
                rc = BL_ENOMEM;
                goto out_free;
        }
        nr = 0;
        for (size_t l = 0; l < nlogs; l++) {
                for (size_t i = 0; i < logs[l].napplied; i++)
                        r[nr++] = (struct rec){logs[l].applied[i], logs[l].shard, APPLIED};
                for (size_t i = 0; logs[l].in_doubt && i < logs[l].nin_doubt; i++)
                        r[nr++] = (struct rec){logs[l].in_doubt[i], logs[l].shard, IN_DOUBT};
        }
        qsort(r, nr, sizeof(*r), cmp_rec);
        for (size_t i = 0; i < nt; i++)
                byid[i] = &t[i];
        qsort(byid, nt, sizeof(*byid), cmp_outcome);
        for (size_t i = 1; i < nt; i++) {
                if (byid[i]->txn == byid[i - 1]->txn) {
                        set(v, "atomicity", BL_VERDICT_UNKNOWN,
                            "transaction %llu is listed twice among the outcomes",
                            (unsigned long long)byid[i]->txn);
                        rc = BL_EINVAL;
                        goto out_free;
                }
        }
        for (size_t i = 0; i < nt; i++) {
                size_t k;

                for (; j < nr && r[j].txn < byid[i]->txn; j++) {
                        set(v, "atomicity", BL_VERDICT_FAIL,
                            "shard %u %s transaction %llu, which no client issued", r[j].shard,
                            r[j].kind == APPLIED ? "applied" : "prepared",
                            (unsigned long long)r[j].txn);
                        goto out_free;
                }
                for (k = j; k < nr && r[k].txn == byid[i]->txn; k++)
                        ;
                if (judge_txn(byid[i], r + j, k - j, logs, nlogs, &in_doubt, v))
                        goto out_free;
                j = k;
        }
        if (j < nr) {
                set(v, "atomicity", BL_VERDICT_FAIL,
                    "shard %u %s transaction %llu, which no client issued", r[j].shard,
                    r[j].kind == APPLIED ? "applied" : "prepared", (unsigned long long)r[j].txn);
                goto out_free;
        }
        if (nt == 0)
                set(v, "atomicity", BL_VERDICT_UNKNOWN, "no transaction to judge");
        else
                set(v, "atomicity", BL_VERDICT_PASS,
                    "%zu transactions all-or-nothing on %zu shards; %llu still in doubt", nt, nlogs,
                    (unsigned long long)in_doubt);
out_free:
        bl_free(byid);
        bl_free(r);
        return rc;
}

/* ---- bank ---- */

/* Sum balances, failing on overflow (a sum that overflows is not the total). */
static int sum_ok(const int64_t *b, size_t n, int64_t *sum)
{
        int64_t s = 0;

        for (size_t i = 0; i < n; i++)
                if (__builtin_add_overflow(s, b[i], &s))
                        return 0;
        *sum = s;
        return 1;
}

int bl_check_bank(int64_t total, uint64_t accounts, const struct bl_bank_audit *audits,
                  size_t naudits, const int64_t *final, struct bl_verdict *v)
{
        uint32_t *stamp;
        size_t full = 0;
        int64_t sum = 0;

        if (v == NULL || (audits == NULL && naudits > 0) || accounts > SIZE_MAX / sizeof(*stamp))
                return BL_EINVAL;
        stamp = bl_calloc(accounts ? accounts : 1, sizeof(*stamp));
        if (stamp == NULL) {
                set(v, "bank", BL_VERDICT_INCONCLUSIVE, "out of memory");
                return BL_ENOMEM;
        }
        for (size_t i = 0; i < naudits; i++) {
                const struct bl_bank_audit *a = &audits[i];
                size_t distinct = 0;

                for (size_t k = 0; k < a->n; k++) {
                        if (a->account[k] >= accounts) {
                                set(v, "bank", BL_VERDICT_FAIL,
                                    "audit %llu read account %llu; accounts are 0..%llu",
                                    (unsigned long long)a->txn, (unsigned long long)a->account[k],
                                    (unsigned long long)accounts - 1);
                                goto out_free;
                        }
                        if (a->balance[k] < 0) {
                                set(v, "bank", BL_VERDICT_FAIL,
                                    "audit %llu saw account %llu at %lld, below zero",
                                    (unsigned long long)a->txn, (unsigned long long)a->account[k],
                                    (long long)a->balance[k]);
                                goto out_free;
                        }
                        if (stamp[a->account[k]] != (uint32_t)i + 1) {
                                stamp[a->account[k]] = (uint32_t)i + 1;
                                distinct++;
                        }
                }
                if (distinct != accounts || a->n != accounts)
                        continue;
                full++;
                if (!sum_ok(a->balance, a->n, &sum) || sum != total) {
                        set(v, "bank", BL_VERDICT_FAIL,
                            "audit %llu of all %llu accounts sums to %lld, not the initial %lld",
                            (unsigned long long)a->txn, (unsigned long long)accounts,
                            (long long)sum, (long long)total);
                        goto out_free;
                }
        }
        if (final != NULL) {
                for (uint64_t k = 0; k < accounts; k++) {
                        if (final[k] < 0) {
                                set(v, "bank", BL_VERDICT_FAIL,
                                    "final balance of account %llu is %lld, below zero",
                                    (unsigned long long)k, (long long) final[k]);
                                goto out_free;
                        }
                }
                if (!sum_ok(final, accounts, &sum) || sum != total) {
                        set(v, "bank", BL_VERDICT_FAIL,
                            "final balances sum to %lld, not the initial %lld", (long long)sum,
                            (long long)total);
                        goto out_free;
                }
        }
        if (full == 0 && final == NULL)
                set(v, "bank", BL_VERDICT_UNKNOWN,
                    "no audit of all accounts and no final state: nothing to sum");
        else
                set(v, "bank", BL_VERDICT_PASS,
                    "total %lld kept by %zu full audits%s; %zu audits, no negative balance",
                    (long long)total, full, final ? " and the final state" : "", naudits);
out_free:
        bl_free(stamp);
        return 0;
}

/* ---- serializability ---- */

void bl_check_serial(const struct bl_ser_result *r, int strict, struct bl_verdict *v)
{
        int x = strict ? r->strict : r->serializable;

        set(v, strict ? "strict-serializable" : "serializable",
            x == 1            ? BL_VERDICT_PASS
            : x == 0          ? BL_VERDICT_FAIL
            : r->inconclusive ? BL_VERDICT_INCONCLUSIVE
                              : BL_VERDICT_UNKNOWN,
            "%s", strict && x == -1 && !r->inconclusive ? "real time not recorded" : r->reason);
}
