/*
 * MPI transport. One tag, one duplicated communicator; messages from one
 * sender to one receiver arrive in order (MPI's non-overtaking rule), which
 * the kernels do not rely on but the final drain does (counts per peer).
 *
 * Pending sends live in a growable array of requests and buffers; every
 * poll tests them with MPI_Testsome and frees what completed, so the array
 * stays as small as the number of messages in flight.
 */
#include "net/net.h"

#include <string.h>

#include "common/alloc.h"
#include "common/rng.h"
#include "common/wire.h"
#include "run/clock.h"

#define NET_TAG         7 /* batches up to NET_RING_BYTES: pre-posted receives */
#define NET_BIG_TAG     8 /* larger batches: matched probes */
#define NET_RING        8
#define NET_RING_BYTES  (256u << 10)
#define NET_FLUSH_BYTES (64u << 10) /* send a destination's queue once it is this big */
#define NET_MAGIC       0xB1

/* Classes: the fixed ones, then the kernel's message types. */
enum {
        CLS_REQUEST,
        CLS_REPLY,
        CLS_PING,
        CLS_PONG,
        CLS_STATUS,
        CLS_MALFORMED,
};

static const char *const fixed_names[BL_NET_FIXED_CLASSES] = {
    "client_request", "client_reply", "ping", "pong", "status", "malformed",
};

static const char *const txn_names[BL_NET_TXN_FIXED] = {"txn_request", "txn_reply", "leader_hint"};

/* Frames for one destination, coalesced into one MPI message. */
struct outq {
        uint8_t *buf;
        size_t len;
        size_t cap;
        int listed; /* in the dirty list */
};

struct delayed {
        uint64_t due;
        int dest;
        int cls;
        uint8_t *msg;
        size_t len;
};

struct bl_net {
        MPI_Comm comm;
        int rank;
        int size;
        int n_kernel_types;
        int n_commit_types; /* -1: transaction kinds refused */
        MPI_Request *reqs;
        void **bufs;
        int npending;
        int cap;
        int *done_idx; /* scratch for MPI_Testsome */
        /* Receives: a ring of pre-posted MPI_Irecv (testing a posted request
         * is cheap; a matched probe starts a request on every call), plus
         * matched probes on a second tag for batches too big for a slot. */
        MPI_Request ring_req[NET_RING];
        uint8_t *ring_buf[NET_RING];
        int head;     /* next ring slot to complete */
        int cur;      /* ring slot whose frames are being handed out, -1 none */
        uint8_t *big; /* buffer of the last big batch */
        size_t bigcap;
        const uint8_t *rbuf; /* the batch being handed out */
        size_t rlen, roff;   /* its length and the next frame's offset */
        int rsrc;
        struct outq *out; /* [size]: frames waiting to leave, per destination */
        int *dirty;       /* destinations with queued frames */
        int ndirty;
        uint64_t *sent_to;
        uint64_t *recv_from;
        struct bl_net_counters ctr;
        /* fault injection */
        struct bl_rng frng;
        int isolated;
        unsigned polls;
        int *group; /* [size] or NULL */
        struct bl_net_rule *rules;
        int nrules, caprules;
        struct delayed *delayed;
        size_t ndelayed, capdelayed;
};

static int post_slot(struct bl_net *n, int i)
{
        return MPI_Irecv(n->ring_buf[i], (int)NET_RING_BYTES, MPI_BYTE, MPI_ANY_SOURCE, NET_TAG,
                         n->comm, &n->ring_req[i]) == MPI_SUCCESS
                   ? 0
                   : BL_EMPI;
}

/* Allocate and post the receive ring. Returns 0, BL_ENOMEM or BL_EMPI. */
static int post_ring(struct bl_net *n)
{
        for (int i = 0; i < NET_RING; i++) {
                n->ring_buf[i] = bl_malloc(NET_RING_BYTES);
                if (n->ring_buf[i] == NULL)
                        return BL_ENOMEM;
        }
        for (int i = 0; i < NET_RING; i++)
                if (post_slot(n, i) != 0)
                        return BL_EMPI;
        return 0;
}

