/* The registry entry of the 2PC commit kernel: its name and message names, no replication vtable.
 */
#include "kernels/kernel.h"
#include "kernels/twopc/twopc.h"

/*
 * A commit kernel composes with a replication kernel ("2pc/raft"): the
 * runtime runs the replication kernel's vtable for every shard group and the
 * commit layer (twopc.h, struct bl_tpc, one per rank) above it. This entry
 * only names it, so the config accepts "2pc/REPL", `ballot info` lists it
 * and message counters get names; its group slots (create, submit, ...) are
 * NULL, and nothing calls them: the runtime and the simulator look kernels
 * up by the replication part of the spec (experiment.repl), never by the
 * commit part.
 */

/* Indexed by enum bl_tpc_msg; the runtime counts commit-layer frames under these. */
static const char *const tpc_msg_names[] = {
    [BL_TPC_PREPARE] = "tpc_prepare", [BL_TPC_VOTE] = "tpc_vote",   [BL_TPC_DECIDE] = "tpc_decide",
    [BL_TPC_ACK] = "tpc_ack",         [BL_TPC_QUERY] = "tpc_query",
};

_Static_assert(sizeof(tpc_msg_names) / sizeof(tpc_msg_names[0]) == BL_TPC_MSG__COUNT,
               "one name per commit-layer message");

const struct bl_kernel bl_kernel_2pc = {
    .name = "2pc",
    .version = "1.0",
    .summary = "two-phase commit over a replication kernel: 2pc/none, 2pc/raft, 2pc/paxos",
    .kind = BL_KERNEL_COMMIT,
    .n_msg_types = BL_TPC_MSG__COUNT,
    .msg_names = tpc_msg_names,
};
