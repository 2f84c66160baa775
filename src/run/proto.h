/* Client/replica protocol: the reply a replica sends to a client session. */
#ifndef BL_RUN_PROTO_H
#define BL_RUN_PROTO_H

#include <stddef.h>
#include <stdint.h>

struct bl_reply {
        uint32_t client;
        uint64_t seq;
        uint8_t status; /* enum bl_status */
        int32_t leader; /* redirect hint: rank, or -1 */
        uint64_t value;
        uint32_t pad; /* payload bytes modelling the value read */
};

/* Encode into buf; returns the size, or 0 if cap is too small. */
size_t bl_reply_encode(const struct bl_reply *r, void *buf, size_t cap);
/* Decode exactly len bytes; 0 or BL_EPROTO. */
int bl_reply_decode(struct bl_reply *r, const void *buf, size_t len);
/* Encoded size. */
size_t bl_reply_size(const struct bl_reply *r);

#endif