struct bl_net *bl_net_create(MPI_Comm comm, int n_kernel_types, struct bl_errbuf *eb)
{
        struct bl_net *n;

        if (n_kernel_types < 0 || n_kernel_types > BL_NET_MAX_CLASSES - BL_NET_FIXED_CLASSES) {
                bl_errf(eb, BL_EINVAL, "transport: kernel declares %d message types, at most %d",
                        n_kernel_types, BL_NET_MAX_CLASSES - BL_NET_FIXED_CLASSES);
                return NULL;
        }
        n = bl_calloc(1, sizeof(*n));
        if (n == NULL)
                goto out_nomem;
        if (MPI_Comm_dup(comm, &n->comm) != MPI_SUCCESS) {
                bl_free(n);
                bl_errf(eb, BL_EMPI, "transport: MPI_Comm_dup failed");
                return NULL;
        }
        MPI_Comm_rank(n->comm, &n->rank);
        MPI_Comm_size(n->comm, &n->size);
        n->n_kernel_types = n_kernel_types;
        n->n_commit_types = -1;
        n->cap = 64;
        n->reqs = bl_malloc(sizeof(*n->reqs) * (size_t)n->cap);
        n->bufs = bl_malloc(sizeof(*n->bufs) * (size_t)n->cap);
        n->done_idx = bl_malloc(sizeof(*n->done_idx) * (size_t)n->cap);
        n->cur = -1;
        for (int i = 0; i < NET_RING; i++)
                n->ring_req[i] = MPI_REQUEST_NULL;
        n->sent_to = bl_calloc((size_t)n->size, sizeof(uint64_t));
        n->recv_from = bl_calloc((size_t)n->size, sizeof(uint64_t));
        n->out = bl_calloc((size_t)n->size, sizeof(*n->out));
        n->dirty = bl_calloc((size_t)n->size, sizeof(int));
        if (!n->reqs || !n->bufs || !n->done_idx || !n->sent_to || !n->recv_from || !n->out ||
            !n->dirty || post_ring(n) != 0) {
                bl_net_destroy(n);
                goto out_nomem;
        }
        return n;
out_nomem:
        bl_errf(eb, BL_ENOMEM, "transport: out of memory");
        return NULL;
}

void bl_net_destroy(struct bl_net *n)
{
        if (n == NULL)
                return;
        if (n->out != NULL)
                bl_net_flush_out(n);
        if (n->npending > 0) {
                MPI_Waitall(n->npending, n->reqs, MPI_STATUSES_IGNORE);
                for (int i = 0; i < n->npending; i++)
                        bl_free(n->bufs[i]);
        }
        if (n->comm != MPI_COMM_NULL && n->comm != 0)
                MPI_Comm_free(&n->comm);
        bl_free(n->reqs);
        bl_free(n->bufs);
        bl_free(n->done_idx);
        for (int i = 0; i < NET_RING; i++) {
                if (n->ring_req[i] != MPI_REQUEST_NULL) {
                        MPI_Cancel(&n->ring_req[i]);
                        MPI_Wait(&n->ring_req[i], MPI_STATUS_IGNORE);
                }
                bl_free(n->ring_buf[i]);
        }
        bl_free(n->big);
        bl_free(n->sent_to);
        bl_free(n->recv_from);
        bl_net_discard_delayed(n);
        bl_free(n->delayed);
        for (int i = 0; n->out != NULL && i < n->size; i++)
                bl_free(n->out[i].buf);
        bl_free(n->out);
        bl_free(n->dirty);
        bl_free(n->group);
        bl_free(n->rules);
        bl_free(n);
}

