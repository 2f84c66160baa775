/* CRC32C (Castagnoli), table-driven, for the write-ahead log's records. */
#ifndef BL_STORAGE_CRC32C_H
#define BL_STORAGE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * The reflected Castagnoli polynomial 0x82F63B78 (iSCSI, ext4, etcd's WAL),
 * initial value and final xor 0xFFFFFFFF. Chain pieces by passing the result
 * back in: bl_crc32c(bl_crc32c(0, a, n), b, m) == bl_crc32c(0, a||b, n+m).
 * Start with crc = 0. This function can't fail.
 */
uint32_t bl_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
