/*
 * Message encoding. Every field is little-endian through common/wire.h; a
 * decoder consumes exactly the bytes it was given and checks what the
 * receiver would otherwise have to trust: counts against the bytes present
 * (a message claiming 10^9 entries in 20 bytes is rejected before anything
 * is allocated), flags, entry types and the ordering of terms.
 */
#include "kernels/raft/encode.h"

#include "common/err.h"
#include "kernels/raft/internal.h"

const char *const bl_raft_msg_names[BL_RAFT_MSG__COUNT] = {
    [BL_RAFT_MSG_REQUEST_VOTE] = "request_vote",
    [BL_RAFT_MSG_REQUEST_VOTE_RESULT] = "request_vote_result",
    [BL_RAFT_MSG_APPEND_ENTRIES] = "append_entries",
    [BL_RAFT_MSG_APPEND_ENTRIES_RESULT] = "append_entries_result",
    [BL_RAFT_MSG_INSTALL_SNAPSHOT] = "install_snapshot",
    [BL_RAFT_MSG_INSTALL_SNAPSHOT_RESULT] = "install_snapshot_result",
    [BL_RAFT_MSG_TIMEOUT_NOW] = "timeout_now",
    [BL_RAFT_MSG_PRE_VOTE] = "pre_vote",
    [BL_RAFT_MSG_PRE_VOTE_RESULT] = "pre_vote_result",
};

static size_t finish(const struct bl_wbuf *w)
{
        return w->ok ? w->len : 0;
}

size_t bl_raft_encode_request_vote(const struct bl_raft_request_vote *m, void *buf, size_t cap)
{
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, cap);
        bl_put_u64(&w, m->term);
        bl_put_u64(&w, m->last_index);
        bl_put_u64(&w, m->last_term);
        return finish(&w);
}

int bl_raft_decode_request_vote(const void *buf, size_t len, struct bl_raft_request_vote *m)
{
        struct bl_rbuf r;

        bl_rbuf_init(&r, buf, len);
        m->term = bl_get_u64(&r);
        m->last_index = bl_get_u64(&r);
        m->last_term = bl_get_u64(&r);
        if (!bl_rbuf_done(&r) || m->term == 0 || m->last_term > m->term ||
            (m->last_index == 0) != (m->last_term == 0))
                return BL_EPROTO;
        return 0;
}

size_t bl_raft_encode_request_vote_result(const struct bl_raft_request_vote_result *m, void *buf,
                                          size_t cap)
{
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, cap);
        bl_put_u64(&w, m->term);
        bl_put_u8(&w, m->granted);
        return finish(&w);
}

int bl_raft_decode_request_vote_result(const void *buf, size_t len,
                                       struct bl_raft_request_vote_result *m)
{
        struct bl_rbuf r;

        bl_rbuf_init(&r, buf, len);
        m->term = bl_get_u64(&r);
        m->granted = bl_get_u8(&r);
        if (!bl_rbuf_done(&r) || m->granted > 1)
                return BL_EPROTO;
        return 0;
}

void bl_raft_put_append_entries(struct bl_wbuf *w, const struct bl_raft_append_entries *m)
{
        bl_put_u64(w, m->term);
        bl_put_u64(w, m->prev_index);
        bl_put_u64(w, m->prev_term);
        bl_put_u64(w, m->commit);
        bl_put_u64(w, m->seq);
        bl_put_u32(w, m->n);
}

void bl_raft_put_entry(struct bl_wbuf *w, uint64_t term, uint8_t type, const void *data,
                       uint32_t len)
{
        bl_put_u64(w, term);
        bl_put_u8(w, type);
        bl_put_u32(w, len);
        bl_put_bytes(w, data, len);
}

int bl_raft_entries_next(struct bl_rbuf *r, struct bl_raft_wire_entry *e)
{
        e->term = bl_get_u64(r);
        e->type = bl_get_u8(r);
        e->len = bl_get_u32(r);
        e->buf = bl_get_bytes(r, e->len);
        return r->ok ? 0 : BL_EPROTO;
}

int bl_raft_decode_append_entries(const void *buf, size_t len, struct bl_raft_append_entries *m)
{
        struct bl_rbuf r, er;
        struct bl_raft_wire_entry e;
        uint64_t term;

        bl_rbuf_init(&r, buf, len);
        m->term = bl_get_u64(&r);
        m->prev_index = bl_get_u64(&r);
        m->prev_term = bl_get_u64(&r);
        m->commit = bl_get_u64(&r);
        m->seq = bl_get_u64(&r);
        m->n = bl_get_u32(&r);
        if (!r.ok || m->term == 0 || m->prev_term > m->term ||
            (m->prev_index == 0) != (m->prev_term == 0) || m->prev_index > UINT64_MAX - m->n)
                return BL_EPROTO;
        /* The count must fit the bytes present before we walk anything. */
        m->entries = r.p + r.off;
        m->entries_len = r.len - r.off;
        if ((uint64_t)m->n > m->entries_len / BL_RAFT_WIRE_ENTRY_HEADER)
                return BL_EPROTO;
        /* From Figure 2 and the Log Matching Property: terms along a log never
         * decrease, and no entry is newer than the leader's term. */
        bl_rbuf_init(&er, m->entries, m->entries_len);
        term = m->prev_term;
        for (uint32_t i = 0; i < m->n; i++) {
                if (bl_raft_entries_next(&er, &e) != 0)
                        return BL_EPROTO;
                if (e.term < term || e.term > m->term || e.term == 0)
                        return BL_EPROTO;
                if (e.type != BL_RAFT_ENTRY_CMD && e.type != BL_RAFT_ENTRY_NOOP)
                        return BL_EPROTO;
                if (e.type == BL_RAFT_ENTRY_NOOP && e.len != 0)
                        return BL_EPROTO;
                term = e.term;
        }
        if (!bl_rbuf_done(&er))
                return BL_EPROTO;
        return 0;
}