int bl_net_class(const struct bl_net *n, int kind, int type)
{
        switch (kind) {
        case BL_MSG_KERNEL:
                if (type < 0 || type >= n->n_kernel_types)
                        return -1;
                return BL_NET_FIXED_CLASSES + type;
        case BL_MSG_REQUEST:
                return CLS_REQUEST;
        case BL_MSG_REPLY:
                return CLS_REPLY;
        case BL_MSG_PING:
                return CLS_PING;
        case BL_MSG_PONG:
                return CLS_PONG;
        case BL_MSG_STATUS:
                return CLS_STATUS;
        case BL_MSG_TXN:
        case BL_MSG_TXN_REPLY:
        case BL_MSG_LEADER:
                if (n->n_commit_types < 0)
                        return -1;
                return BL_NET_FIXED_CLASSES + n->n_kernel_types + (kind - BL_MSG_TXN);
        case BL_MSG_COMMIT:
                if (n->n_commit_types < 0 || type < 0 || type >= n->n_commit_types)
                        return -1;
                return BL_NET_FIXED_CLASSES + n->n_kernel_types + BL_NET_TXN_FIXED + type;
        default:
                return -1;
        }
}

int bl_net_nclasses(const struct bl_net *n)
{
        return BL_NET_FIXED_CLASSES + n->n_kernel_types +
               (n->n_commit_types >= 0 ? BL_NET_TXN_FIXED + n->n_commit_types : 0);
}

int bl_net_enable_txn(struct bl_net *n, int n_commit_types)
{
        if (n_commit_types < 0 ||
            BL_NET_FIXED_CLASSES + n->n_kernel_types + BL_NET_TXN_FIXED + n_commit_types >
                BL_NET_MAX_CLASSES)
                return BL_EINVAL;
        n->n_commit_types = n_commit_types;
        return 0;
}

const char *bl_net_txn_class_name(int i)
{
        return i >= 0 && i < BL_NET_TXN_FIXED ? txn_names[i] : NULL;
}

const char *bl_net_fixed_class_name(int cls)
{
        return cls >= 0 && cls < BL_NET_FIXED_CLASSES ? fixed_names[cls] : NULL;
}

const struct bl_net_counters *bl_net_counters(const struct bl_net *n)
{
        return &n->ctr;
}

static int grow_pending(struct bl_net *n)
{
        int cap = n->cap * 2;
        MPI_Request *r = bl_realloc(n->reqs, sizeof(*r) * (size_t)cap);

        if (r == NULL)
                return BL_ENOMEM;
        n->reqs = r;
        void **b = bl_realloc(n->bufs, sizeof(*b) * (size_t)cap);
        if (b == NULL)
                return BL_ENOMEM;
        n->bufs = b;
        int *d = bl_realloc(n->done_idx, sizeof(*d) * (size_t)cap);
        if (d == NULL)
                return BL_ENOMEM;
        n->done_idx = d;
        n->cap = cap;
        return 0;
}

/* Hand one MPI message to MPI; takes ownership of msg. */
static int isend(struct bl_net *n, int dest, uint8_t *msg, size_t len)
{
        if (n->npending == n->cap && grow_pending(n) != 0) {
                bl_free(msg);
                return BL_ENOMEM;
        }
        int tag = len <= NET_RING_BYTES ? NET_TAG : NET_BIG_TAG;
        if (MPI_Isend(msg, (int)len, MPI_BYTE, dest, tag, n->comm, &n->reqs[n->npending]) !=
            MPI_SUCCESS) {
                bl_free(msg);
                return BL_EMPI;
        }
        n->bufs[n->npending++] = msg;
        n->sent_to[dest]++;
        return 0;
}

static int flush_dest(struct bl_net *n, int dest)
{
        struct outq *q = &n->out[dest];
        uint8_t *buf = q->buf;
        size_t len = q->len;

        if (len == 0)
                return 0;
        q->buf = NULL;
        q->len = q->cap = 0;
        return isend(n, dest, buf, len);
}

