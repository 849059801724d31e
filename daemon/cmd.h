/* cmd.h - every command handler, by family (one cmd_*.c file per family).
 * The helpers they share are in cmd_args.h and cmd_grant.h. */
#ifndef CACHIFY_CMD_H
#define CACHIFY_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "command.h"

/* cmd_server.c: connection and server commands (COMMAND in cmd_command.c,
 * CONFIG in cmd_config.c) */
cmd_proc cmd_ping, cmd_echo, cmd_quit, cmd_select, cmd_dbsize, cmd_flushdb, cmd_flushall,
	cmd_info, cmd_command, cmd_config, cmd_shutdown;

/* cmd_persist.c: SAVE, BGSAVE, LASTSAVE */
cmd_proc cmd_save, cmd_bgsave, cmd_lastsave;

/* cmd_conn.c: HELLO, RESET, TIME, MONITOR, CLIENT */
cmd_proc cmd_hello, cmd_reset, cmd_time, cmd_monitor, cmd_client;

/* cmd_diag.c: SLOWLOG, LATENCY */
cmd_proc cmd_slowlog, cmd_latency;

/* cmd_acl.c: ACL WHOAMI, LIST, CAT, DRYRUN, LOG, HELP */
cmd_proc cmd_acl;

/* cmd_keys.c: the keyspace */
cmd_proc cmd_del, cmd_exists, cmd_type, cmd_expire, cmd_pexpire, cmd_ttl, cmd_pttl, cmd_persist,
	cmd_scan, cmd_touch, cmd_expireat, cmd_pexpireat, cmd_expiretime, cmd_pexpiretime, cmd_keys,
	cmd_randomkey, cmd_rename, cmd_renamenx, cmd_move, cmd_copy, cmd_swapdb;

/* cmd_object.c: OBJECT (in the keyspace family) */
cmd_proc cmd_object;

/* cmd_string.c: strings */
cmd_proc cmd_get, cmd_set, cmd_mget, cmd_mset, cmd_incr, cmd_incrby, cmd_decr, cmd_decrby,
	cmd_setnx, cmd_setex, cmd_psetex, cmd_getset, cmd_getdel, cmd_getex, cmd_msetnx, cmd_append,
	cmd_setrange, cmd_getrange, cmd_strlen, cmd_incrbyfloat, cmd_lcs;

/* cmd_hash.c: hashes (the object is hash.c's) */
cmd_proc cmd_hset, cmd_hsetnx, cmd_hget, cmd_hmget, cmd_hmset, cmd_hdel, cmd_hexists, cmd_hlen,
	cmd_hstrlen, cmd_hkeys, cmd_hvals, cmd_hgetall, cmd_hincrby, cmd_hincrbyfloat, cmd_hrandfield,
	cmd_hscan;

/* cmd_multi.c: transactions (what dispatch and others need is in multi.h) */
cmd_proc cmd_multi, cmd_exec, cmd_discard, cmd_watch, cmd_unwatch;

/* cmd_zset.c and cmd_zrange.c: sorted sets (the set is zset.c's) */
cmd_proc cmd_zadd, cmd_zincrby, cmd_zrem, cmd_zscore, cmd_zmscore, cmd_zcard, cmd_zrank,
	cmd_zrevrank, cmd_zpopmin, cmd_zpopmax, cmd_bzpopmin, cmd_bzpopmax, cmd_zrandmember, cmd_zscan, cmd_zrange,
	cmd_zrangestore, cmd_zrevrange, cmd_zrangebyscore, cmd_zrevrangebyscore, cmd_zrangebylex,
	cmd_zrevrangebylex, cmd_zcount, cmd_zlexcount, cmd_zremrangebyrank, cmd_zremrangebyscore,
	cmd_zremrangebylex;

/* cmd_pubsub.c: pub/sub (subscriptions are pubsub.c's) */
cmd_proc cmd_subscribe, cmd_unsubscribe, cmd_psubscribe, cmd_punsubscribe, cmd_ssubscribe,
	cmd_sunsubscribe, cmd_publish, cmd_spublish, cmd_pubsub;

/* cmd_list.c and cmd_list_block.c: lists and their blocking pops */
cmd_proc cmd_lpush, cmd_rpush, cmd_lpushx, cmd_rpushx, cmd_lpop, cmd_rpop, cmd_llen, cmd_lrange,
	cmd_lindex, cmd_lset, cmd_lrem, cmd_ltrim, cmd_linsert, cmd_lpos, cmd_lmove, cmd_rpoplpush,
	cmd_lmpop, cmd_blpop, cmd_brpop, cmd_blmove, cmd_brpoplpush, cmd_blmpop;

/* cmd_script.c: scripting (the engine is script.c) */
cmd_proc cmd_eval, cmd_evalsha, cmd_eval_ro, cmd_evalsha_ro, cmd_script;

/* cmd_lock.c and cmd_pool.c: locks and pools */
cmd_proc cmd_lock_acquire, cmd_lock_release, cmd_lock_renew, cmd_lock_info, cmd_lock_check,
	cmd_pool_acquire, cmd_pool_release, cmd_pool_renew, cmd_pool_size, cmd_pool_info;

#endif /* CACHIFY_CMD_H */
