/*
 * The no-replication baseline. Each shard has one owner (member 0); a command
 * is applied the moment it arrives and answered at once. Groups must have one
 * member; the runtime refuses replicas > 1 for this kernel. No persistent
 * state: a crash of the owner destroys the instance and the shard's state,
 * and the new instance starts from the preloaded records, which is exactly
 * what running without replication means.
 */
#include "kernels/kernel.h"

#include "common/alloc.h"

struct none {
        struct bl_env env;
        struct bl_group g;
        uint64_t applied;
};

static void *none_create(const struct bl_env *env, const struct bl_group *g,
                         const struct bl_config *cfg)
{
        struct none *n = bl_calloc(1, sizeof(*n));

        (void)cfg;
        if (n == NULL)
                return NULL;
        n->env = *env;
        n->g = *g;
        return n;
}

static void none_destroy(void *k)
{
        bl_free(k);
}

static int none_replay(void *k, uint64_t seq, int type, const void *buf, size_t len)
{
        (void)k;
        (void)seq;
        (void)type;
        (void)buf;
        (void)len;
        return BL_EPROTO; /* this kernel persists nothing */
}

static void none_start(void *k)
{
        (void)k;
}

static int none_submit(void *k, const void *cmd, size_t len, unsigned flags, uint64_t tag)
{
        struct none *n = k;

        (void)flags;
        n->applied++;
        n->env.apply(n->env.ctx, cmd, len, n->applied, tag);
        return 0;
}

static int none_recv(void *k, int from, int type, const void *buf, size_t len)
{
        (void)k;
        (void)from;
        (void)type;
        (void)buf;
        (void)len;
        return BL_EPROTO; /* this kernel sends no messages */
}

static void none_tick(void *k)
{
        (void)k;
}

static int none_leader(void *k)
{
        struct none *n = k;

        return n->g.self;
}

static void none_stats(void *k, struct bl_kernel_stats *out)
{
        struct none *n = k;

        *out = (struct bl_kernel_stats){.applied = n->applied, .commit = n->applied};
}

const struct bl_kernel bl_kernel_none = {
    .name = "none",
    .version = "1.0",
    .summary = "no replication: one owner per shard applies commands on arrival (baseline)",
    .kind = BL_KERNEL_REPLICATION,
    .n_msg_types = 0,
    .msg_names = NULL,
    .create = none_create,
    .destroy = none_destroy,
    .replay = none_replay,
    .start = none_start,
    .submit = none_submit,
    .recv = none_recv,
    .tick = none_tick,
    .leader = none_leader,
    .stats = none_stats,
};
