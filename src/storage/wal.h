/* The per-rank write-ahead log: records of every kernel instance on a rank, with group commit. */
#ifndef BL_STORAGE_WAL_H
#define BL_STORAGE_WAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/*
 * One log per rank, shared by every group (kernel instance) the rank hosts,
 * so that one fdatasync makes the records of every group durable at once
 * (group commit). A record is (sequence number, group, type, bytes); the
 * sequence number is rank-wide, > 0 and consecutive, so a hole in the log is
 * visible on recovery.
 *
 * Threads. The caller (the rank's event loop) is single-threaded and never
 * blocks on the disk: bl_wal_append() copies the record into a queue and
 * returns; an I/O thread writes the queued records to the current segment
 * file and, in fsync mode, calls fdatasync once for everything it took from
 * the queue (records appended while a sync runs wait for the next one). The
 * loop polls bl_wal_durable(). Only recovery (a restart after a crash) reads
 * the disk on the caller's thread, as a rebooted machine would.
 *
 * Files. Segment files "<first seq as 16 hex digits>.wal" in opt->dir. A
 * record is a 24-byte little-endian header then the bytes:
 *   u32 len     bytes that follow the header
 *   u32 crc     CRC32C of len, then header bytes 8..23, then the bytes
 *   u64 seq
 *   u32 group
 *   u8  type    1..255 for the kernel's records; 0 is the log's own
 *               compaction marker (bytes: u64 seq compacted up to)
 *   u8  pad[3]  zero
 *
 * Compaction. bl_wal_compact(group, seq) drops the group's records up to
 * seq: they are no longer replayed, and a marker record says so on disk. A
 * segment is deleted once it is the oldest, is no longer written, and every
 * record in it belongs to a group that compacted past it (segments go in
 * order, so a marker is never deleted while a record it hides survives).
 */

enum bl_wal_mode {
        BL_WAL_MEMORY, /* records stay in RAM and are durable at once */
        BL_WAL_WRITE,  /* write() with no sync: survives a process crash */
        BL_WAL_FSYNC,  /* write() then fdatasync, group commit: survives power loss */
};

/* "memory", "write", "fsync"; "?" when out of range. */
const char *bl_wal_mode_name(int mode);

/* Parse a mode name. Returns 0 or BL_EINVAL. */
int bl_wal_mode_parse(const char *name, int *mode);

/* The largest record the log accepts (bytes after the header). */
#define BL_WAL_MAX_RECORD (256u << 20)
#define BL_WAL_HEADER     24u

struct bl_wal_options {
        int mode;               /* enum bl_wal_mode */
        const char *dir;        /* this rank's folder, created if missing; unused in memory mode */
        uint64_t segment_bytes; /* start a new segment past this size; 0: 16 MiB */
};

/* Counters; disk fields are zero in memory mode. */
struct bl_wal_stats {
        uint64_t appends;      /* records appended by kernels (markers excluded) */
        uint64_t append_bytes; /* their bytes, headers excluded */
        uint64_t writes;       /* write() calls (one per batch, or more if short) */
        uint64_t syncs;        /* fdatasync calls on segments (fsync mode) */
        uint64_t sync_ns;      /* time spent in those fdatasync calls */
        uint64_t disk_bytes;   /* bytes written to segment files, headers included */
        uint64_t segments_created;
        uint64_t segments_deleted;
};

/* What recovery found. */
struct bl_wal_recovery {
        uint64_t records;     /* live records read back (every group) */
        uint64_t last_seq;    /* last valid sequence number, 0 if none */
        int torn;             /* 1: a torn tail was cut off */
        char torn_file[320];  /* the segment that was truncated */
        uint64_t torn_offset; /* where it now ends */
        uint64_t torn_bytes;  /* how many bytes were cut */
        char torn_why[96];    /* "truncated header", "bad CRC", ... */
};

struct bl_wal;

/*
 * Open a log. In write and fsync mode the folder is created if missing and
 * the I/O thread is started; existing segments are left alone until
 * bl_wal_recover() reads them. Returns 0, BL_ENOMEM, BL_EINVAL or BL_EIO with
 * a message in eb.
 */
int bl_wal_open(struct bl_wal **out, const struct bl_wal_options *opt, struct bl_errbuf *eb);

/* Stop the I/O thread after it wrote (and synced) what was queued, close the
 * files and free the log. The files stay. NULL is a no-op. */
void bl_wal_close(struct bl_wal *w);

/*
 * Append a record of `group` (type 1..255, len <= BL_WAL_MAX_RECORD); the
 * bytes are copied. Returns its sequence number (> 0), or 0 when the log has
 * failed (bl_wal_error() says why) or is crashed and not yet recovered.
 */
uint64_t bl_wal_append(struct bl_wal *w, uint32_t group, int type, const void *buf, size_t len);

/* Every record with a sequence number <= the result is durable in this
 * mode. Never blocks on the disk. */
uint64_t bl_wal_durable(const struct bl_wal *w);

/* The group's records with sequence numbers <= seq are no longer needed. */
void bl_wal_compact(struct bl_wal *w, uint32_t group, uint64_t seq);

/* 0 while the log works; BL_EIO once a write, sync or file operation failed
 * (the message, naming the file, is copied into eb). */
int bl_wal_error(struct bl_wal *w, struct bl_errbuf *eb);

/* Counters so far. */
void bl_wal_stats(struct bl_wal *w, struct bl_wal_stats *out);

/*
 * The machine loses power (fsync mode) or the process dies (write mode):
 * every record that is not durable is discarded, and everything the log knew
 * in memory is forgotten; what survives is what the files hold. A write or
 * sync that is already running completes first (it then survived). In memory
 * mode nothing is lost. Appends are refused until bl_wal_recover().
 */
void bl_wal_crash(struct bl_wal *w);

/*
 * Read the log back: the segment files in write and fsync mode, the memory
 * in memory mode. A torn tail (a truncated last record, a bad CRC or zeros at
 * the very end of the last segment) is cut off at the last valid record and
 * reported in info. A corrupt record anywhere else (bad CRC or length with
 * valid data after it, a sequence gap, a bad segment name) refuses recovery:
 * returns BL_EIO with "file: offset N: why" in eb and leaves the files as
 * they are. On success the records stay available to bl_wal_replay() until
 * bl_wal_replay_done(), and appends continue after the last valid record in
 * a new segment.
 */
int bl_wal_recover(struct bl_wal *w, struct bl_wal_recovery *info, struct bl_errbuf *eb);

/* Hand the group's live records to fn in sequence order. Stops at the first
 * non-zero return of fn and returns it; 0 otherwise. */
int bl_wal_replay(const struct bl_wal *w, uint32_t group,
                  int (*fn)(void *arg, uint64_t seq, int type, const void *buf, size_t len),
                  void *arg);

/* Replay is over: free the copies recovery read (write and fsync mode). */
void bl_wal_replay_done(struct bl_wal *w);

/* Test hook: hold (1) or release (0) the I/O thread, so a test can append
 * records that are certainly not durable yet. */
void bl_wal_hold(struct bl_wal *w, int on);

/* Test and fault hook: damage the tail of the log's last segment file as a
 * torn write would (cut the last record in the middle). The log must be
 * crashed. Returns 0, BL_ENOTFOUND (no record on disk) or BL_EIO. */
int bl_wal_corrupt_tail(const char *dir, struct bl_errbuf *eb);

/* Test and fault hook: flip one byte inside the first record of the oldest
 * segment that holds two records or more, as a medium that lost data would:
 * a corrupt record with valid ones after it. Returns 0, BL_ENOTFOUND (no
 * such segment) or BL_EIO. */
int bl_wal_corrupt_middle(const char *dir, struct bl_errbuf *eb);

#endif
