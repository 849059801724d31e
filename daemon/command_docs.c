/* command_docs.c - the COMMAND DOCS table (see command_docs.h for the
 * argument notation): Redis 7.2's string, generic, transactions,
 * connection and server commands that cachifyd has or will have, and our
 * LOCK.* and POOL.*. Facts from Redis's src/commands JSON files, written here
 * in our own notation. Data and lookup only.
 */
#include "command_docs.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Group names, as Redis spells them. */
#define G_STRING  "string"
#define G_HASH    "hash"
#define G_GENERIC "generic"
#define G_TX      "transactions"
#define G_CONN    "connection"
#define G_SERVER  "server"
#define G_SCRIPT  "scripting"
#define G_PUBSUB  "pubsub"
#define G_LIST    "list"
#define G_ZSET    "sorted-set"

#define O1 "O(1)"
#define ON "O(N)"

/* Complexities several sorted-set commands share, in Redis's words. */
#define Z_POP                                                                                      \
	"O(log(N)*M) with N being the number of elements in the sorted set, and M being the "     \
	"number of elements popped."
#define Z_RANGE_OUT                                                                                \
	"O(log(N)+M) with N being the number of elements in the sorted set and M the number of "  \
	"elements returned."
#define Z_RANGE_LIMIT                                                                              \
	"O(log(N)+M) with N being the number of elements in the sorted set and M the number of "  \
	"elements being returned. If M is constant (e.g. always asking for the first 10 elements " \
	"with LIMIT), you can consider it O(log(N))."
#define Z_REMRANGE                                                                                 \
	"O(log(N)+M) with N being the number of elements in the sorted set and M the number of "  \
	"elements removed by the operation."

