# cachify - the one build file. Outputs go to $(BUILD) (default build/).
# `make help` lists the targets.

PREFIX	?= /usr/local
BUILD	?= build
CC	?= cc
CFLAGS	?= -O2 -g
PKG_CONFIG ?= pkg-config

# Flags we need whatever the user's CFLAGS say.
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wno-unused-parameter \
	-fvisibility=hidden -MMD -MP -Iproto -Idaemon -Iclient/include
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

ALL_CFLAGS = $(BASE_CFLAGS) $(EVENT_CFLAGS) $(CPPFLAGS) $(CFLAGS)

PROTO_SRC  := $(wildcard proto/*.c)
LIB_SRC    := $(filter-out client/cli%.c,$(wildcard client/*.c))
CLI_SRC    := $(wildcard client/cli*.c)
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

.PHONY: all check check-asan run fuzz fuzz-smoke bench install uninstall clean help deps test-run

all: $(CACHIFYD) $(LIBA) $(LIBSO) $(LIBPC) $(if $(CLI_SRC),$(CLI)) $(EXAMPLES)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

$(CACHIFYD): $(BUILD)/daemon/main.o $(DAEMON_OBJ) $(PROTO_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(EVENT_LIBS) -lm

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -c -o $@ $<

# libcachify: static, shared (soname libcachify.so.0) and a pkg-config file
# that points at the build tree (install rewrites it).
$(LIBA): $(LIB_OBJ) $(PROTO_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(LIBSO): $(LIB_PIC)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libcachify.so.0 -o $@ $^ -pthread
	ln -sf libcachify.so.0 $(BUILD)/libcachify.so

$(LIBPC): Makefile
	@mkdir -p $(dir $@)
	printf 'prefix=%s\nincludedir=%s\nlibdir=%s\n\nName: libcachify\nDescription: caching, locks, once and pools (py-cachify API in C)\nVersion: 0.1.0\nCflags: -I$${includedir}\nLibs: -L$${libdir} -lcachify\nLibs.private: -pthread\n' \
		"$(CURDIR)" "$(CURDIR)/client/include" "$(abspath $(BUILD))" > $@

$(CLI): $(CLI_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ -pthread

$(BUILD)/examples/%: $(BUILD)/examples/%.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ -pthread

$(CHECKBIN): $(TEST_OBJ) $(DAEMON_OBJ) $(PROTO_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(EVENT_LIBS) -lm -pthread

deps:
	@sh scripts/deps

## check: install missing packages, build, run every Check suite
check: deps
	@$(MAKE) --no-print-directory test-run

test-run: $(CHECKBIN) all
	CACHIFYD=$(abspath $(CACHIFYD)) CACHIFY_CLI=$(abspath $(CLI)) CACHIFY_BUILD=$(abspath $(BUILD)) \
		CACHIFY_SRC=$(CURDIR) $(abspath $(CHECKBIN))

## check-asan: the whole suite built with ASan + UBSan (in build/asan)
check-asan: deps
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SAN=1 CFLAGS="-O1 -g" test-run \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

## run: install missing packages, build, start cachifyd in the foreground
run: deps all
	@mkdir -p run
	@echo "cachifyd: socket $(CURDIR)/run/cachifyd.sock"
	@echo "connect:  redis-cli -s $(CURDIR)/run/cachifyd.sock"
	exec ./$(CACHIFYD) cachifyd.conf -s $(CURDIR)/run/cachifyd.sock

# libFuzzer targets (clang). fuzz-smoke runs each briefly on the seed corpus.
FUZZ_CC    ?= clang
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Iproto -fsanitize=fuzzer,address,undefined
FUZZ_TIME  ?= 30
FUZZERS    := $(BUILD)/fuzz/fuzz_request $(BUILD)/fuzz/fuzz_reply

## fuzz: build the libFuzzer targets for the request and reply parsers
fuzz: deps $(FUZZERS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(PROTO_SRC) proto/resp.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(PROTO_SRC)

## fuzz-smoke: run each fuzzer for FUZZ_TIME seconds (default 30) on a copy of its corpus
fuzz-smoke: fuzz
	@for f in $(notdir $(FUZZERS)); do \
		rm -rf $(BUILD)/fuzz/$$f.corpus; mkdir -p $(BUILD)/fuzz/$$f.corpus; \
		cp tests/fuzz/$$f.corpus/* $(BUILD)/fuzz/$$f.corpus/; \
		echo "fuzz: $$f for $(FUZZ_TIME)s"; \
		./$(BUILD)/fuzz/$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/$$f.corpus \
			2>$(BUILD)/fuzz/$$f.log || { tail -50 $(BUILD)/fuzz/$$f.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units|stat::peak_rss' $(BUILD)/fuzz/$$f.log; \
	done

## bench: compare cachifyd with redis-server (and flock) in one run
bench: deps all $(BUILD)/lockbench
	@for b in bench/*.sh; do bash $$b || exit 1; done

# bench/lock.sh's load generator (speaks RESP through proto/).
$(BUILD)/lockbench: $(BUILD)/bench/lockbench.o $(PROTO_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -pthread

BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc

## install: cachifyd and cachifyd.conf under DESTDIR/PREFIX (an existing config is kept)
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/cachifyd
	install -m 0755 $(CACHIFYD) $(DESTDIR)$(SBINDIR)/cachifyd
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/cachifyd/cachifyd.conf ]; then \
		echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/cachifyd/cachifyd.conf"; \
	else \
		install -m 0644 cachifyd.conf $(DESTDIR)$(SYSCONFDIR)/cachifyd/cachifyd.conf; \
	fi

## uninstall: remove what install put there (the config stays)
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/cachifyd

## clean: remove build outputs
clean:
	rm -rf $(BUILD)

## help: this list
help:
	@grep -E '^## ' Makefile | sed 's/^## /  /'

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
