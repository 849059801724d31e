/* crc64.h - CRC-64/XZ (ECMA-182 polynomial, reflected; xz's and Go's
 * crc64.ECMA), the checksum over a whole snapshot file. Incremental, so the
 * writer checksums each buffer as it goes out.
 */
#ifndef CACHIFY_CRC64_H
#define CACHIFY_CRC64_H

#include <stddef.h>
#include <stdint.h>

#define CRC64_INIT 0 /* the crc of no bytes: start here */

/* The crc of the bytes before p..p+len, given crc of those before:
 * crc64(crc64(0, a), b) == crc64 of a then b. */
uint64_t crc64(uint64_t crc, const void *p, size_t len);

#endif /* CACHIFY_CRC64_H */
