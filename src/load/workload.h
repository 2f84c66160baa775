/* Workload generators: the command stream of one client session (YCSB A-D, F, counter). */
#ifndef BL_LOAD_WORKLOAD_H
#define BL_LOAD_WORKLOAD_H

#include <stdint.h>

#include "common/err.h"
#include "common/rng.h"
#include "config/config.h"
#include "load/dist.h"
#include "store/cmd.h"

/*
 * One generator per client session; sessions are numbered 0..nsessions-1
 * across the whole run. The stream depends only on (experiment.seed, session,
 * nsessions, workload config), never on timing: the rng is
 * bl_rng_seed(seed, session).
 *
 *  type     reads  writes              default keys
 *  YCSB-A   50%    50% update (PUT)    zipfian
 *  YCSB-B   95%     5% update          zipfian
 *  YCSB-C  100%     -                  zipfian
 *  YCSB-D   95%     5% insert          latest
 *  YCSB-F   50%    50% rmw             zipfian
 *  counter   -    100% increment by 1  uniform over [0, workload.counters)
 *
 * "zipfian" is YCSB's request distribution of that name, i.e. the scrambled
 * zipfian (BL_KG_SCRAMBLED) over the store.records preloaded keys with
 * theta = workload.zipf_constant; workload.distribution, when not DEFAULT,
 * replaces it (uniform, zipfian, latest, hotspot with the hotspot_* fractions)
 * for every type but counter. Non-latest distributions draw from the
 * preloaded keys only.
 *
 * Write values are unique across the run: ((session + 1) << 32) | w, w the
 * session's write count from 1 (unique while w < 2^32; preloaded values are
 * k + 1 < 2^32 while records < 2^32). Increments carry the delta 1 instead.
 *
 * Inserts (D): the i-th insert (from 0) of session s writes key
 * records + i * nsessions + s, so sessions never collide. 'latest' needs the
 * global insert count, which a session cannot know without coordination; it
 * estimates it as its own insert count times nsessions (sessions run at about
 * the same rate), i.e. it draws from [0, records + inserts * nsessions) with
 * the newest key favoured. A draw may thus name a key another session has not
 * inserted yet: the read gets NOTFOUND, a valid outcome.
 */
struct bl_workload {
        enum bl_workload_type type;
        uint32_t session;
        uint32_t nsessions;
        uint64_t records;
        uint32_t pad;     /* store.value_size: payload of a mutation */
        double read_frac; /* probability of a GET */
        uint8_t write_op; /* the other operation */
        int latest;       /* keys follow the insert estimate */
        uint64_t writes;  /* values written so far (PUT/INSERT/RMW) */
        uint64_t inserts; /* inserts so far */
        struct bl_keygen keys;
        struct bl_rng rng;
};

/*
 * Set up session `session` of `nsessions`. Costs one zeta computation
 * (~20 us) for zipfian kinds; no heap memory (nothing to free). Returns 0,
 * BL_EINVAL for session >= nsessions, or BL_ECONFIG when the configuration
 * cannot drive a generator (records or counters 0, theta outside (0, 1),
 * fractions outside [0, 1], unknown type); config validation already rules
 * these out, so the code alone says enough.
 */
int bl_workload_init(struct bl_workload *w, const struct bl_config *cfg, uint32_t session,
                     uint32_t nsessions);

/* Up to max of the hottest keys of the workload cfg describes (its key
 * distribution at the start, see bl_keygen_hottest), most popular first.
 * The same on every rank. Returns the count; 0 when the configuration cannot
 * drive a generator. */
size_t bl_workload_hot_keys(const struct bl_config *cfg, uint64_t *keys, size_t max);

/* Next command: fills op, key, value and pad (store.value_size for every
 * mutation, increments included; 0 for GET); the caller fills origin, client
 * and seq. Cannot fail. */
void bl_workload_next(struct bl_workload *w, struct bl_cmd *out);

#endif
