/* snapshot.h - cachifyd's snapshot format: what is in a file, how the
 * keyspace is written to one and read back.
 *
 * The file, little-endian throughout:
 *   header   "CACHSNAP", u32 version, u32 flags, u64 created (Unix ms),
 *            u64 fence high-water mark                          (32 bytes)
 *   records  one type byte each, then its fields (below)
 *   0xff     the end record
 *   u64      CRC-64/XZ of every byte before it
 * Records: 0xfe db, keys (varints) selects a database for the keys that
 * follow (keys: how many, so the loader sizes its table once);
 * 0xfd u64 expire (Unix ms) gives the next key a TTL; then a key record,
 * its type byte the entry's enum store_type: 0 string (key, value), 3 hash,
 * 4 zset, 5 list (key, the type's elements: object.h's save), 1 lock (key,
 * u8 shared, varint holds, each: token, u64 fence, u64 expire (Unix ms, 0 =
 * none; readers only: an exclusive lock's TTL is the key's), holder), 2 pool
 * (key, varint max-size, varint slots, each: 32-byte id, u64 fence, u64
 * expire (Unix ms, 0 = none), holder).
 * A holder: varint pid, varint uid, name, u64 granted (Unix ms). Strings
 * are a varint length and the bytes. Only DETACHed locks and slots are
 * written: session-bound ones die with their connection, so a restart has
 * already ended them. Files, rules and children are persist.c's.
 */
#ifndef CACHIFY_SNAPSHOT_H
#define CACHIFY_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapio.h"

#define SNAPSHOT_MAGIC	 "CACHSNAP"
#define SNAPSHOT_VERSION 1  /* the format this build writes and the newest it reads */
#define SNAPSHOT_HEADER	 32 /* bytes */
#define SNAPSHOT_TRAILER 8  /* bytes: the checksum */
#define SNAPSHOT_CLEAN	 1u /* flag: written as the daemon stopped (no grant after it) */

struct store;

/* What a save wrote or a load found. */
struct snapshot_info {
	uint32_t version, flags;
	int64_t created_ms;	/* Unix ms */
	uint64_t fence;		/* the high-water mark in the file */
	uint64_t keys;		/* keys written, or loaded */
	uint64_t expired;	/* keys a load dropped: their TTL had passed */
	uint64_t bytes;		/* the file's size */
};

/* Writes s whole to fd (the caller owns the file: temp name, fsync,
 * rename). Reads only: safe in a forked child. 0, or -1 with errno set. */
int snapshot_write(struct store *s, int fd, uint32_t flags, struct snapshot_info *info);

/* Told every so often while loading: bytes done of total. */
typedef void snapshot_progress_fn(void *ctx, size_t done, size_t total);

/* Reads the file's bytes p..p+len into s (s NULL: parse and check only,
 * keep nothing). With verify, the header and the checksum are checked
 * before anything is loaded; without, only the header (the fuzzer's way
 * into the record parser). Keys whose TTL passed are dropped. 0, or -1
 * with "offset N: what" in err (SNAPIO_ERR_MAX bytes); s may then hold
 * part of the file. progress may be NULL. */
int snapshot_load(struct store *s, const void *p, size_t len, bool verify,
		  struct snapshot_info *info, snapshot_progress_fn *progress, void *ctx, char *err);

#endif /* CACHIFY_SNAPSHOT_H */