int bl_net_flush_out(struct bl_net *n)
{
        int rc = 0;

        for (int i = 0; i < n->ndirty; i++) {
                int r = flush_dest(n, n->dirty[i]);
                n->out[n->dirty[i]].listed = 0;
                rc = rc ? rc : r;
        }
        n->ndirty = 0;
        return rc;
}

/* Room for `len` more bytes in dest's queue; returns where they go, or NULL
 * (BL_ENOMEM). */
static uint8_t *reserve(struct bl_net *n, int dest, size_t len)
{
        struct outq *q = &n->out[dest];

        if (q->len + len > q->cap) {
                size_t cap = q->cap ? q->cap : 1024;
                while (cap < q->len + len)
                        cap *= 2;
                uint8_t *b = bl_realloc(q->buf, cap);
                if (b == NULL)
                        return NULL;
                q->buf = b;
                q->cap = cap;
        }
        if (q->len == 0 && !q->listed) {
                n->dirty[n->ndirty++] = dest;
                q->listed = 1;
        }
        q->len += len;
        return q->buf + q->len - len;
}

/* Queue one frame (header + payload, `len` bytes in all) for dest: a 4-byte
 * length, then the frame. The queue leaves as one MPI message at the next
 * poll (or once it passes NET_FLUSH_BYTES). */
static int append(struct bl_net *n, int dest, int cls, const uint8_t *frame, size_t len)
{
        uint8_t *p = reserve(n, dest, 4 + len);
        struct bl_wbuf w;

        if (p == NULL)
                return BL_ENOMEM;
        bl_wbuf_init(&w, p, 4 + len);
        bl_put_u32(&w, (uint32_t)len);
        bl_put_bytes(&w, frame, len);
        n->ctr.sent[cls]++;
        n->ctr.sent_bytes[cls] += len;
        if (n->out[dest].len >= NET_FLUSH_BYTES) {
                /* Flushing one destination early leaves it in the dirty
                 * list with an empty queue; flush_dest skips it. */
                return flush_dest(n, dest);
        }
        return 0;
}

/* As append, for a frame in a heap buffer that is then freed. */
static int post(struct bl_net *n, int dest, int cls, uint8_t *msg, size_t len)
{
        int rc = append(n, dest, cls, msg, len);

        bl_free(msg);
        return rc;
}

static int data_plane(int kind)
{
        return kind == BL_MSG_KERNEL || kind == BL_MSG_REQUEST || kind == BL_MSG_REPLY ||
               (kind >= BL_MSG_TXN && kind <= BL_MSG_COMMIT);
}

static int rule_matches(const struct bl_net_rule *r, int src, int dst)
{
        return (r->src < 0 || r->src == src) && (r->dst < 0 || r->dst == dst);
}

static int hold(struct bl_net *n, int dest, int cls, uint8_t *msg, size_t len, uint64_t due)
{
        if (n->ndelayed == n->capdelayed) {
                size_t cap = n->capdelayed ? n->capdelayed * 2 : 64;
                struct delayed *d = bl_realloc(n->delayed, cap * sizeof(*d));
                if (d == NULL) {
                        bl_free(msg);
                        return BL_ENOMEM;
                }
                n->delayed = d;
                n->capdelayed = cap;
        }
        n->delayed[n->ndelayed++] = (struct delayed){due, dest, cls, msg, len};
        n->ctr.delayed++;
        return 0;
}

/* Apply the fault rules to one outgoing frame: drop it, send it (maybe
 * twice), or hold it back. Takes ownership of msg. */
