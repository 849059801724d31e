# cachify - the one build file. Outputs go to $(BUILD) (default build/).
# `make help` lists the targets.

PREFIX	?= /usr/local
BUILD	?= build
CC	?= cc
CFLAGS	?= -O2 -g
PKG_CONFIG ?= pkg-config

# Flags we need whatever the user's CFLAGS say.
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wno-unused-parameter \
	-fvisibility=hidden -MMD -MP
ifeq ($(CI),true)
BASE_CFLAGS += -Werror
endif
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
BASE_CFLAGS += $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
endif

EVENT_CFLAGS = $(shell $(PKG_CONFIG) --cflags libevent 2>/dev/null)
EVENT_LIBS   = $(shell $(PKG_CONFIG) --libs libevent 2>/dev/null)
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell $(PKG_CONFIG) --libs check 2>/dev/null)
# Scripting: Debian's Lua 5.1 and its bit and cjson modules (no pkg-config
# file nor unversioned link for those two, hence the sonames).
LUA_CFLAGS = $(shell $(PKG_CONFIG) --cflags lua5.1 2>/dev/null)
LUA_LIBS   = $(shell $(PKG_CONFIG) --libs lua5.1 2>/dev/null) -l:liblua5.1-bitop.so.0 \
	-l:liblua5.1-cjson.so.0

ALL_CFLAGS = $(BASE_CFLAGS) $(INC) $(EVENT_CFLAGS) $(CPPFLAGS) $(CFLAGS)

# Each part sees only the headers it needs (INC, set per object directory):
# the daemon never sees client/, the library never sees daemon/, and the CLI,
# the examples and the benchmarks see the public header but not the
# library's private ones (a part's own headers are found next to its files).
$(BUILD)/proto/%.o $(BUILD)/pic/proto/%.o:           INC = -Iproto
$(BUILD)/daemon/%.o:                                 INC = -Iproto -Idaemon $(LUA_CFLAGS)
$(BUILD)/client/lib/%.o $(BUILD)/pic/client/lib/%.o: INC = -Iproto -Iclient/include
$(BUILD)/client/cli/%.o:                             INC = -Iclient/include -Iproto $(CLI_DEFS)
$(BUILD)/tests/%.o:                                  INC = -Iproto -Idaemon -Iclient/include $(LUA_CFLAGS)
$(BUILD)/examples/%.o:                               INC = -Iclient/include
$(BUILD)/bench/%.o:                                  INC = -Iclient/include -Iproto

# The CLI looks for a `make run` daemon of this checkout (run/cachifyd.sock)
# when no address is given and the system's does not answer.
CLI_DEFS := -DCLI_CHECKOUT_DIR='"$(CURDIR)"'

