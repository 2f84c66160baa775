/* Rebuilding a list-append transaction history from its stored rows, refusing malformed ones. */
#include "results/txnrows.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "check/history.h"
#include "common/alloc.h"
#include "common/err.h"
#include "results/schema.h"

/* Why transaction row r cannot be one a client recorded, or NULL. */
static const char *txn_row_error(const struct bl_txh_row *r, size_t nm)
{
        if (r->outcome < BL_OUT_OK || r->outcome > BL_OUT_UNKNOWN)
                return "unknown outcome code (allowed: ok, fail, unknown)";
        if (r->invoke_ns < 0)
                return "negative invoke_ns";
        if (r->outcome == BL_OUT_UNKNOWN && r->complete_ns != -1)
                return "outcome unknown but complete_ns is not -1";
        if (r->outcome != BL_OUT_UNKNOWN && r->complete_ns < 0)
                return "outcome known but complete_ns is missing (negative; only an unknown "
                       "outcome has no completion time)";
        if (r->outcome != BL_OUT_UNKNOWN && r->complete_ns < r->invoke_ns)
                return "completes before it was invoked";
        if (r->first_mop > nm || r->nmops > nm - r->first_mop)
                return "its micro-ops lie beyond the end of " BL_SP_TXH_MOPS;
        return NULL;
}

static const char *mop_row_error(const struct bl_mop_row *m, size_t nv)
{
        if (m->kind != BL_MOP_APPEND && m->kind != BL_MOP_READ)
                return "unknown micro-op kind (allowed: append, read)";
        if (m->kind == BL_MOP_READ && (m->read_off > nv || m->read_len > nv - m->read_off))
                return "the list read lies beyond the end of " BL_SP_TXH_VALUES;
        return NULL;
}

struct id_pos {
        uint64_t id;
        size_t row;
};

static int cmp_id(const void *a, const void *b)
{
        const struct id_pos *x = a, *y = b;

        if (x->id != y->id)
                return x->id < y->id ? -1 : 1;
        return (x->row > y->row) - (x->row < y->row);
}

/* BL_EPROTO with why set when two rows share an id; BL_ENOMEM. */
static int unique_ids(const struct bl_txh_row *t, size_t nt, char *why, size_t whysize)
{
        struct id_pos *v = bl_calloc(nt + 1, sizeof(*v));
        int rc = 0;

        if (v == NULL)
                return BL_ENOMEM;
        for (size_t i = 0; i < nt; i++)
                v[i] = (struct id_pos){t[i].id, i};
        qsort(v, nt, sizeof(*v), cmp_id);
        for (size_t i = 1; i < nt; i++) {
                if (v[i].id == v[i - 1].id) {
                        snprintf(why, whysize,
                                 "%s row %zu (from 0) is malformed: transaction id %" PRIu64
                                 " is already used by row %zu",
                                 BL_SP_TXH_TXNS, v[i].row, v[i].id, v[i - 1].row);
                        rc = BL_EPROTO;
                        break;
                }
        }
        bl_free(v);
        return rc;
}

int bl_txn_rows_to_history(const struct bl_txh_row *t, size_t nt, const struct bl_mop_row *m,
                           size_t nm, const uint64_t *vals, size_t nv, struct bl_txn_history *h,
                           char *why, size_t whysize)
{
        int rc;

        why[0] = '\0';
        for (size_t i = 0; i < nm; i++) {
                const char *e = mop_row_error(&m[i], nv);

                if (e != NULL) {
                        snprintf(why, whysize,
                                 "%s row %zu (from 0) is malformed: %s (kind %" PRId32
                                 ", key %" PRIu64 ", read_off %" PRIu64 ", read_len %" PRIu32
                                 "; %zu values stored)",
                                 BL_SP_TXH_MOPS, i, e, m[i].kind, m[i].key, m[i].read_off,
                                 m[i].read_len, nv);
                        return BL_EPROTO;
                }
        }
        for (size_t i = 0; i < nt; i++) {
                const char *e = txn_row_error(&t[i], nm);

                if (e != NULL) {
                        snprintf(why, whysize,
                                 "%s row %zu (from 0) is malformed: %s (id %" PRIu64
                                 ", client %" PRIu32 ", outcome %" PRId32 ", invoke_ns %" PRId64
                                 ", complete_ns %" PRId64 ", first_mop %" PRIu64 ", nmops %" PRIu32
                                 "; %zu micro-ops stored)",
                                 BL_SP_TXH_TXNS, i, e, t[i].id, t[i].client, t[i].outcome,
                                 t[i].invoke_ns, t[i].complete_ns, t[i].first_mop, t[i].nmops, nm);
                        return BL_EPROTO;
                }
        }
        rc = unique_ids(t, nt, why, whysize);
        for (size_t i = 0; rc == 0 && i < nt; i++) {
                rc = bl_txn_begin(h, t[i].id, t[i].client, t[i].outcome, (uint64_t)t[i].invoke_ns,
                                  t[i].complete_ns < 0 ? UINT64_MAX : (uint64_t)t[i].complete_ns);
                for (uint64_t k = t[i].first_mop; rc == 0 && k < t[i].first_mop + t[i].nmops; k++)
                        rc = m[k].kind == BL_MOP_APPEND
                                 ? bl_txn_append(h, m[k].key, m[k].value)
                                 : bl_txn_read(h, m[k].key,
                                               m[k].read_len > 0 ? vals + m[k].read_off : NULL,
                                               m[k].read_len);
        }
        if (rc != 0)
                bl_txn_history_free(h);
        return rc;
}