static int inject(struct bl_net *n, int dest, int cls, uint8_t *msg, size_t len)
{
        uint64_t now = 0, delay = 0;
        int dup = 0;

        if (n->isolated || (n->group != NULL && n->group[n->rank] != n->group[dest]))
                goto out_drop;
        if (n->nrules > 0)
                now = bl_now_ns();
        for (int i = 0; i < n->nrules; i++) {
                const struct bl_net_rule *r = &n->rules[i];
                if (now >= r->end_ns || !rule_matches(r, n->rank, dest))
                        continue;
                switch (r->kind) {
                case BL_NET_DROP:
                        if (bl_rng_double(&n->frng) < r->fraction)
                                goto out_drop;
                        break;
                case BL_NET_DUP:
                        dup |= bl_rng_double(&n->frng) < r->fraction;
                        break;
                case BL_NET_DELAY: {
                        uint64_t j =
                            r->jitter_ns ? bl_rng_below(&n->frng, 2 * r->jitter_ns + 1) : 0;
                        delay += r->delay_ns + j - r->jitter_ns;
                        break;
                }
                }
        }
        if (dup) {
                uint8_t *copy = bl_malloc(len);
                if (copy == NULL) {
                        bl_free(msg);
                        return BL_ENOMEM;
                }
                memcpy(copy, msg, len);
                n->ctr.duplicated++;
                int rc = delay ? hold(n, dest, cls, copy, len, now + delay)
                               : post(n, dest, cls, copy, len);
                if (rc != 0) {
                        bl_free(msg);
                        return rc;
                }
        }
        if (delay)
                return hold(n, dest, cls, msg, len, now + delay);
        return post(n, dest, cls, msg, len);
out_drop:
        n->ctr.dropped++;
        bl_free(msg);
        return 0;
}

static void put_header(struct bl_wbuf *w, int kind, int type, uint32_t group)
{
        bl_put_u8(w, NET_MAGIC);
        bl_put_u8(w, (uint8_t)kind);
        bl_put_u8(w, (uint8_t)type);
        bl_put_u8(w, 0);
        bl_put_u32(w, group);
}

int bl_net_send(struct bl_net *n, int dest, int kind, int type, uint32_t group, const void *buf,
                size_t len)
{
        struct bl_wbuf w;
        uint8_t *msg;
        int cls = bl_net_class(n, kind, type);
        size_t flen = BL_NET_HEADER + len;

        if (cls < 0 || dest < 0 || dest >= n->size || len > (size_t)INT32_MAX - 64)
                return BL_EINVAL;
        if (data_plane(kind) && (n->isolated || n->group != NULL || n->nrules > 0)) {
                /* Faults may hold or copy the frame: build it on the heap. */
                msg = bl_malloc(flen);
                if (msg == NULL)
                        return BL_ENOMEM;
                bl_wbuf_init(&w, msg, flen);
                put_header(&w, kind, type, group);
                bl_put_bytes(&w, buf, len);
                return inject(n, dest, cls, msg, flen);
        }
        /* Fast path: straight into the destination's queue. */
        uint8_t *p = reserve(n, dest, 4 + flen);
        if (p == NULL)
                return BL_ENOMEM;
        bl_wbuf_init(&w, p, 4 + flen);
        bl_put_u32(&w, (uint32_t)flen);
        put_header(&w, kind, type, group);
        bl_put_bytes(&w, buf, len);
        n->ctr.sent[cls]++;
        n->ctr.sent_bytes[cls] += flen;
        return n->out[dest].len >= NET_FLUSH_BYTES ? flush_dest(n, dest) : 0;
}

/* Send the delayed frames whose time has come. */
static void release_delayed(struct bl_net *n)
{
        uint64_t now = bl_now_ns();
        size_t j = 0;

        for (size_t i = 0; i < n->ndelayed; i++) {
                struct delayed *d = &n->delayed[i];
                if (d->due <= now && !n->isolated)
                        post(n, d->dest, d->cls, d->msg, d->len);
                else if (d->due <= now)
                        bl_free(d->msg); /* crashed meanwhile: lost */
                else
                        n->delayed[j++] = *d;
        }
        n->ndelayed = j;
}