PROTO_SRC  := $(wildcard proto/*.c)
LIB_SRC    := $(wildcard client/lib/*.c)
CLI_SRC    := $(wildcard client/cli/*.c)
EXAMPLE_SRC := $(wildcard examples/*.c)
DAEMON_SRC := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
TEST_SRC   := $(wildcard tests/check_*.c) tests/harness.c

PROTO_OBJ  := $(PROTO_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ   := $(TEST_SRC:%.c=$(BUILD)/%.o)
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_PIC    := $(LIB_SRC:%.c=$(BUILD)/pic/%.o) $(PROTO_SRC:%.c=$(BUILD)/pic/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/%.o)
EXAMPLES   := $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples/%)

LIBA  := $(BUILD)/libcachify.a
LIBSO := $(BUILD)/libcachify.so.0
LIBPC := $(BUILD)/libcachify.pc
CLI   := $(BUILD)/cachify

CACHIFYD := $(BUILD)/cachifyd
CHECKBIN := $(BUILD)/check_cachify

.PHONY: all check check-asan check-valgrind run run-env fuzz fuzz-smoke bench install uninstall clean help deps test-run \
	torture torture-asan torture-valgrind torture-run

all: $(CACHIFYD) $(LIBA) $(LIBSO) $(LIBPC) $(if $(CLI_SRC),$(CLI)) $(EXAMPLES)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

$(CACHIFYD): $(BUILD)/daemon/main.o $(DAEMON_OBJ) $(PROTO_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(EVENT_LIBS) $(LUA_LIBS) -lm

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -c -o $@ $<

# libcachify: static, shared (soname libcachify.so.0) and a pkg-config file
# that points at the build tree (install rewrites it).
$(LIBA): $(LIB_OBJ) $(PROTO_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(LIBSO): $(LIB_PIC)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libcachify.so.0 -o $@ $^ $(EVENT_LIBS) -pthread -lm
	ln -sf libcachify.so.0 $(BUILD)/libcachify.so

# Its directories are written relative to ${prefix} when they are under it,
# so `pkg-config --define-prefix` (or --define-variable=prefix=...) finds a
# staged (DESTDIR) or moved copy without PKG_CONFIG_SYSROOT_DIR.
pc_rel = $(if $(filter $(2)/%,$(1)),$${prefix}/$(patsubst $(2)/%,%,$(1)),$(1))

$(LIBPC): Makefile
	@mkdir -p $(dir $@)
	printf 'prefix=%s\nincludedir=%s\nlibdir=%s\n\nName: libcachify\nDescription: caching, locks, once and pools (py-cachify API in C)\nVersion: 0.1.0\nCflags: -I$${includedir}\nLibs: -L$${libdir} -lcachify\nRequires.private: libevent\nLibs.private: -pthread -lm\n' \
		'$(CURDIR)' '$(call pc_rel,$(CURDIR)/client/include,$(CURDIR))' \
		'$(call pc_rel,$(abspath $(BUILD)),$(CURDIR))' > $@

$(CLI): $(CLI_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(EVENT_LIBS) -pthread -lm

$(BUILD)/examples/%: $(BUILD)/examples/%.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(EVENT_LIBS) -pthread -lm

$(CHECKBIN): $(TEST_OBJ) $(DAEMON_OBJ) $(PROTO_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(EVENT_LIBS) $(LUA_LIBS) -lm -pthread

deps:
	@sh scripts/deps

## check: install missing packages, build, run every Check suite
check: deps
	@$(MAKE) --no-print-directory test-run

# Check's per-test timeouts are bounds, not expectations: scale them on a
# loaded machine and under the sanitizers (which run ~3x slower).
CK_TIMEOUT_MULTIPLIER ?= $(if $(filter 1,$(SAN)),4,2)
export CK_TIMEOUT_MULTIPLIER

test-run: $(CHECKBIN) all
	CACHIFYD=$(abspath $(CACHIFYD)) CACHIFY_CLI=$(abspath $(CLI)) CACHIFY_BUILD=$(abspath $(BUILD)) \
		CACHIFY_SRC=$(CURDIR) $(abspath $(CHECKBIN))

## check-asan: the whole suite built with ASan + UBSan (in build/asan)
check-asan: deps
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SAN=1 CFLAGS="-O1 -g" test-run \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

## check-valgrind: the suites that drive cachifyd, with the daemon under valgrind
# (test time bounds x3: valgrind runs the daemon ~10x slower)
VALGRIND_SUITES := server lock client_daemon cli compat diff string info keys multi conn script
check-valgrind: deps
	@$(MAKE) --no-print-directory $(CHECKBIN) all
	@for s in $(VALGRIND_SUITES); do \
		CK_RUN_SUITE=$$s CACHIFYD=$(CURDIR)/scripts/valgrind-cachifyd \
		CACHIFY_TEST_SLOW=$${CACHIFY_TEST_SLOW:-3} \
		CACHIFYD_REAL=$(abspath $(CACHIFYD)) CACHIFY_CLI=$(abspath $(CLI)) \
		CACHIFY_BUILD=$(abspath $(BUILD)) CACHIFY_SRC=$(CURDIR) \
		$(abspath $(CHECKBIN)) || exit 1; \
	done

## run: install missing packages, build, start cachifyd in the foreground
RUN_SOCK := $(CURDIR)/run/cachifyd.sock
run: deps all
	@mkdir -p -m 0755 run && chmod 0755 run
	@$(MAKE) --no-print-directory -s run-env
	exec ./$(CACHIFYD) cachifyd.conf -s $(RUN_SOCK) --dir $(CURDIR)/run

## run-env: print the lines that point clients at `make run`'s daemon
run-env:
	@echo "# cachifyd listens on $(RUN_SOCK); in another shell:"
	@echo "export CACHIFY_URL=unix://$(RUN_SOCK)"
	@echo "redis-cli -s $(RUN_SOCK)"

# libFuzzer targets (clang). fuzz-smoke runs each briefly on the seed corpus.
# fuzz_request and fuzz_reply build from proto/ alone; fuzz_server and
# fuzz_config link the daemon (less main.c), built instrumented in fuzz/obj.
FUZZ_CC    ?= clang
FUZZ_BASE  := -std=c11 -D_GNU_SOURCE -g -O1 -Iproto
FUZZ_FLAGS := $(FUZZ_BASE) -fsanitize=fuzzer,address,undefined
FUZZ_TIME  ?= 30
FUZZ_TIME_DAEMON ?= 20
FUZZ_DAEMON := $(BUILD)/fuzz/fuzz_server $(BUILD)/fuzz/fuzz_config $(BUILD)/fuzz/fuzz_snapshot
FUZZERS    := $(BUILD)/fuzz/fuzz_request $(BUILD)/fuzz/fuzz_reply $(FUZZ_DAEMON)
FUZZ_OBJ   := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(DAEMON_SRC) $(PROTO_SRC))
FUZZ_OBJ_FLAGS := $(FUZZ_BASE) -fsanitize=fuzzer-no-link,address,undefined -Idaemon \
	$(EVENT_CFLAGS) $(LUA_CFLAGS) -MMD -MP

## fuzz: build the libFuzzer targets (parsers, the daemon's request path, the config reader)
fuzz: deps $(FUZZERS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(PROTO_SRC) proto/resp.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(PROTO_SRC)

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_OBJ_FLAGS) -c -o $@ $<

$(FUZZ_DAEMON): $(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Idaemon $(EVENT_CFLAGS) -o $@ $(filter %.c,$^) $(FUZZ_OBJ) \
		$(EVENT_LIBS) $(LUA_LIBS) -lm

$(BUILD)/fuzz/fuzz_server: tests/fuzz/fuzz_server_check.c tests/fuzz/fuzz_server.h

## fuzz-smoke: run each fuzzer on a copy of its corpus with tests/fuzz/NAME.options,
## FUZZ_TIME seconds for the parsers (default 30), FUZZ_TIME_DAEMON for the others (20)
fuzz-smoke: fuzz
	@for f in $(notdir $(FUZZERS)); do \
		case " $(notdir $(FUZZ_DAEMON)) " in *" $$f "*) t=$(FUZZ_TIME_DAEMON);; *) t=$(FUZZ_TIME);; esac; \
		opts=; [ -f tests/fuzz/$$f.options ] && opts=$$(cat tests/fuzz/$$f.options); \
		rm -rf $(BUILD)/fuzz/$$f.corpus; mkdir -p $(BUILD)/fuzz/$$f.corpus; \
		cp tests/fuzz/$$f.corpus/* $(BUILD)/fuzz/$$f.corpus/; \
		echo "fuzz: $$f for $${t}s"; \
		./$(BUILD)/fuzz/$$f -max_total_time=$$t -print_final_stats=1 $$opts \
			-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/$$f.corpus \
			2>$(BUILD)/fuzz/$$f.log || { tail -50 $(BUILD)/fuzz/$$f.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units|stat::peak_rss' $(BUILD)/fuzz/$$f.log; \
	done

## bench: compare cachifyd with redis-server (and flock) in one run
bench: deps all $(BUILD)/lockbench $(BUILD)/libbench $(BUILD)/asyncbench $(BUILD)/evictbench
	@for b in bench/*.sh; do bash $$b || exit 1; done

# bench/lock.sh's load generator (speaks RESP through proto/ and the
# blocking connection it shares with build/torture).
$(BUILD)/lockbench: $(BUILD)/bench/lockbench.o $(BUILD)/tests/torture/rconn.o $(PROTO_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -pthread

# bench/evict.sh's load generator (a Zipf cache workload, RESP as lockbench).
$(BUILD)/evictbench: $(BUILD)/bench/evictbench.o $(BUILD)/tests/torture/rconn.o $(PROTO_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -lm

# bench/lib.sh's load generator (lock_run/pooled through libcachify).
$(BUILD)/libbench: $(BUILD)/bench/libbench.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(EVENT_LIBS) -pthread -lm

# The async face's daemon suite runs under check-valgrind too.
VALGRIND_SUITES += async_daemon
# pub/sub and keyspace notifications (check_pubsub.c): about 20 s under valgrind.
VALGRIND_SUITES += pubsub
# Hashes, lists, sorted sets and the blocked pops: about 70 s together.
VALGRIND_SUITES += hash list zset block

# bench/async.sh's load generator (the async face on one thread against
# the blocking one on many).
$(BUILD)/asyncbench: $(BUILD)/bench/asyncbench.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(EVENT_LIBS) -pthread -lm

# build/torture: the abuse run (tests/torture/README.md). It starts its own
# cachifyd ($$CACHIFYD) and exits non-zero on any violated invariant;
# TORTURE_FLAGS passes more options (build/torture --help).
TORTURE     := $(BUILD)/torture
TORTURE_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/torture/*.c))
TORTURE_SCALE ?= 10
TORTURE_ARGS = --scale $(TORTURE_SCALE) $(if $(TORTURE_SEED),--seed $(TORTURE_SEED))

$(TORTURE): $(TORTURE_OBJ) $(PROTO_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -lm

## torture: abuse run: kills, stops, reloads, restarts, bad input (TORTURE_SCALE=10, ~6 min; TORTURE_SEED=N replays)
torture: deps
	@$(MAKE) --no-print-directory $(TORTURE) $(CACHIFYD)
	CACHIFYD=$(abspath $(CACHIFYD)) $(abspath $(TORTURE)) $(TORTURE_ARGS) $(TORTURE_FLAGS)

# torture and cachifyd from this BUILD, timeouts times TORTURE_SLOW.
torture-run: $(TORTURE) $(CACHIFYD)
	CACHIFYD=$(abspath $(CACHIFYD)) $(abspath $(TORTURE)) $(TORTURE_ARGS) --slow $(TORTURE_SLOW)

## torture-asan: CI's short run (scale 1) with torture and cachifyd built with ASan + UBSan
torture-asan: deps
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SAN=1 CFLAGS="-O1 -g" torture-run \
		TORTURE_SCALE=1 TORTURE_SLOW=3 \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

## torture-valgrind: CI's run (scale 2, ~2 min) with cachifyd under valgrind (scripts/valgrind-cachifyd)
torture-valgrind: deps
	@$(MAKE) --no-print-directory $(TORTURE) $(CACHIFYD)
	CACHIFYD=$(CURDIR)/scripts/valgrind-cachifyd CACHIFYD_REAL=$(abspath $(CACHIFYD)) \
		$(abspath $(TORTURE)) --scale 2 --slow 20 $(if $(TORTURE_SEED),--seed $(TORTURE_SEED))

# Install layout; every directory can be overridden, and DESTDIR is put in
# front of all of them (staged installs, packaging).
BINDIR       ?= $(PREFIX)/bin
SBINDIR      ?= $(PREFIX)/sbin
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
MANDIR       ?= $(PREFIX)/share/man
SYSCONFDIR   ?= /etc
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# Where systemd looks, as its own pkg-config file says (Debian's fallbacks).
SYSTEMDUNITDIR ?= $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
SYSUSERSDIR    ?= $(or $(shell $(PKG_CONFIG) --variable=sysusersdir systemd 2>/dev/null),/usr/lib/sysusers.d)
TMPFILESDIR    ?= $(or $(shell $(PKG_CONFIG) --variable=tmpfilesdir systemd 2>/dev/null),/usr/lib/tmpfiles.d)
# Shell completion for cachify(1): where bash-completion and zsh look.
BASHCOMPDIR ?= $(or $(shell $(PKG_CONFIG) --variable=completionsdir bash-completion 2>/dev/null),$(PREFIX)/share/bash-completion/completions)
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions

MANPAGES := $(wildcard man/*.[1-8])
MANPAGES_KNOWN := man/cachifyd.8 man/cachifyd.conf.5 man/libcachify.3 man/cachify.1
# The units name the default paths; installing elsewhere rewrites them.
UNIT_SED := -e 's|/usr/local/sbin/cachifyd|$(SBINDIR)/cachifyd|g' \
	-e 's|/etc/cachifyd/|$(SYSCONFDIR)/cachifyd/|g'

## install: everything under DESTDIR + PREFIX and the systemd dirs (an existing config is kept)
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(SYSCONFDIR)/cachifyd \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0755 $(CACHIFYD) $(DESTDIR)$(SBINDIR)/cachifyd
	@if [ -f $(CLI) ]; then \
		echo "install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/cachify"; \
		install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/cachify; \
	fi
	install -m 0644 $(LIBA) $(DESTDIR)$(LIBDIR)/libcachify.a
	install -m 0755 $(LIBSO) $(DESTDIR)$(LIBDIR)/libcachify.so.0
	ln -sf libcachify.so.0 $(DESTDIR)$(LIBDIR)/libcachify.so
	install -m 0644 client/include/cachify.h $(DESTDIR)$(INCLUDEDIR)/cachify.h
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0644 completion/cachify.bash $(DESTDIR)$(BASHCOMPDIR)/cachify
	install -m 0644 completion/_cachify $(DESTDIR)$(ZSHCOMPDIR)/_cachify
	sed -e 's|^prefix=.*|prefix=$(PREFIX)|' \
		-e 's|^includedir=.*|includedir=$(call pc_rel,$(INCLUDEDIR),$(PREFIX))|' \
		-e 's|^libdir=.*|libdir=$(call pc_rel,$(LIBDIR),$(PREFIX))|' \
		$(LIBPC) > $(DESTDIR)$(PKGCONFIGDIR)/libcachify.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/libcachify.pc
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/cachifyd/cachifyd.conf ]; then \
		echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/cachifyd/cachifyd.conf"; \
	else \
		echo "install -m 0644 cachifyd.conf $(DESTDIR)$(SYSCONFDIR)/cachifyd/cachifyd.conf"; \
		install -m 0644 cachifyd.conf $(DESTDIR)$(SYSCONFDIR)/cachifyd/cachifyd.conf; \
	fi
	for u in cachifyd.service cachifyd.socket; do \
		sed $(UNIT_SED) systemd/$$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	install -m 0644 systemd/cachifyd.sysusers $(DESTDIR)$(SYSUSERSDIR)/cachifyd.conf
	install -m 0644 systemd/cachifyd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/cachifyd.conf
	for m in $(MANPAGES); do \
		sec=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$sec && \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$sec/ || exit 1; \
	done
	@if [ -z "$(DESTDIR)" ]; then \
		command -v ldconfig >/dev/null 2>&1 && ldconfig || true; \
		echo "next: systemd-sysusers; systemd-tmpfiles --create cachifyd.conf;"; \
		echo "      systemctl daemon-reload; systemctl enable --now cachifyd.socket"; \
	fi

## uninstall: remove what install put there (the config stays)
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/cachifyd $(DESTDIR)$(BINDIR)/cachify \
		$(DESTDIR)$(LIBDIR)/libcachify.a $(DESTDIR)$(LIBDIR)/libcachify.so.0 \
		$(DESTDIR)$(LIBDIR)/libcachify.so $(DESTDIR)$(INCLUDEDIR)/cachify.h \
		$(DESTDIR)$(PKGCONFIGDIR)/libcachify.pc \
		$(DESTDIR)$(SYSTEMDUNITDIR)/cachifyd.service $(DESTDIR)$(SYSTEMDUNITDIR)/cachifyd.socket \
		$(DESTDIR)$(SYSUSERSDIR)/cachifyd.conf $(DESTDIR)$(TMPFILESDIR)/cachifyd.conf \
		$(DESTDIR)$(BASHCOMPDIR)/cachify $(DESTDIR)$(ZSHCOMPDIR)/_cachify
	for m in $(sort $(MANPAGES) $(MANPAGES_KNOWN)); do \
		rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; \
	done

## clean: remove build outputs
clean:
	rm -rf $(BUILD)

## help: this list
help:
	@grep -E '^## ' Makefile | sed 's/^## /  /'

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