static const struct command_doc docs[] = {
	/* ---- strings ---- */
	{"append", "Appends a string to the value of a key. Creates the key if it doesn't exist.",
	 "2.0.0", G_STRING,
	 "O(1). The amortized time complexity is O(1) assuming the appended value "
	 "is small and the already present value is of any size, since the dynamic string library "
	 "used by Redis will double the free space available on every reallocation.",
	 "key:key value:string", 0, "RW insert@1,0,1", NULL},
	{"decr",
	 "Decrements the integer value of a key by one. Uses 0 as initial value if the key "
	 "doesn't exist.",
	 "1.0.0", G_STRING, O1, "key:key", 0, "RW access update@1,0,1", NULL},
	{"decrby",
	 "Decrements a number from the integer value of a key. Uses 0 as initial value if "
	 "the key doesn't exist.",
	 "1.0.0", G_STRING, O1, "key:key decrement:integer", 0, "RW access update@1,0,1", NULL},
	{"get", "Returns the string value of a key.", "1.0.0", G_STRING, O1, "key:key", 0,
	 "RO access@1,0,1", NULL},
	{"getdel", "Returns the string value of a key after deleting the key.", "6.2.0", G_STRING,
	 O1, "key:key", 0, "RW access delete@1,0,1", NULL},
	{"getex", "Returns the string value of a key after setting its expiration time.", "6.2.0",
	 G_STRING, O1,
	 "key:key expiration(EX=seconds:integer|PX=milliseconds:integer|"
	 "EXAT=unix-time-seconds:unix-time|PXAT=unix-time-milliseconds:unix-time|PERSIST)?",
	 0, "RW access update@1,0,1#RW and UPDATE because it changes the TTL", NULL},
	{"getrange", "Returns a substring of the string stored at a key.", "2.4.0", G_STRING,
	 "O(N) where N is the length of the returned string. The complexity is ultimately "
	 "determined by the returned length, but because creating a substring from an existing "
	 "string is very cheap, it can be considered O(1) for small strings.",
	 "key:key start:integer end:integer", 0, "RO access@1,0,1", NULL},
	{"getset", "Returns the previous string value of a key after setting it to a new value.",
	 "1.0.0", G_STRING, O1, "key:key value:string", 0, "RW access update@1,0,1", NULL},
	{"incr",
	 "Increments the integer value of a key by one. Uses 0 as initial value if the key "
	 "doesn't exist.",
	 "1.0.0", G_STRING, O1, "key:key", 0, "RW access update@1,0,1", NULL},
	{"incrby",
	 "Increments the integer value of a key by a number. Uses 0 as initial value if the "
	 "key doesn't exist.",
	 "1.0.0", G_STRING, O1, "key:key increment:integer", 0, "RW access update@1,0,1", NULL},
	{"incrbyfloat",
	 "Increment the floating point value of a key by a number. Uses 0 as initial "
	 "value if the key doesn't exist.",
	 "2.6.0", G_STRING, O1, "key:key increment:double", 0, "RW access update@1,0,1", NULL},
	{"lcs", "Finds the longest common substring.", "7.0.0", G_STRING,
	 "O(N*M) where N and M are the lengths of s1 and s2, respectively",
	 "key1:key key2:key@0 LEN? IDX? MINMATCHLEN=len:integer? WITHMATCHLEN?", 0,
	 "RO access@1,1,1", NULL},
	{"mget", "Atomically returns the string values of one or more keys.", "1.0.0", G_STRING,
	 "O(N) where N is the number of keys to retrieve.", "key:key+", 0, "RO access@1,-1,1",
	 "request_policy:multi_shard"},
	{"mset", "Atomically creates or modifies the string values of one or more keys.", "1.0.1",
	 G_STRING, "O(N) where N is the number of keys to set.", "key_value{key:key value:string}+",
	 0, "OW update@1,-1,2", "request_policy:multi_shard response_policy:all_succeeded"},
	{"msetnx",
	 "Atomically modifies the string values of one or more keys only when all keys "
	 "don't exist.",
	 "1.0.1", G_STRING, "O(N) where N is the number of keys to set.",
	 "key_value{key:key value:string}+", 0, "OW insert@1,-1,2",
	 "request_policy:multi_shard response_policy:all_succeeded"},
	{"psetex",
	 "Sets both string value and expiration time in milliseconds of a key. The key is "
	 "created if it doesn't exist.",
	 "2.6.0", G_STRING, O1, "key:key milliseconds:integer value:string", 0, "OW update@1,0,1",
	 NULL},
	{"set",
	 "Sets the string value of a key, ignoring its type. The key is created if it doesn't "
	 "exist.",
	 "1.0.0", G_STRING, O1,
	 "key:key value:string condition(NX|XX)? GET? expiration(EX=seconds:integer|"
	 "PX=milliseconds:integer|EXAT=unix-time-seconds:unix-time|"
	 "PXAT=unix-time-milliseconds:unix-time|KEEPTTL)?",
	 0,
	 "RW access update variable_flags@1,0,1#RW and ACCESS due to the optional `GET` argument",
	 NULL},
	{"setex",
	 "Sets the string value and expiration time of a key. Creates the key if it doesn't "
	 "exist.",
	 "2.0.0", G_STRING, O1, "key:key seconds:integer value:string", 0, "OW update@1,0,1", NULL},
	{"setnx", "Set the string value of a key only when the key doesn't exist.", "1.0.0",
	 G_STRING, O1, "key:key value:string", 0, "OW insert@1,0,1", NULL},
	{"setrange",
	 "Overwrites a part of a string value with another by an offset. Creates the key "
	 "if it doesn't exist.",
	 "2.2.0", G_STRING,
	 "O(1), not counting the time taken to copy the new string in place. Usually, this string "
	 "is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M "
	 "being the length of the value argument.",
	 "key:key offset:integer value:string", 0, "RW update@1,0,1", NULL},
	{"strlen", "Returns the length of a string value.", "2.2.0", G_STRING, O1, "key:key", 0,
	 "RO@1,0,1", NULL},
	{"substr", "Returns a substring from a string value.", "1.0.0", G_STRING,
	 "O(N) where N is the length of the returned string. The complexity is ultimately "
	 "determined by the returned length, but because creating a substring from an existing "
	 "string is very cheap, it can be considered O(1) for small strings.",
	 "key:key start:integer end:integer", 0, "RO access@1,0,1", NULL},

	/* ---- hashes ---- */
	{"hdel",
	 "Deletes one or more fields and their values from a hash. Deletes the hash if no fields "
	 "remain.",
	 "2.0.0", G_HASH, "O(N) where N is the number of fields to be removed.",
	 "key:key field:string+", 0, "RW delete@1,0,1", NULL},
	{"hexists", "Determines whether a field exists in a hash.", "2.0.0", G_HASH, O1,
	 "key:key field:string", 0, "RO@1,0,1", NULL},
	{"hget", "Returns the value of a field in a hash.", "2.0.0", G_HASH, O1,
	 "key:key field:string", 0, "RO access@1,0,1", NULL},
	{"hgetall", "Returns all fields and values in a hash.", "2.0.0", G_HASH,
	 "O(N) where N is the size of the hash.", "key:key", 0, "RO access@1,0,1",
	 "nondeterministic_output_order"},
	{"hincrby",
	 "Increments the integer value of a field in a hash by a number. Uses 0 as initial value "
	 "if the field doesn't exist.",
	 "2.0.0", G_HASH, O1, "key:key field:string increment:integer", 0,
	 "RW access update@1,0,1", NULL},
	{"hincrbyfloat",
	 "Increments the floating point value of a field by a number. Uses 0 as initial value "
	 "if the field doesn't exist.",
	 "2.6.0", G_HASH, O1, "key:key field:string increment:double", 0,
	 "RW access update@1,0,1", NULL},
	{"hkeys", "Returns all fields in a hash.", "2.0.0", G_HASH,
	 "O(N) where N is the size of the hash.", "key:key", 0, "RO access@1,0,1",
	 "nondeterministic_output_order"},
	{"hlen", "Returns the number of fields in a hash.", "2.0.0", G_HASH, O1, "key:key", 0,
	 "RO@1,0,1", NULL},
	{"hmget", "Returns the values of all fields in a hash.", "2.0.0", G_HASH,
	 "O(N) where N is the number of fields being requested.", "key:key field:string+", 0,
	 "RO access@1,0,1", NULL},
	{"hmset", "Sets the values of multiple fields.", "2.0.0", G_HASH,
	 "O(N) where N is the number of fields being set.",
	 "key:key field_value{field:string value:string}+", 0, "RW update@1,0,1", NULL},
	{"hrandfield", "Returns one or more random fields from a hash.", "6.2.0", G_HASH,
	 "O(N) where N is the number of fields returned", "key:key options{count:integer WITHVALUES?}?",
	 0, "RO access@1,0,1", "nondeterministic_output"},
	{"hscan", "Iterates over fields and values of a hash.", "2.8.0", G_HASH,
	 "O(1) for every call. O(N) for a complete iteration, including enough command calls for "
	 "the cursor to return back to 0. N is the number of elements inside the collection..",
	 "key:key cursor:integer MATCH=pattern:pattern? COUNT=count:integer?", 0,
	 "RO access@1,0,1", "nondeterministic_output"},
	{"hset", "Creates or modifies the value of a field in a hash.", "2.0.0", G_HASH,
	 "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the "
	 "command is called with multiple field/value pairs.",
	 "key:key field_value{field:string value:string}+", 0, "RW update@1,0,1", NULL},
	{"hsetnx", "Sets the value of a field in a hash only when the field doesn't exist.",
	 "2.0.0", G_HASH, O1, "key:key field:string value:string", 0, "RW insert@1,0,1", NULL},
	{"hstrlen", "Returns the length of the value of a field.", "3.2.0", G_HASH, O1,
	 "key:key field:string", 0, "RO@1,0,1", NULL},
	{"hvals", "Returns all values in a hash.", "2.0.0", G_HASH,
	 "O(N) where N is the size of the hash.", "key:key", 0, "RO access@1,0,1",
	 "nondeterministic_output_order"},

	/* ---- generic (keyspace) ---- */
	{"copy", "Copies the value of a key to a new key.", "6.2.0", G_GENERIC,
	 "O(N) worst case for collections, where N is the number of nested items. O(1) for string "
	 "values.",
	 "source:key destination:key DB=destination-db:integer? REPLACE?", 0,
	 "RO access@1,0,1;OW update@2,0,1", NULL},
	{"del", "Deletes one or more keys.", "1.0.0", G_GENERIC,
	 "O(N) where N is the number of keys that will be removed. When a key to remove holds a "
	 "value other than a string, the individual complexity for this key is O(M) where M is the "
	 "number of elements in the list, set, sorted set or hash. Removing a single key that "
	 "holds "
	 "a string value is O(1).",
	 "key:key+", 0, "RM delete@1,-1,1", "request_policy:multi_shard response_policy:agg_sum"},
	{"exists", "Determines whether one or more keys exist.", "1.0.0", G_GENERIC,
	 "O(N) where N is the number of keys to check.", "key:key+", 0, "RO@1,-1,1",
	 "request_policy:multi_shard response_policy:agg_sum"},
	{"expire", "Sets the expiration time of a key in seconds.", "1.0.0", G_GENERIC, O1,
	 "key:key seconds:integer condition(NX|XX|GT|LT)?", 0, "RW update@1,0,1", NULL},
	{"expireat", "Sets the expiration time of a key to a Unix timestamp.", "1.2.0", G_GENERIC,
	 O1, "key:key unix-time-seconds:unix-time condition(NX|XX|GT|LT)?", 0, "RW update@1,0,1",
	 NULL},
	{"expiretime", "Returns the expiration time of a key as a Unix timestamp.", "7.0.0",
	 G_GENERIC, O1, "key:key", 0, "RO access@1,0,1", NULL},
	{"keys", "Returns all key names that match a pattern.", "1.0.0", G_GENERIC,
	 "O(N) with N being the number of keys in the database, under the assumption that the key "
	 "names in the database and the given pattern have limited length.",
	 "pattern:pattern", 0, NULL, "request_policy:all_shards nondeterministic_output_order"},
	{"move", "Moves a key to another database.", "1.0.0", G_GENERIC, O1, "key:key db:integer",
	 0, "RW access update@1,0,1", NULL},
	{"object", "A container for object introspection commands.", "2.2.3", G_GENERIC,
	 "Depends on subcommand.", "", 0, NULL, NULL},
	{"object|encoding", "Returns the internal encoding of a Redis object.", "2.2.3", G_GENERIC,
	 O1, "key:key", 3, NULL, NULL},
	{"object|freq", "Returns the logarithmic access frequency counter of a Redis object.",
	 "4.0.0", G_GENERIC, O1, "key:key", 3, NULL, NULL},
	{"object|help", "Returns helpful text about the different subcommands.", "6.2.0", G_GENERIC,
	 O1, "", 2, NULL, NULL},
	{"object|idletime", "Returns the time since the last access to a Redis object.", "2.2.3",
	 G_GENERIC, O1, "key:key", 3, NULL, NULL},
	{"object|refcount", "Returns the reference count of a value of a key.", "2.2.3", G_GENERIC,
	 O1, "key:key", 3, NULL, NULL},
	{"persist", "Removes the expiration time of a key.", "2.2.0", G_GENERIC, O1, "key:key", 0,
	 "RW update@1,0,1", NULL},
	{"pexpire", "Sets the expiration time of a key in milliseconds.", "2.6.0", G_GENERIC, O1,
	 "key:key milliseconds:integer condition(NX|XX|GT|LT)?", 0, "RW update@1,0,1", NULL},
	{"pexpireat", "Sets the expiration time of a key to a Unix milliseconds timestamp.",
	 "2.6.0", G_GENERIC, O1, "key:key unix-time-milliseconds:unix-time condition(NX|XX|GT|LT)?",
	 0, "RW update@1,0,1", NULL},
	{"pexpiretime", "Returns the expiration time of a key as a Unix milliseconds timestamp.",
	 "7.0.0", G_GENERIC, O1, "key:key", 0, "RO access@1,0,1", NULL},
	{"pttl", "Returns the expiration time in milliseconds of a key.", "2.6.0", G_GENERIC, O1,
	 "key:key", 0, "RO access@1,0,1", "nondeterministic_output"},
	{"randomkey", "Returns a random key name from the database.", "1.0.0", G_GENERIC, O1, "", 0,
	 NULL, "request_policy:all_shards nondeterministic_output"},
	{"rename", "Renames a key and overwrites the destination.", "1.0.0", G_GENERIC, O1,
	 "key:key newkey:key", 0, "RW access delete@1,0,1;OW update@2,0,1", NULL},
	{"renamenx", "Renames a key only when the target key name doesn't exist.", "1.0.0",
	 G_GENERIC, O1, "key:key newkey:key", 0, "RW access delete@1,0,1;OW insert@2,0,1", NULL},
	{"scan", "Iterates over the key names in the database.", "2.8.0", G_GENERIC,
	 "O(1) for every call. O(N) for a complete iteration, including enough command calls for "
	 "the cursor to return back to 0. N is the number of elements inside the collection.",
	 "cursor:integer MATCH=pattern:pattern? COUNT=count:integer? TYPE=type:string?", 0, NULL,
	 "nondeterministic_output request_policy:special"},
	{"touch",
	 "Returns the number of existing keys out of those specified after updating the time "
	 "they were last accessed.",
	 "3.2.1", G_GENERIC, "O(N) where N is the number of keys that will be touched.", "key:key+",
	 0, "RO@1,-1,1", "request_policy:multi_shard response_policy:agg_sum"},
	{"ttl", "Returns the expiration time in seconds of a key.", "1.0.0", G_GENERIC, O1,
	 "key:key", 0, "RO access@1,0,1", "nondeterministic_output"},
	{"type", "Determines the type of value stored at a key.", "1.0.0", G_GENERIC, O1, "key:key",
	 0, "RO@1,0,1", NULL},
	{"unlink", "Asynchronously deletes one or more keys.", "4.0.0", G_GENERIC,
	 "O(1) for each key removed regardless of its size. Then the command does O(N) work in a "
	 "different thread in order to reclaim memory, where N is the number of allocations the "
	 "deleted objects where composed of.",
	 "key:key+", 0, "RM delete@1,-1,1", "request_policy:multi_shard response_policy:agg_sum"},

	/* ---- transactions ---- */
	{"discard", "Discards a transaction.", "2.0.0", G_TX,
	 "O(N), when N is the number of queued commands", "", 0, NULL, NULL},
	{"exec", "Executes all commands in a transaction.", "1.2.0", G_TX,
	 "Depends on commands in the transaction", "", 0, NULL, NULL},
	{"multi", "Starts a transaction.", "1.2.0", G_TX, O1, "", 0, NULL, NULL},
	{"unwatch", "Forgets about watched keys of a transaction.", "2.2.0", G_TX, O1, "", 0, NULL,
	 NULL},
	{"watch", "Monitors changes to keys to determine the execution of a transaction.", "2.2.0",
	 G_TX, "O(1) for every key.", "key:key+", 0, "RO@1,-1,1", NULL},

	/* ---- scripting ---- */
	{"eval", "Executes a server-side Lua script.", "2.6.0", G_SCRIPT,
	 "Depends on the script that is executed.", "script:string numkeys:integer key:key* arg:string*",
	 0, NULL, NULL},
	{"eval_ro", "Executes a read-only server-side Lua script.", "7.0.0", G_SCRIPT,
	 "Depends on the script that is executed.", "script:string numkeys:integer key:key* arg:string*",
	 0, NULL, NULL},
	{"evalsha", "Executes a server-side Lua script by SHA1 digest.", "2.6.0", G_SCRIPT,
	 "Depends on the script that is executed.", "sha1:string numkeys:integer key:key* arg:string*",
	 0, NULL, NULL},
	{"evalsha_ro", "Executes a read-only server-side Lua script by SHA1 digest.", "7.0.0",
	 G_SCRIPT, "Depends on the script that is executed.",
	 "sha1:string numkeys:integer key:key* arg:string*", 0, NULL, NULL},
	{"script", "A container for Lua scripts management commands.", "2.6.0", G_SCRIPT,
	 "Depends on subcommand.", "", 0, NULL, NULL},
	{"script|debug", "Sets the debug mode of server-side Lua scripts.", "3.2.0", G_SCRIPT, O1,
	 "mode(YES|SYNC|NO)", 3, NULL, NULL},
	{"script|exists", "Determines whether server-side Lua scripts exist in the script cache.",
	 "2.6.0", G_SCRIPT,
	 "O(N) with N being the number of scripts to check (so checking a single script is an O(1) "
	 "operation).",
	 "sha1:string+", -3, NULL, "request_policy:all_shards response_policy:agg_logical_and"},
	{"script|flush", "Removes all server-side Lua scripts from the script cache.", "2.6.0",
	 G_SCRIPT, "O(N) with N being the number of scripts in cache", "async(ASYNC|SYNC)?", -2, NULL,
	 "request_policy:all_nodes response_policy:all_succeeded"},
	{"script|help", "Returns helpful text about the different subcommands.", "5.0.0", G_SCRIPT,
	 O1, "", 2, NULL, NULL},
	{"script|kill", "Terminates a server-side Lua script during execution.", "2.6.0", G_SCRIPT,
	 O1, "", 2, NULL, "request_policy:all_shards response_policy:one_succeeded"},
	{"script|load", "Loads a server-side Lua script to the script cache.", "2.6.0", G_SCRIPT,
	 "O(N) with N being the length in bytes of the script body.", "script:string", 3, NULL,
	 "request_policy:all_nodes response_policy:all_succeeded"},
	/* ---- pub/sub ---- */
	{"psubscribe", "Listens for messages published to channels that match one or more patterns.",
	 "2.0.0", G_PUBSUB,
	 "O(N) where N is the number of patterns the client is already subscribed to.",
	 "pattern:pattern+", 0, NULL, NULL},
	{"publish", "Posts a message to a channel.", "2.0.0", G_PUBSUB,
	 "O(N+M) where N is the number of clients subscribed to the receiving channel and M is "
	 "the total number of subscribed patterns (by any client).",
	 "channel:string message:string", 0, NULL, NULL},
	{"pubsub", "A container for Pub/Sub commands.", "2.8.0", G_PUBSUB, "Depends on subcommand.",
	 "", 0, NULL, NULL},
	{"pubsub|channels", "Returns the active channels.", "2.8.0", G_PUBSUB,
	 "O(N) where N is the number of active channels, and assuming constant time pattern "
	 "matching (relatively short channels and patterns)",
	 "pattern:pattern?", -2, NULL, NULL},
	{"pubsub|help", "Returns helpful text about the different subcommands.", "6.2.0", G_PUBSUB,
	 O1, "", 2, NULL, NULL},
	{"pubsub|numpat", "Returns a count of unique pattern subscriptions.", "2.8.0", G_PUBSUB, O1,
	 "", 2, NULL, NULL},
	{"pubsub|numsub", "Returns a count of subscribers to channels.", "2.8.0", G_PUBSUB,
	 "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
	 "channel:string*", -2, NULL, NULL},
	{"pubsub|shardchannels", "Returns the active shard channels.", "7.0.0", G_PUBSUB,
	 "O(N) where N is the number of active shard channels, and assuming constant time pattern "
	 "matching (relatively short shard channels).",
	 "pattern:pattern?", -2, NULL, NULL},
	{"pubsub|shardnumsub", "Returns the count of subscribers of shard channels.", "7.0.0",
	 G_PUBSUB,
	 "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
	 "shardchannel:string*", -2, NULL, NULL},
	{"punsubscribe",
	 "Stops listening to messages published to channels that match one or more patterns.",
	 "2.0.0", G_PUBSUB,
	 "O(N+M) where N is the number of patterns the client is already subscribed and M is the "
	 "number of total patterns subscribed in the system (by any client).",
	 "pattern:pattern*", 0, NULL, NULL},
	{"spublish", "Post a message to a shard channel", "7.0.0", G_PUBSUB,
	 "O(N) where N is the number of clients subscribed to the receiving shard channel.",
	 "shardchannel:string message:string", 0, NULL, NULL},
	{"ssubscribe", "Listens for messages published to shard channels.", "7.0.0", G_PUBSUB,
	 "O(N) where N is the number of shard channels to subscribe to.", "shardchannel:string+",
	 0, NULL, NULL},
	{"subscribe", "Listens for messages published to channels.", "2.0.0", G_PUBSUB,
	 "O(N) where N is the number of channels to subscribe to.", "channel:string+", 0, NULL,
	 NULL},
	{"sunsubscribe", "Stops listening to messages posted to shard channels.", "7.0.0", G_PUBSUB,
	 "O(N) where N is the number of clients already subscribed to a shard channel.",
	 "shardchannel:string*", 0, NULL, NULL},
	{"unsubscribe", "Stops listening to messages posted to channels.", "2.0.0", G_PUBSUB,
	 "O(N) where N is the number of clients already subscribed to a channel.",
	 "channel:string*", 0, NULL, NULL},

	/* ---- connection ---- */
	{"auth", "Authenticates the connection.", "1.0.0", G_CONN,
	 "O(N) where N is the number of passwords defined for the user",
	 "username:string? password:string", 0, NULL, NULL},
	{"client", "A container for client connection commands.", "2.4.0", G_CONN,
	 "Depends on subcommand.", "", 0, NULL, NULL},
	{"client|getname", "Returns the name of the connection.", "2.6.9", G_CONN, O1, "", 2, NULL,
	 NULL},
	{"client|help", "Returns helpful text about the different subcommands.", "5.0.0", G_CONN,
	 O1, "", 2, NULL, NULL},
	{"client|id", "Returns the unique client ID of the connection.", "5.0.0", G_CONN, O1, "", 2,
	 NULL, NULL},
	{"client|info", "Returns information about the connection.", "6.2.0", G_CONN, O1, "", 2,
	 NULL, NULL},
	{"client|kill", "Terminates open connections.", "2.4.0", G_CONN,
	 "O(N) where N is the number of client connections",
	 "filter(ip:port:string|new-format(ID=client-id:integer?|"
	 "TYPE=normal_master_slave_pubsub(NORMAL|MASTER|SLAVE|REPLICA|PUBSUB)?|"
	 "USER=username:string?|ADDR=ip:port:string?|LADDR=ip:port:string?|"
	 "SKIPME=yes/no:string?)+)",
	 -3, NULL, NULL},
	{"client|list", "Lists open connections.", "2.4.0", G_CONN,
	 "O(N) where N is the number of client connections",
	 "TYPE=normal_master_replica_pubsub(NORMAL|MASTER|REPLICA|PUBSUB)? "
	 "ID=id{client-id:integer+}?",
	 -2, NULL, NULL},
	{"client|no-evict", "Sets the client eviction mode of the connection.", "7.0.0", G_CONN, O1,
	 "enabled(ON|OFF)", 3, NULL, NULL},
	{"client|pause", "Suspends commands processing.", "2.9.50", G_CONN, O1,
	 "timeout:integer mode(WRITE|ALL)?", -3, NULL, NULL},
	{"client|reply", "Instructs the server whether to reply to commands.", "3.2.0", G_CONN, O1,
	 "on_off_skip(ON|OFF|SKIP)", 3, NULL, NULL},
	{"client|setinfo", "Sets information specific to the client or connection.", "7.2.0",
	 G_CONN, O1, "attr(LIB-NAME=libname:string|LIB-VER=libver:string)", 4, NULL, NULL},
	{"client|setname", "Sets the connection name.", "2.6.9", G_CONN, O1,
	 "connection-name:string", 3, NULL, NULL},
	{"client|unblock",
	 "Unblocks a client blocked by a blocking command from a different "
	 "connection.",
	 "5.0.0", G_CONN, "O(log N) where N is the number of client connections",
	 "client-id:integer timeout_error(TIMEOUT|ERROR)?", -3, NULL, NULL},
	{"client|unpause", "Resumes processing commands from paused clients.", "6.2.0", G_CONN,
	 "O(N) Where N is the number of paused clients", "", 2, NULL, NULL},
	{"client|caching", "Instruct the server about tracking or not keys in the next request",
	 "6.0.0", G_CONN, O1, "mode(YES|NO)", 3, NULL, NULL},
	{"client|getredir", "Get tracking notifications redirection client ID if any", "6.0.0",
	 G_CONN, O1, "", 2, NULL, NULL},
	{"client|tracking", "Enable or disable server assisted client side caching support",
	 "6.0.0", G_CONN, "O(1). Some options may introduce additional complexity.",
	 "status(ON|OFF) REDIRECT=client-id:integer? PREFIX=prefix:string* BCAST? OPTIN? OPTOUT? "
	 "NOLOOP?",
	 -3, NULL, NULL},
	{"client|trackinginfo",
	 "Return information about server assisted client side caching for the current connection",
	 "6.2.0", G_CONN, O1, "", 2, NULL, NULL},
	{"echo", "Returns the given string.", "1.0.0", G_CONN, O1, "message:string", 0, NULL, NULL},
	{"hello", "Handshakes with the Redis server.", "6.0.0", G_CONN, O1,
	 "arguments{protover:integer AUTH=username_password{username:string password:string}? "
	 "SETNAME=clientname:string?}?",
	 0, NULL, NULL},
	{"ping", "Returns the server's liveliness response.", "1.0.0", G_CONN, O1,
	 "message:string?", 0, NULL, "request_policy:all_shards response_policy:all_succeeded"},
	{"quit", "Closes the connection.", "1.0.0", G_CONN, O1, "", 0, NULL, NULL},
	{"reset", "Resets the connection.", "6.2.0", G_CONN, O1, "", 0, NULL, NULL},
	{"select", "Changes the selected database.", "1.0.0", G_CONN, O1, "index:integer", 0, NULL,
	 NULL},

	/* ---- server ---- */
	{"acl", "A container for Access List Control commands.", "6.0.0", G_SERVER,
	 "Depends on subcommand.", "", 0, NULL, NULL},
	{"acl|cat", "Lists the ACL categories, or the commands inside a category.", "6.0.0",
	 G_SERVER, "O(1) since the categories and commands are a fixed set.",
	 "categoryname:string?", -2, NULL, NULL},
	{"acl|dryrun",
	 "Simulates the execution of a command by a user, without executing the "
	 "command.",
	 "7.0.0", G_SERVER, "O(1).", "username:string command:string arg:string*", -4, NULL, NULL},
	{"acl|help", "Returns helpful text describing the different subcommands.", "6.0.0",
	 G_SERVER, O1, "", 2, NULL, NULL},
	{"acl|list", "Dumps the effective rules in ACL file format.", "6.0.0", G_SERVER,
	 "O(N). Where N is the number of configured users.", "", 2, NULL, NULL},
	{"acl|log", "Lists recent security events generated due to ACL rules.", "6.0.0", G_SERVER,
	 "O(N) with N being the number of entries shown.", "operation(count:integer|RESET)?", -2,
	 NULL, NULL},
	{"acl|whoami", "Returns the authenticated username of the current connection.", "6.0.0",
	 G_SERVER, O1, "", 2, NULL, NULL},
	{"acl|deluser", "Remove the specified ACL users and the associated rules", "6.0.0",
	 G_SERVER, "O(1) amortized time considering the typical user.", "username:string+", -3,
	 NULL, NULL},
	{"acl|genpass", "Generate a pseudorandom secure password to use for ACL users", "6.0.0",
	 G_SERVER, O1, "bits:integer?", -2, NULL, NULL},
	{"acl|getuser", "Get the rules for a specific ACL user", "6.0.0", G_SERVER,
	 "O(N). Where N is the number of password, command and pattern rules that the user has.",
	 "username:string", 3, NULL, NULL},
	{"acl|load", "Reload the ACLs from the configured ACL file", "6.0.0", G_SERVER,
	 "O(N). Where N is the number of configured users.", "", 2, NULL, NULL},
	{"acl|save", "Save the current ACL rules in the configured ACL file", "6.0.0", G_SERVER,
	 "O(N). Where N is the number of configured users.", "", 2, NULL, NULL},
	{"acl|setuser", "Modify or create the rules for a specific ACL user", "6.0.0", G_SERVER,
	 "O(N). Where N is the number of rules provided.", "username:string rule:string*", -3, NULL,
	 NULL},
	{"acl|users", "List the username of all the configured ACL rules", "6.0.0", G_SERVER,
	 "O(N). Where N is the number of configured users.", "", 2, NULL, NULL},
	{"command", "Returns detailed information about all commands.", "2.8.13", G_SERVER,
	 "O(N) where N is the total number of Redis commands", "", 0, NULL, NULL},
	{"command|count", "Returns a count of commands.", "2.8.13", G_SERVER, O1, "", 2, NULL,
	 NULL},
	{"command|docs", "Returns documentary information about one, multiple or all commands.",
	 "7.0.0", G_SERVER, "O(N) where N is the number of commands to look up",
	 "command-name:string*", -2, NULL, NULL},
	{"command|getkeys", "Extracts the key names from an arbitrary command.", "2.8.13", G_SERVER,
	 "O(N) where N is the number of arguments to the command", "", -4, NULL, NULL},
	{"command|getkeysandflags",
	 "Extracts the key names and access flags for an arbitrary "
	 "command.",
	 "7.0.0", G_SERVER, "O(N) where N is the number of arguments to the command", "", -4, NULL,
	 NULL},
	{"command|help", "Returns helpful text about the different subcommands.", "5.0.0", G_SERVER,
	 O1, "", 2, NULL, NULL},
	{"command|info", "Returns information about one, multiple or all commands.", "2.8.13",
	 G_SERVER, "O(N) where N is the number of commands to look up", "command-name:string*", -2,
	 NULL, NULL},
	{"command|list", "Returns a list of command names.", "7.0.0", G_SERVER,
	 "O(N) where N is the total number of Redis commands",
	 "FILTERBY=filterby(MODULE=module-name:string|ACLCAT=category:string|"
	 "PATTERN=pattern:pattern)?",
	 -2, NULL, NULL},
	{"config", "A container for server configuration commands.", "2.0.0", G_SERVER,
	 "Depends on subcommand.", "", 0, NULL, NULL},
	{"config|get", "Returns the effective values of configuration parameters.", "2.0.0",
	 G_SERVER, "O(N) when N is the number of configuration parameters provided",
	 "parameter{parameter:string}+", -3, NULL, NULL},
	{"config|help", "Returns helpful text about the different subcommands.", "5.0.0", G_SERVER,
	 O1, "", 2, NULL, NULL},
	{"config|resetstat", "Resets the server's statistics.", "2.0.0", G_SERVER, O1, "", 2, NULL,
	 NULL},
	{"config|rewrite", "Persists the effective configuration to file.", "2.8.0", G_SERVER, O1,
	 "", 2, NULL, NULL},
	{"config|set", "Sets configuration parameters in-flight.", "2.0.0", G_SERVER,
	 "O(N) when N is the number of configuration parameters provided",
	 "parameter_value{parameter:string value:string}+", -4, NULL, NULL},
	{"bgsave", "Asynchronously saves the database(s) to disk.", "1.0.0", G_SERVER, O1,
	 "schedule(SCHEDULE)?", 0, NULL, NULL},
	{"dbsize", "Returns the number of keys in the database.", "1.0.0", G_SERVER, O1, "", 0,
	 NULL, "request_policy:all_shards response_policy:agg_sum"},
	{"flushall", "Removes all keys from all databases.", "1.0.0", G_SERVER,
	 "O(N) where N is the total number of keys in all databases", "async(ASYNC|SYNC)?", 0, NULL,
	 "request_policy:all_shards response_policy:all_succeeded"},
	{"flushdb", "Remove all keys from the current database.", "1.0.0", G_SERVER,
	 "O(N) where N is the number of keys in the selected database", "async(ASYNC|SYNC)?", 0,
	 NULL, "request_policy:all_shards response_policy:all_succeeded"},
	{"info", "Returns information and statistics about the server.", "1.0.0", G_SERVER, O1,
	 "section:string*", 0, NULL,
	 "nondeterministic_output request_policy:all_shards response_policy:special"},
	{"lastsave", "Returns the Unix timestamp of the last successful save to disk.", "1.0.0",
	 G_SERVER, O1, "", 0, NULL, NULL},
	{"latency", "A container for latency diagnostics commands.", "2.8.13", G_SERVER,
	 "Depends on subcommand.", "", 0, NULL, NULL},
	{"latency|doctor", "Returns a human-readable latency analysis report.", "2.8.13", G_SERVER,
	 O1, "", 2, NULL, NULL},
	{"latency|graph", "Return a latency graph for the event.", "2.8.13", G_SERVER, O1,
	 "event:string", 3, NULL, NULL},
	{"latency|help", "Returns helpful text about the different subcommands.", "2.8.13",
	 G_SERVER, O1, "", 2, NULL, NULL},
	{"latency|histogram",
	 "Returns the cumulative distribution of latencies of a subset or all "
	 "commands.",
	 "7.0.0", G_SERVER,
	 "O(N) where N is the number of commands with latency "
	 "information being retrieved.",
	 "command:string*", -2, NULL, NULL},
	{"latency|history", "Returns timestamp-latency samples for an event.", "2.8.13", G_SERVER,
	 O1, "event:string", 3, NULL, NULL},
	{"latency|latest", "Returns the latest latency samples for all events.", "2.8.13", G_SERVER,
	 O1, "", 2, NULL, NULL},
	{"latency|reset", "Resets the latency data for one or more events.", "2.8.13", G_SERVER, O1,
	 "event:string*", -2, NULL, NULL},
	{"monitor", "Listens for all requests received by the server in real-time.", "1.0.0",
	 G_SERVER, "", "", 0, NULL, NULL},
	{"save", "Synchronously saves the database(s) to disk.", "1.0.0", G_SERVER,
	 "O(N) where N is the total number of keys in all databases", "", 0, NULL, NULL},
	{"shutdown", "Synchronously saves the database(s) to disk and shuts down the Redis server.",
	 "1.0.0", G_SERVER,
	 "O(N) when saving, where N is the total number of keys in all databases when saving data, "
	 "otherwise O(1)",
	 "nosave_save(NOSAVE|SAVE)? NOW? FORCE? ABORT?", 0, NULL, NULL},
	{"slowlog", "A container for slow log commands.", "2.2.12", G_SERVER,
	 "Depends on subcommand.", "", 0, NULL, NULL},
	{"slowlog|get", "Returns the slow log's entries.", "2.2.12", G_SERVER,
	 "O(N) where N is the number of entries returned", "count:integer?", -2, NULL, NULL},
	{"slowlog|help", "Show helpful text about the different subcommands", "6.2.0", G_SERVER, O1,
	 "", 2, NULL, NULL},
	{"slowlog|len", "Returns the number of entries in the slow log.", "2.2.12", G_SERVER, O1,
	 "", 2, NULL, NULL},
	{"slowlog|reset", "Clears all entries from the slow log.", "2.2.12", G_SERVER,
	 "O(N) where N is the number of entries in the slowlog", "", 2, NULL, NULL},
	{"swapdb", "Swaps two Redis databases.", "4.0.0", G_SERVER,
	 "O(N) where N is the count of clients watching or blocking on keys from both databases.",
	 "index1:integer index2:integer", 0, NULL, NULL},
	{"time", "Returns the server time.", "2.6.0", G_SERVER, O1, "", 0, NULL,
	 "nondeterministic_output"},

	/* ---- lists ---- */
	{"blmove",
	 "Pops an element from a list, pushes it to another list and returns it. Blocks until an "
	 "element is available otherwise. Deletes the list if the last element was moved.",
	 "6.2.0", G_LIST, O1,
	 "source:key destination:key wherefrom(LEFT|RIGHT) whereto(LEFT|RIGHT) timeout:double", 0,
	 "RW access delete@1,0,1;RW insert@2,0,1", NULL},
	{"blmpop",
	 "Pops the first element from one of multiple lists. Blocks until an element is available "
	 "otherwise. Deletes the list if the last element was popped.",
	 "7.0.0", G_LIST,
	 "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
	 "timeout:double numkeys:integer key:key+ where(LEFT|RIGHT) COUNT=count:integer?", 0, NULL,
	 NULL},
	{"blpop",
	 "Removes and returns the first element in a list. Blocks until an element is available "
	 "otherwise. Deletes the list if the last element was popped.",
	 "2.0.0", G_LIST, "O(N) where N is the number of provided keys.", "key:key+ timeout:double",
	 0, "RW access delete@1,-2,1", NULL},
	{"brpop",
	 "Removes and returns the last element in a list. Blocks until an element is available "
	 "otherwise. Deletes the list if the last element was popped.",
	 "2.0.0", G_LIST, "O(N) where N is the number of provided keys.", "key:key+ timeout:double",
	 0, "RW access delete@1,-2,1", NULL},
	{"brpoplpush",
	 "Pops an element from a list, pushes it to another list and returns it. Block until an "
	 "element is available otherwise. Deletes the list if the last element was popped.",
	 "2.2.0", G_LIST, O1, "source:key destination:key timeout:double", 0,
	 "RW access delete@1,0,1;RW insert@2,0,1", NULL},
	{"lindex", "Returns an element from a list by its index.", "1.0.0", G_LIST,
	 "O(N) where N is the number of elements to traverse to get to the element at index. This "
	 "makes asking for the first or the last element of the list O(1).",
	 "key:key index:integer", 0, "RO access@1,0,1", NULL},
	{"linsert", "Inserts an element before or after another element in a list.", "2.2.0",
	 G_LIST,
	 "O(N) where N is the number of elements to traverse before seeing the value pivot. This "
	 "means that inserting somewhere on the left end on the list (head) can be considered "
	 "O(1) and inserting somewhere on the right end (tail) is O(N).",
	 "key:key where(BEFORE|AFTER) pivot:string element:string", 0, "RW insert@1,0,1", NULL},
	{"llen", "Returns the length of a list.", "1.0.0", G_LIST, O1, "key:key", 0, "RO@1,0,1",
	 NULL},
	{"lmove",
	 "Returns an element after popping it from one list and pushing it to another. Deletes "
	 "the list if the last element was moved.",
	 "6.2.0", G_LIST, O1,
	 "source:key destination:key wherefrom(LEFT|RIGHT) whereto(LEFT|RIGHT)", 0,
	 "RW access delete@1,0,1;RW insert@2,0,1", NULL},
	{"lmpop",
	 "Returns multiple elements from a list after removing them. Deletes the list if the last "
	 "element was popped.",
	 "7.0.0", G_LIST,
	 "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
	 "numkeys:integer key:key+ where(LEFT|RIGHT) COUNT=count:integer?", 0, NULL, NULL},
	{"lpop",
	 "Returns the first elements in a list after removing it. Deletes the list if the last "
	 "element was popped.",
	 "1.0.0", G_LIST, "O(N) where N is the number of elements returned", "key:key count:integer?",
	 0, "RW access delete@1,0,1", NULL},
	{"lpos", "Returns the index of matching elements in a list.", "6.0.6", G_LIST,
	 "O(N) where N is the number of elements in the list, for the average case. When searching "
	 "for elements near the head or the tail of the list, or when the MAXLEN option is "
	 "provided, the command may run in constant time.",
	 "key:key element:string RANK=rank:integer? COUNT=num-matches:integer? "
	 "MAXLEN=len:integer?",
	 0, "RO@1,0,1", NULL},
	{"lpush", "Prepends one or more elements to a list. Creates the key if it doesn't exist.",
	 "1.0.0", G_LIST,
	 "O(1) for each element added, so O(N) to add N elements when the command is called with "
	 "multiple arguments.",
	 "key:key element:string+", 0, "RW insert@1,0,1", NULL},
	{"lpushx", "Prepends one or more elements to a list only when the list exists.", "2.2.0",
	 G_LIST,
	 "O(1) for each element added, so O(N) to add N elements when the command is called with "
	 "multiple arguments.",
	 "key:key element:string+", 0, "RW insert@1,0,1", NULL},
	{"lrange", "Returns a range of elements from a list.", "1.0.0", G_LIST,
	 "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest "
	 "end (HEAD or TAIL) for large lists; and N is the number of elements in the specified "
	 "range.",
	 "key:key start:integer stop:integer", 0, "RO access@1,0,1", NULL},
	{"lrem", "Removes elements from a list. Deletes the list if the last element was removed.",
	 "1.0.0", G_LIST,
	 "O(N+M) where N is the length of the list and M is the number of elements removed.",
	 "key:key count:integer element:string", 0, "RW delete@1,0,1", NULL},
	{"lset", "Sets the value of an element in a list by its index.", "1.0.0", G_LIST,
	 "O(N) where N is the length of the list. Setting either the first or the last element of "
	 "the list is O(1).",
	 "key:key index:integer element:string", 0, "RW update@1,0,1", NULL},
	{"ltrim",
	 "Removes elements from both ends a list. Deletes the list if all elements were trimmed.",
	 "1.0.0", G_LIST, "O(N) where N is the number of elements to be removed by the operation.",
	 "key:key start:integer stop:integer", 0, "RW delete@1,0,1", NULL},
	{"rpop",
	 "Returns and removes the last elements of the list. Deletes the list if the last element "
	 "was popped.",
	 "1.0.0", G_LIST, "O(N) where N is the number of elements returned", "key:key count:integer?",
	 0, "RW access delete@1,0,1", NULL},
	{"rpoplpush",
	 "Returns the last element of a list after removing and pushing it to another list. "
	 "Deletes the list if the last element was popped.",
	 "1.2.0", G_LIST, O1, "source:key destination:key", 0,
	 "RW access delete@1,0,1;RW insert@2,0,1", NULL},
	{"rpush", "Appends one or more elements to a list. Creates the key if it doesn't exist.",
	 "1.0.0", G_LIST,
	 "O(1) for each element added, so O(N) to add N elements when the command is called with "
	 "multiple arguments.",
	 "key:key element:string+", 0, "RW insert@1,0,1", NULL},
	{"rpushx", "Appends an element to a list only when the list exists.", "2.2.0", G_LIST,
	 "O(1) for each element added, so O(N) to add N elements when the command is called with "
	 "multiple arguments.",
	 "key:key element:string+", 0, "RW insert@1,0,1", NULL},
	/* ---- sorted sets ---- */
	{"zadd",
	 "Adds one or more members to a sorted set, or updates their scores. Creates the key if it "
	 "doesn't exist.",
	 "1.2.0", G_ZSET,
	 "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
	 "key:key condition(NX|XX)? comparison(GT|LT)? CH=change:pure-token? INCR=increment:pure-token? "
	 "score_member{score:double member:string}+",
	 0, "RW update@1,0,1", NULL},
	{"zcard", "Returns the number of members in a sorted set.", "1.2.0", G_ZSET, O1, "key:key",
	 0, "RO@1,0,1", NULL},
	{"zcount", "Returns the count of members in a sorted set that have scores within a range.",
	 "2.0.0", G_ZSET, "O(log(N)) with N being the number of elements in the sorted set.",
	 "key:key min:double max:double", 0, NULL, NULL},
	{"zincrby", "Increments the score of a member in a sorted set.", "1.2.0", G_ZSET,
	 "O(log(N)) where N is the number of elements in the sorted set.",
	 "key:key increment:integer member:string", 0, "RW access update@1,0,1", NULL},
	{"zlexcount", "Returns the number of members in a sorted set within a lexicographical range.",
	 "2.8.9", G_ZSET, "O(log(N)) with N being the number of elements in the sorted set.",
	 "key:key min:string max:string", 0, NULL, NULL},
	{"zmscore", "Returns the score of one or more members in a sorted set.", "6.2.0", G_ZSET,
	 "O(N) where N is the number of members being requested.", "key:key member:string+", 0,
	 NULL, NULL},
	{"bzpopmax",
	 "Removes and returns the highest-scoring member of the first non-empty sorted set among "
	 "the keys, waiting for one when all are empty. Deletes the sorted set if it empties.",
	 "5.0.0", G_ZSET, "O(log(N)) with N being the number of elements in the sorted set.",
	 "key:key+ timeout:double", 0, "RW access delete@1,-2,1", NULL},
	{"bzpopmin",
	 "Removes and returns the lowest-scoring member of the first non-empty sorted set among "
	 "the keys, waiting for one when all are empty. Deletes the sorted set if it empties.",
	 "5.0.0", G_ZSET, "O(log(N)) with N being the number of elements in the sorted set.",
	 "key:key+ timeout:double", 0, "RW access delete@1,-2,1", NULL},
	{"zpopmax",
	 "Returns the highest-scoring members from a sorted set after removing them. Deletes the "
	 "sorted set if the last member was popped.",
	 "5.0.0", G_ZSET, Z_POP, "key:key count:integer?", 0, "RW access delete@1,0,1", NULL},
	{"zpopmin",
	 "Returns the lowest-scoring members from a sorted set after removing them. Deletes the "
	 "sorted set if the last member was popped.",
	 "5.0.0", G_ZSET, Z_POP, "key:key count:integer?", 0, "RW access delete@1,0,1", NULL},
	{"zrandmember", "Returns one or more random members from a sorted set.", "6.2.0", G_ZSET,
	 "O(N) where N is the number of elements returned",
	 "key:key options{count:integer WITHSCORES?}?", 0, NULL, "nondeterministic_output"},
	{"zrange", "Returns members in a sorted set within a range of indexes.", "1.2.0", G_ZSET,
	 Z_RANGE_OUT,
	 "key:key start:string stop:string sortby(BYSCORE|BYLEX)? REV? "
	 "LIMIT=offset_count{offset:integer count:integer}? WITHSCORES?",
	 0, NULL, NULL},
	{"zrangebylex", "Returns members in a sorted set within a lexicographical range.", "2.8.9",
	 G_ZSET, Z_RANGE_LIMIT,
	 "key:key min:string max:string LIMIT=offset_count{offset:integer count:integer}?", 0,
	 NULL, NULL},
	{"zrangebyscore", "Returns members in a sorted set within a range of scores.", "1.0.5",
	 G_ZSET, Z_RANGE_LIMIT,
	 "key:key min:double max:double WITHSCORES? "
	 "LIMIT=offset_count{offset:integer count:integer}?",
	 0, NULL, NULL},
	{"zrangestore", "Stores a range of members from sorted set in a key.", "6.2.0", G_ZSET,
	 "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
	 "elements stored into the destination key.",
	 "dst:key src:key min:string max:string sortby(BYSCORE|BYLEX)? REV? "
	 "LIMIT=offset_count{offset:integer count:integer}?",
	 0, "OW update@1,0,1;RO access@2,0,1", NULL},
	{"zrank", "Returns the index of a member in a sorted set ordered by ascending scores.",
	 "2.0.0", G_ZSET, "O(log(N))", "key:key member:string WITHSCORE?", 0, NULL, NULL},
	{"zrem", "Removes one or more members from a sorted set. Deletes the sorted set if all "
	 "members were removed.",
	 "1.2.0", G_ZSET,
	 "O(M*log(N)) with N being the number of elements in the sorted set and M the number of "
	 "elements to be removed.",
	 "key:key member:string+", 0, "RW delete@1,0,1", NULL},
	{"zremrangebylex",
	 "Removes members in a sorted set within a lexicographical range. Deletes the sorted set "
	 "if all members were removed.",
	 "2.8.9", G_ZSET, Z_REMRANGE, "key:key min:string max:string", 0, "RW delete@1,0,1", NULL},
	{"zremrangebyrank",
	 "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all "
	 "members were removed.",
	 "2.0.0", G_ZSET, Z_REMRANGE, "key:key start:integer stop:integer", 0, "RW delete@1,0,1",
	 NULL},
	{"zremrangebyscore",
	 "Removes members in a sorted set within a range of scores. Deletes the sorted set if all "
	 "members were removed.",
	 "1.2.0", G_ZSET, Z_REMRANGE, "key:key min:double max:double", 0, "RW delete@1,0,1", NULL},
	{"zrevrange",
	 "Returns members in a sorted set within a range of indexes in reverse order.", "1.2.0",
	 G_ZSET, Z_RANGE_OUT, "key:key start:integer stop:integer WITHSCORES?", 0, NULL, NULL},
	{"zrevrangebylex",
	 "Returns members in a sorted set within a lexicographical range in reverse order.",
	 "2.8.9", G_ZSET, Z_RANGE_LIMIT,
	 "key:key max:string min:string LIMIT=offset_count{offset:integer count:integer}?", 0,
	 NULL, NULL},
	{"zrevrangebyscore",
	 "Returns members in a sorted set within a range of scores in reverse order.", "2.2.0",
	 G_ZSET, Z_RANGE_LIMIT,
	 "key:key max:double min:double WITHSCORES? "
	 "LIMIT=offset_count{offset:integer count:integer}?",
	 0, NULL, NULL},
	{"zrevrank", "Returns the index of a member in a sorted set ordered by descending scores.",
	 "2.0.0", G_ZSET, "O(log(N))", "key:key member:string WITHSCORE?", 0, NULL, NULL},
	{"zscan", "Iterates over members and scores of a sorted set.", "2.8.0", G_ZSET,
	 "O(1) for every call. O(N) for a complete iteration, including enough command calls for "
	 "the cursor to return back to 0. N is the number of elements inside the collection..",
	 "key:key cursor:integer MATCH=pattern:pattern? COUNT=count:integer?", 0, NULL,
	 "nondeterministic_output"},
	{"zscore", "Returns the score of a member in a sorted set.", "1.2.0", G_ZSET, O1,
	 "key:key member:string", 0, NULL, NULL},

	/* ---- locks and pools (cachifyd's own; see proto/PROTOCOL.md) ---- */
	{"lock.acquire", "Acquires a lock on a key, waiting in FIFO order if WAIT is given.",
	 "0.1.0", "lock", O1,
	 "key:key PX=ttl-ms:integer? WAIT=timeout-ms:integer? TOKEN=token:string? DETACH? "
	 "SHARED?", 0,
	 "OW insert@1,0,1", NULL},
	{"lock.release", "Releases a lock held with the given token.", "0.1.0", "lock", O1,
	 "key:key token:string", 0, "RW delete@1,0,1", NULL},
	{"lock.renew", "Replaces the TTL of a lock held with the given token.", "0.1.0", "lock", O1,
	 "key:key token:string PX=ttl-ms:integer", 0, "RW update@1,0,1", NULL},
	{"lock.info", "Returns a lock's holder, fence, TTL and waiters.", "0.1.0", "lock", O1,
	 "key:key", 0, "RO access@1,0,1", NULL},
	{"lock.check", "Tells whether a fence belongs to the lock's current holder.", "0.1.0",
	 "lock", O1, "key:key fence:integer", 0, "RO access@1,0,1", NULL},
	{"pool.acquire", "Takes a slot of a counting pool of at most max-size slots.", "0.1.0",
	 "pool", O1,
	 "key:key max-size:integer PX=slot-ttl-ms:integer? WAIT=timeout-ms:integer? DETACH?", 0,
	 "RW insert@1,0,1", NULL},
	{"pool.release", "Gives back a pool slot.", "0.1.0", "pool", O1, "key:key slot-id:string",
	 0, "RW delete@1,0,1", NULL},
	{"pool.renew", "Replaces the TTL of a pool slot.", "0.1.0", "pool", O1,
	 "key:key slot-id:string PX=slot-ttl-ms:integer", 0, "RW update@1,0,1", NULL},
	{"pool.size", "Returns the number of live slots of a pool.", "0.1.0", "pool", O1, "key:key",
	 0, "RO access@1,0,1", NULL},
	{"pool.info", "Returns a pool's size, maximum, waiters and slots.", "0.1.0", "pool", ON,
	 "key:key", 0, "RO access@1,0,1", NULL},
};