void bl_net_discard_delayed(struct bl_net *n)
{
        for (size_t i = 0; i < n->ndelayed; i++)
                bl_free(n->delayed[i].msg);
        n->ndelayed = 0;
}

void bl_net_fault_seed(struct bl_net *n, uint64_t seed)
{
        bl_rng_seed(&n->frng, seed, 0xfa17ull << 32 | (uint64_t)n->rank);
}

void bl_net_isolate(struct bl_net *n, int on)
{
        n->isolated = on;
}

int bl_net_partition(struct bl_net *n, const int *group_of_rank)
{
        if (group_of_rank == NULL) {
                bl_free(n->group);
                n->group = NULL;
                return 0;
        }
        if (n->group == NULL) {
                n->group = bl_malloc(sizeof(int) * (size_t)n->size);
                if (n->group == NULL)
                        return BL_ENOMEM;
        }
        memcpy(n->group, group_of_rank, sizeof(int) * (size_t)n->size);
        return 0;
}

int bl_net_add_rule(struct bl_net *n, const struct bl_net_rule *r)
{
        if (n->nrules == n->caprules) {
                int cap = n->caprules ? n->caprules * 2 : 8;
                struct bl_net_rule *p = bl_realloc(n->rules, sizeof(*p) * (size_t)cap);
                if (p == NULL)
                        return BL_ENOMEM;
                n->rules = p;
                n->caprules = cap;
        }
        n->rules[n->nrules++] = *r;
        return 0;
}

int bl_net_active_rules(struct bl_net *n, uint64_t now)
{
        int j = 0;

        for (int i = 0; i < n->nrules; i++)
                if (now < n->rules[i].end_ns)
                        n->rules[j++] = n->rules[i];
        n->nrules = j;
        return j;
}

void bl_net_progress(struct bl_net *n)
{
        int outcount = 0;

        if (n->npending == 0)
                return;
        MPI_Testsome(n->npending, n->reqs, &outcount, n->done_idx, MPI_STATUSES_IGNORE);
        if (outcount <= 0 || outcount == MPI_UNDEFINED)
                return;
        for (int i = 0; i < outcount; i++) {
                bl_free(n->bufs[n->done_idx[i]]);
                n->bufs[n->done_idx[i]] = NULL;
        }
        /* Compact: completed requests are MPI_REQUEST_NULL now. */
        int j = 0;
        for (int i = 0; i < n->npending; i++) {
                if (n->bufs[i] == NULL)
                        continue;
                n->reqs[j] = n->reqs[i];
                n->bufs[j] = n->bufs[i];
                j++;
        }
        n->npending = j;
}

/* The next frame of the current batch: 1 with *f filled, 0 when the batch
 * is used up. Malformed frames are counted and skipped; a bad length ends
 * the batch. */
static int next_frame(struct bl_net *n, struct bl_frame *f)
{
        while (n->roff < n->rlen) {
                struct bl_rbuf r;
                bl_rbuf_init(&r, n->rbuf + n->roff, n->rlen - n->roff);
                uint32_t flen = bl_get_u32(&r);
                if (!r.ok || flen < BL_NET_HEADER || flen > n->rlen - n->roff - 4) {
                        n->ctr.recv[CLS_MALFORMED]++;
                        n->ctr.recv_bytes[CLS_MALFORMED] += n->rlen - n->roff;
                        n->roff = n->rlen;
                        return 0;
                }
                const uint8_t *frame = n->rbuf + n->roff + 4;
                n->roff += 4 + (size_t)flen;
                bl_rbuf_init(&r, frame, flen);
                uint8_t magic = bl_get_u8(&r);
                f->kind = bl_get_u8(&r);
                f->type = bl_get_u8(&r);
                (void)bl_get_u8(&r);
                f->group = bl_get_u32(&r);
                int cls = r.ok && magic == NET_MAGIC ? bl_net_class(n, f->kind, f->type) : -1;
                if (cls < 0) {
                        n->ctr.recv[CLS_MALFORMED]++;
                        n->ctr.recv_bytes[CLS_MALFORMED] += flen;
                        continue;
                }
                n->ctr.recv[cls]++;
                n->ctr.recv_bytes[cls] += flen;
                if (n->isolated && data_plane(f->kind)) {
                        n->ctr.dropped++;
                        continue;
                }
                f->src = n->rsrc;
                f->data = frame + BL_NET_HEADER;
                f->len = flen - BL_NET_HEADER;
                return 1;
        }
        return 0;
}

