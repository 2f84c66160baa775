/* The replicated state machine: one replica of one shard of the key-value store. */
#ifndef BL_STORE_KV_H
#define BL_STORE_KV_H

#include <stddef.h>
#include <stdint.h>

#include "store/cmd.h"

/*
 * Keys and values are 64-bit integers: a value is the token a client wrote
 * (values are unique per write, so reads can be matched to writes), the
 * payload bytes of a command only model its size. A store is created with
 * its shard's share of the preloaded records: key k in [0, records) with
 * bl_shard_of(k, nshards) == shard holds k + 1. There is no delete, so every
 * preloaded key is always present.
 *
 * Commands are applied in log order with at-most-once semantics for
 * mutations, keyed by (client, seq) (see bl_kv_apply). Every applied mutation
 * folds (op, key, resulting value) into a running 64-bit digest: replicas
 * that applied the same sequence have equal digests, and any difference in
 * order, key, value or op changes it (up to 64-bit hash collisions).
 *
 * The hash table is open addressing with linear probing, 16 bytes a slot,
 * load factor at most 3/4, doubling; presized for the preload. Single-threaded.
 */
struct bl_kv;

/* Create the store of `shard` (0 <= shard < nshards; nshards <= 0 is taken
 * as 1) and preload it. Costs one hash per record. Returns NULL on
 * allocation failure or a shard outside [0, nshards). */
struct bl_kv *bl_kv_create(int shard, int nshards, uint64_t records);
/* Free the store. NULL is a no-op. */
void bl_kv_destroy(struct bl_kv *kv);
/* Back to the preloaded state: written keys gone, sessions, digest and
 * applied count cleared. Capacity is kept, so it cannot run out of memory;
 * returns 0 (BL_ENOMEM is reserved for future shrinking). */
int bl_kv_reset(struct bl_kv *kv);

/*
 * Apply one command and fill res (status and value).
 *  GET     status OK and the value, or NOTFOUND (value 0). Changes nothing;
 *          not deduplicated, not recorded in the session table.
 *  PUT     key = cmd->value; res value = cmd->value.
 *  INSERT  the same as PUT (an existing key is overwritten).
 *  RMW     res value = the old value (status OK) or 0 with status NOTFOUND
 *          if the key was absent; in both cases key = cmd->value afterwards.
 *  INCR    key += cmd->value (an absent key counts as 0, wraps mod 2^64);
 *          res value = the new value.
 * At-most-once for mutations, per cmd->client (one request outstanding per
 * client): a client's first mutation is applied whatever its seq; then seq ==
 * the last applied seq is a retry and gets the cached result without being
 * applied again; seq < last is stale and gets status ERROR, not applied;
 * seq > last is applied and remembered. Duplicates change neither digest nor
 * applied count.
 * Returns 0 (whatever the status), BL_EPROTO for an unknown op (status
 * ERROR), or BL_ENOMEM when the table, the session table or the checkpoint
 * array could not grow; the store is then unchanged.
 */
int bl_kv_apply(struct bl_kv *kv, const struct bl_cmd *c, struct bl_result *res);

/* Running digest of the applied mutation sequence (0 when none). */
uint64_t bl_kv_digest(const struct bl_kv *kv);
/* Number of mutations applied (duplicates and stale requests excluded). */
uint64_t bl_kv_applied(const struct bl_kv *kv);
/*
 * Digest checkpoints, so that replicas that applied different numbers of
 * mutations can still be compared on their common prefix. After each
 * mutation whose applied count is a multiple of `every`, the store records
 * (applied, digest). `every` is the smallest power of two with
 * applied / every <= BL_KV_CHECKPOINTS: when it doubles, the checkpoints that
 * are not multiples of the new interval are dropped. The set kept is thus a
 * function of the applied count alone (every multiple of every(n) up to n),
 * and since every(n) grows with n, two replicas at n1 <= n2 share every
 * multiple of every(n2) up to n1. Memory: at most BL_KV_CHECKPOINTS + 1
 * entries of 16 bytes.
 * bl_kv_reset clears them (a new incarnation replays from scratch);
 * bl_kv_restore keeps those at or below the snapshot's applied count (this
 * replica's own history up to there) and none of the snapshot's range it
 * skipped. Snapshots do not carry checkpoints: they are observations.
 */
#define BL_KV_CHECKPOINTS 1024

struct bl_kv_checkpoint {
        uint64_t applied;
        uint64_t digest;
};

/* The checkpoints, in increasing applied order; *cps stays valid until the
 * next mutation, reset or restore. Cannot fail. */
size_t bl_kv_checkpoints(const struct bl_kv *kv, const struct bl_kv_checkpoint **cps);

/* Read key without a command. Returns 0 and sets *value, or BL_ENOTFOUND. */
int bl_kv_get(const struct bl_kv *kv, uint64_t key, uint64_t *value);

/*
 * Serialize the whole state: written keys, sessions, digest and applied
 * count. The encoding is canonical (equal states give equal bytes): little
 * endian (common/wire.h), a header naming (shard, nshards, records), the keys
 * that differ from the preload (absent from it, or holding another value)
 * sorted by key, the sessions sorted by client, and a checksum. Preloaded
 * keys are implied, so the size follows the writes, not the records.
 * On success *buf is from bl_malloc (caller frees with bl_free). Returns 0 or
 * BL_ENOMEM (*buf is then NULL). Cost: a scan of the table plus a sort of
 * the written keys.
 */
int bl_kv_snapshot(const struct bl_kv *kv, void **buf, size_t *len);
/* Replace the state with a snapshot taken from a store of the same shard,
 * nshards and records. Returns 0, BL_EPROTO for a malformed, truncated,
 * corrupted or foreign snapshot, or BL_ENOMEM; on error the state is
 * unchanged. The buffer is validated completely before anything changes. */
int bl_kv_restore(struct bl_kv *kv, const void *buf, size_t len);

/* Bytes held by the store (tables and session array). */
size_t bl_kv_mem_bytes(const struct bl_kv *kv);
/* Number of keys held. */
size_t bl_kv_size(const struct bl_kv *kv);

/* Shard of a key: bl_mix64(key) mod nshards (0 when nshards <= 1). */
int bl_shard_of(uint64_t key, int nshards);

#endif