#define NDOCS (sizeof docs / sizeof docs[0])

/* The entries sorted by name, for binary search (built on first use). */
static const struct command_doc *sorted[NDOCS];

static int doc_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct command_doc *const *)a)->name,
	              (*(const struct command_doc *const *)b)->name);
}

/* Compares (name, len), in any case, with an entry's name: <0, 0, >0. */
static int name_cmp(const char *name, size_t len, const char *entry)
{
	for (size_t i = 0; i < len; i++) {
		int a = tolower((unsigned char)name[i]), b = (unsigned char)entry[i];

		if (a != b)
			return a - b;
	}
	return entry[len] == '\0' ? 0 : -1;
}

/* The first entry not below (name, len) in sorted order: NDOCS if none. */
static size_t lower_bound(const char *name, size_t len)
{
	size_t lo = 0, hi = NDOCS;

	if (!sorted[0]) {
		for (size_t i = 0; i < NDOCS; i++)
			sorted[i] = &docs[i];
		qsort(sorted, NDOCS, sizeof sorted[0], doc_cmp);
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (name_cmp(name, len, sorted[mid]->name) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct command_doc *command_docs_find(const char *name, size_t len)
{
	size_t i = lower_bound(name, len);

	return i < NDOCS && name_cmp(name, len, sorted[i]->name) == 0 ? sorted[i] : NULL;
}

bool command_docs_has_subcommands(const char *name)
{
	/* Asked for every command with an argument (dispatch, stats): the
	 * few parents with subcommands, found once, are compared directly. */
	static const char *parents[NDOCS];
	static size_t lens[NDOCS], nparents;
	static bool ready;

	if (!ready) {
		for (size_t i = 0; i < NDOCS; i++) {
			const char *bar = strchr(docs[i].name, '|');
			size_t len = bar ? (size_t)(bar - docs[i].name) : 0, j;

			for (j = 0; bar && j < nparents; j++)
				if (lens[j] == len &&
				    strncmp(parents[j], docs[i].name, len) == 0)
					break;
			if (bar && j == nparents) {
				parents[nparents] = docs[i].name;
				lens[nparents++] = len;
			}
		}
		ready = true;
	}
	for (size_t i = 0; i < nparents; i++)
		if (strncmp(parents[i], name, lens[i]) == 0 && name[lens[i]] == '\0')
			return true;
	return false;
}

const struct command_doc *command_docs_subcommand(const char *name, const char *sub, size_t len)
{
	char full[64];
	int n = snprintf(full, sizeof full, "%s|%.*s", name, (int)(len < 48 ? len : 48), sub);

	return len < 48 && n > 0 ? command_docs_find(full, (size_t)n) : NULL;
}

const struct command_doc *command_docs_at(size_t i)
{
	return i < NDOCS ? &docs[i] : NULL;
}
