/* The write-ahead log's private state, shared by its files (wal.c, io.c, recover.c). */
#ifndef BL_STORAGE_INTERNAL_H
#define BL_STORAGE_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/wal.h"

#define WAL_MARKER 0 /* record type of the log's own compaction marker */

/* A record held in memory: the log itself in memory mode, or a copy read
 * back from disk for replay. */
struct wal_rec {
        uint64_t seq;
        uint32_t group;
        uint8_t type;
        uint32_t len;
        uint8_t *data;
};

/* (group, sequence number) pairs: the last record of a group in a segment,
 * or how far a group compacted. A rank hosts a handful of groups, so a
 * linear array is the right map. */
struct wal_gseq {
        uint32_t group;
        uint64_t seq;
};

struct wal_gmap {
        struct wal_gseq *v;
        size_t n, cap;
};

struct wal_seg {
        uint64_t first_seq;
        struct wal_gmap last; /* per group: last kernel record in this segment */
};

struct wal_buf {
        uint8_t *p;
        size_t len, cap;
};

struct bl_wal {
        int mode;
        char *dir;
        uint64_t segment_bytes;

        /* The caller's thread only. */
        uint64_t next_seq; /* the next sequence number handed out */
        int crashed;       /* crashed and not yet recovered: appends refused */
        uint64_t appends, append_bytes;
        struct wal_rec *recs; /* memory mode: the log; otherwise: replay copies */
        size_t nrecs, caprecs;
        uint64_t mem_durable; /* memory mode: the last sequence number */

        /* Shared with the I/O thread, under mu. */
        pthread_mutex_t mu;
        pthread_cond_t work; /* pending records, hold released, or stop */
        pthread_cond_t idle; /* a batch finished */
        pthread_t thread;
        int thread_started;
        struct wal_buf pending; /* encoded records not yet taken by the thread */
        uint64_t pending_last;  /* sequence number of the last pending record */
        int busy, hold, stop;
        int err; /* sticky; written under mu, read without it on the fast path */
        char errmsg[BL_ERRMSG_SIZE];
        uint64_t durable; /* read without the lock (atomic) */
        struct bl_wal_stats io_stats;

        /* The I/O thread's own (others touch them only while it is idle and
         * they hold mu: crash, recover, close). */
        int fd;    /* current segment, -1 when none is open */
        int dirfd; /* the folder, for fsync after creating or deleting files */
        uint64_t seg_size;
        struct wal_seg *segs; /* oldest first; the last is the one written to */
        size_t nsegs, capsegs;
        struct wal_gmap compacted; /* durable compaction markers, per group */
        struct wal_buf batch;
};

/* Encode a record header into h (BL_WAL_HEADER bytes). */
void bl_wal_header(uint8_t *h, uint64_t seq, uint32_t group, int type, const void *buf,
                   uint32_t len);

/* Grow a buffer to hold n more bytes. Returns 0 or BL_ENOMEM. */
int bl_wal_buf_reserve(struct wal_buf *b, size_t n);

/* Map operations: the value for group (0 if absent); raise it to seq. */
uint64_t bl_wal_gmap_get(const struct wal_gmap *m, uint32_t group);
int bl_wal_gmap_raise(struct wal_gmap *m, uint32_t group, uint64_t seq);

/* Segment file path for a first sequence number, into out (PATH_MAX). */
void bl_wal_seg_path(char *out, size_t size, const char *dir, uint64_t first_seq);

/* The I/O thread's body (io.c). */
void *bl_wal_io_main(void *arg);

/* Free the segment table and compaction map. */
void bl_wal_segs_clear(struct bl_wal *w);

/* Read the segment files back (recover.c). */
int bl_wal_recover_disk(struct bl_wal *w, struct bl_wal_recovery *info, struct bl_errbuf *eb);

/* Drop the records of w->recs that compaction hides. */
void bl_wal_recs_filter(struct bl_wal *w, const struct wal_gmap *compacted);

/* Free every record copy. */
void bl_wal_recs_clear(struct bl_wal *w);

/* Append one record copy to w->recs. Returns 0 or BL_ENOMEM. */
int bl_wal_recs_push(struct bl_wal *w, uint64_t seq, uint32_t group, int type, const void *buf,
                     uint32_t len);

#endif