size_t bl_raft_encode_append_entries_result(const struct bl_raft_append_entries_result *m,
                                            void *buf, size_t cap)
{
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, cap);
        bl_put_u64(&w, m->term);
        bl_put_u8(&w, m->success);
        bl_put_u64(&w, m->match);
        bl_put_u64(&w, m->rejected);
        bl_put_u64(&w, m->conflict_term);
        bl_put_u64(&w, m->conflict_index);
        bl_put_u64(&w, m->seq);
        bl_put_u64(&w, m->req_term);
        return finish(&w);
}

int bl_raft_decode_append_entries_result(const void *buf, size_t len,
                                         struct bl_raft_append_entries_result *m)
{
        struct bl_rbuf r;

        bl_rbuf_init(&r, buf, len);
        m->term = bl_get_u64(&r);
        m->success = bl_get_u8(&r);
        m->match = bl_get_u64(&r);
        m->rejected = bl_get_u64(&r);
        m->conflict_term = bl_get_u64(&r);
        m->conflict_index = bl_get_u64(&r);
        m->seq = bl_get_u64(&r);
        m->req_term = bl_get_u64(&r);
        if (!bl_rbuf_done(&r) || m->term == 0 || m->success > 1 || m->req_term == 0 ||
            m->req_term > m->term || (m->success && m->req_term != m->term))
                return BL_EPROTO;
        /* A rejection names an index the follower lacks or disagrees on. */
        if (!m->success && (m->rejected == 0 || m->conflict_term > m->term ||
                            (m->conflict_term != 0 && m->conflict_index == 0)))
                return BL_EPROTO;
        return 0;
}

size_t bl_raft_encode_install_snapshot(const struct bl_raft_install_snapshot *m, void *buf,
                                       size_t cap)
{
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, cap);
        bl_put_u64(&w, m->term);
        bl_put_u64(&w, m->index);
        bl_put_u64(&w, m->snap_term);
        bl_put_u64(&w, m->seq);
        bl_put_u64(&w, (uint64_t)m->len);
        bl_put_bytes(&w, m->data, m->len);
        return finish(&w);
}

int bl_raft_decode_install_snapshot(const void *buf, size_t len, struct bl_raft_install_snapshot *m)
{
        struct bl_rbuf r;
        uint64_t n;

        bl_rbuf_init(&r, buf, len);
        m->term = bl_get_u64(&r);
        m->index = bl_get_u64(&r);
        m->snap_term = bl_get_u64(&r);
        m->seq = bl_get_u64(&r);
        n = bl_get_u64(&r);
        if (!r.ok || n != r.len - r.off)
                return BL_EPROTO;
        m->data = bl_get_bytes(&r, (size_t)n);
        m->len = (size_t)n;
        if (!bl_rbuf_done(&r) || m->term == 0 || m->index == 0 || m->snap_term == 0 ||
            m->snap_term > m->term)
                return BL_EPROTO;
        return 0;
}

size_t bl_raft_encode_install_snapshot_result(const struct bl_raft_install_snapshot_result *m,
                                              void *buf, size_t cap)
{
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, cap);
        bl_put_u64(&w, m->term);
        bl_put_u64(&w, m->index);
        bl_put_u64(&w, m->seq);
        bl_put_u64(&w, m->req_term);
        return finish(&w);
}

int bl_raft_decode_install_snapshot_result(const void *buf, size_t len,
                                           struct bl_raft_install_snapshot_result *m)
{
        struct bl_rbuf r;

        bl_rbuf_init(&r, buf, len);
        m->term = bl_get_u64(&r);
        m->index = bl_get_u64(&r);
        m->seq = bl_get_u64(&r);
        m->req_term = bl_get_u64(&r);
        if (!bl_rbuf_done(&r) || m->term == 0 || m->req_term == 0 || m->req_term > m->term)
                return BL_EPROTO;
        return 0;
}

size_t bl_raft_encode_timeout_now(const struct bl_raft_timeout_now *m, void *buf, size_t cap)
{
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, cap);
        bl_put_u64(&w, m->term);
        return finish(&w);
}

int bl_raft_decode_timeout_now(const void *buf, size_t len, struct bl_raft_timeout_now *m)
{
        struct bl_rbuf r;

        bl_rbuf_init(&r, buf, len);
        m->term = bl_get_u64(&r);
        if (!bl_rbuf_done(&r) || m->term == 0)
                return BL_EPROTO;
        return 0;
}