/* A big batch, if one is waiting: 1 (batch set), 0 (none) or an error. */
static int recv_big(struct bl_net *n)
{
        MPI_Message msg;
        MPI_Status st;
        int flag = 0, count = 0;

        if (MPI_Improbe(MPI_ANY_SOURCE, NET_BIG_TAG, n->comm, &flag, &msg, &st) != MPI_SUCCESS)
                return BL_EMPI;
        if (!flag)
                return 0;
        MPI_Get_count(&st, MPI_BYTE, &count);
        if ((size_t)count > n->bigcap) {
                uint8_t *b = bl_realloc(n->big, (size_t)count);
                if (b == NULL)
                        return BL_ENOMEM;
                n->big = b;
                n->bigcap = (size_t)count;
        }
        if (MPI_Mrecv(n->big, count, MPI_BYTE, &msg, MPI_STATUS_IGNORE) != MPI_SUCCESS)
                return BL_EMPI;
        n->recv_from[st.MPI_SOURCE]++;
        n->rsrc = st.MPI_SOURCE;
        n->rbuf = n->big;
        n->rlen = (size_t)count;
        n->roff = 0;
        return 1;
}

int bl_net_poll(struct bl_net *n, struct bl_frame *f)
{
        MPI_Status st;
        int flag = 0, count = 0, rc;

        for (;;) {
                if (next_frame(n, f))
                        return 1;
                /* The batch is used up: give its ring slot back to MPI, and
                 * send what its frames made us send, as one MPI message per
                 * destination. */
                if (n->cur >= 0) {
                        rc = post_slot(n, n->cur);
                        n->cur = -1;
                        n->head = (n->head + 1) % NET_RING;
                        if (rc != 0)
                                return rc;
                }
                n->rlen = n->roff = 0;
                if (n->ndirty > 0 && (rc = bl_net_flush_out(n)) != 0)
                        return rc;
                /* Completed sends are reaped in batches: MPI_Testsome walks
                 * every pending request. */
                n->polls++;
                if (n->npending >= 32 || (n->polls & 63) == 0)
                        bl_net_progress(n);
                if (n->ndelayed > 0)
                        release_delayed(n);
                if ((n->polls & 15) == 0 && (rc = recv_big(n)) != 0) {
                        if (rc < 0)
                                return rc;
                        continue;
                }
                if (MPI_Test(&n->ring_req[n->head], &flag, &st) != MPI_SUCCESS)
                        return BL_EMPI;
                if (!flag)
                        return 0;
                MPI_Get_count(&st, MPI_BYTE, &count);
                n->recv_from[st.MPI_SOURCE]++;
                n->cur = n->head;
                n->rsrc = st.MPI_SOURCE;
                n->rbuf = n->ring_buf[n->head];
                n->rlen = (size_t)count;
                n->roff = 0;
        }
}

int bl_net_flush(struct bl_net *n, void (*idle)(void *), void *arg)
{
        int rc = bl_net_flush_out(n);

        if (rc != 0)
                return rc;
        while (n->npending > 0) {
                bl_net_progress(n);
                if (n->npending > 0 && idle != NULL)
                        idle(arg);
        }
        return 0;
}

const uint64_t *bl_net_sent_to(const struct bl_net *n)
{
        return n->sent_to;
}

const uint64_t *bl_net_recv_from(const struct bl_net *n)
{
        return n->recv_from;
}
