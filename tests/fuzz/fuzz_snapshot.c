/* fuzz_snapshot.c - libFuzzer target for the snapshot loader (snapshot.c
 * and the object types' load callbacks).
 *
 * The input is a snapshot file. The checksum is not checked (a fuzzer
 * would almost never get it right, and the record parser behind it is
 * what must never trust a length), the header is. Loaded into a real
 * keyspace with the daemon's hooks, on a fake clock so TTLs are stable.
 *
 * Checks: a refusal names an offset within the file; a load never reads
 * past the input (ASan: the input is libFuzzer's exact-size buffer); what
 * loaded writes back out as a snapshot that loads again, checksum and all,
 * into the same number of keys.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock.h"
#include "random.h"
#include "server.h"
#include "snapshot.h"
#include "store.h"
#include "waitq.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_snapshot.c:%d: check failed: %s\n", __LINE__, #cond); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define FUZZ_WALL_MS 1800000000000LL /* the fake wall clock: TTLs on both sides of it */

static int memfd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	clock_fake_set(1000000, FUZZ_WALL_MS);
	CHECK(random_init() == 0);
	config_defaults(&server.cfg);
	server.base = event_base_new();
	server.store = server_store_new();
	CHECK(server.base && server.store);
	waitq_init(server.base);
	server_apply_config();
	memfd = memfd_create("snapshot", 0);
	CHECK(memfd >= 0);
	return 0;
}

/* Writes the keyspace out and loads it back into the emptied keyspace
 * (the lock, pool and object modules serve one store): the same keys, and
 * this time the checksum must match. */
static void round_trip(uint64_t keys)
{
	struct snapshot_info wrote, read;
	char err[SNAPIO_ERR_MAX];
	void *map;

	CHECK(ftruncate(memfd, 0) == 0 && lseek(memfd, 0, SEEK_SET) == 0);
	CHECK(snapshot_write(server.store, memfd, 0, &wrote) == 0);
	CHECK(wrote.keys == keys);
	map = mmap(NULL, wrote.bytes, PROT_READ, MAP_PRIVATE, memfd, 0);
	CHECK(map != MAP_FAILED);
	store_flushall(server.store);
	if (snapshot_load(server.store, map, wrote.bytes, true, &read, NULL, NULL, err) != 0) {
		fprintf(stderr, "reload: %s\n", err);
		abort();
	}
	CHECK(read.keys == keys);
	munmap(map, wrote.bytes);
	store_flushall(server.store);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot_info info;
	char err[SNAPIO_ERR_MAX] = "";
	unsigned long long at;

	if (snapshot_load(server.store, data, size, false, &info, NULL, NULL, err) != 0) {
		CHECK(sscanf(err, "offset %llu: ", &at) == 1 && at <= size);
		store_flushall(server.store);
		return 0;
	}
	round_trip(info.keys);
	return 0;
}
