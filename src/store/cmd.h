/* Client commands and results: what clients send and what the store applies. */
#ifndef BL_STORE_CMD_H
#define BL_STORE_CMD_H

#include <stddef.h>
#include <stdint.h>

#define BL_OPS(X)                                                                                  \
        X(BL_OP_GET, "read")                                                                       \
        X(BL_OP_PUT, "update")                                                                     \
        X(BL_OP_INSERT, "insert")                                                                  \
        X(BL_OP_RMW, "rmw")                                                                        \
        X(BL_OP_INCR, "increment")

enum bl_op {
#define BL_OP_ENUM(code, name) code,
        BL_OPS(BL_OP_ENUM)
#undef BL_OP_ENUM
            BL_OP__COUNT
};

/* Name used in results and reports ("read", "update", ...); "?" if unknown. */
const char *bl_op_name(int op);
/* 1 for operations that do not change the store. */
int bl_op_readonly(int op);

/*
 * One client command. (client, seq) identifies it for at-most-once
 * application: a retry carries the same pair. `value` is the value token
 * written by put/insert/rmw (unique per write, so reads can be matched to
 * writes) or the delta of an increment. `pad` is the payload size in bytes
 * that travels with the command on the wire, to model value_size.
 */
struct bl_cmd {
        uint8_t op;
        uint32_t origin; /* rank hosting the client: where the reply goes */
        uint32_t client; /* global client id */
        uint64_t seq;    /* per-client request number, from 1 */
        uint64_t key;
        uint64_t value;
        uint32_t pad;
};

enum bl_status {
        BL_ST_OK = 0,
        BL_ST_NOTFOUND = 1, /* read of a key never written: a valid outcome */
        BL_ST_REDIRECT = 2, /* not the leader; hint in the reply */
        BL_ST_ERROR = 3,
        BL_ST_BUSY = 4, /* the leader is overloaded: back off and ask it again */
};

/* Result of applying a command to a replica. value: what a read returned, the
 * counter value after an increment, the previous value of an rmw. */
struct bl_result {
        uint8_t status;
        uint64_t value;
};

/* Encoded size of a command: fixed header plus pad bytes. */
size_t bl_cmd_size(const struct bl_cmd *c);
/* Encode c into buf (cap bytes). Returns bytes written, 0 if cap is too small. */
size_t bl_cmd_encode(const struct bl_cmd *c, void *buf, size_t cap);
/* Decode exactly len bytes. Returns 0 or BL_EPROTO (bad op, short, trailing). */
int bl_cmd_decode(struct bl_cmd *c, const void *buf, size_t len);

#endif
