/* crc64.c - CRC-64/XZ, slicing by 8 (eight table lookups per 8 bytes:
 * about 1.5 GB/s, so checking a 50 MB snapshot costs ~35 ms of its load).
 */
#include "crc64.h"

#include <pthread.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "crc64.c reads 8 bytes at a time as a little-endian word"
#endif

#define CRC64_POLY 0xc96c5795d7870f42ULL /* ECMA-182, bit-reversed */

static uint64_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void crc64_init_tables(void)
{
	for (unsigned n = 0; n < 256; n++) {
		uint64_t c = n;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ CRC64_POLY : c >> 1;
		table[0][n] = c;
	}
	for (unsigned n = 0; n < 256; n++)
		for (int k = 1; k < 8; k++)
			table[k][n] = (table[k - 1][n] >> 8) ^ table[0][table[k - 1][n] & 0xff];
}

uint64_t crc64(uint64_t crc, const void *p, size_t len)
{
	const unsigned char *s = p;

	pthread_once(&table_once, crc64_init_tables);
	crc = ~crc;
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, s, 8); /* little-endian hosts only, as the file format */
		w ^= crc;
		crc = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^
		      table[5][(w >> 16) & 0xff] ^ table[4][(w >> 24) & 0xff] ^
		      table[3][(w >> 32) & 0xff] ^ table[2][(w >> 40) & 0xff] ^
		      table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
		s += 8;
		len -= 8;
	}
	while (len--)
		crc = table[0][(crc ^ *s++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
