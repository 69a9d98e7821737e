# xgro: receive aggregation on XDP and AF_XDP.
#   make            build everything into build/
#   make test       install missing deps, build, run every test
#   make demo       bulk TCP through xgro vs. without, side by side
#   make bench      end-to-end benchmark; make bench-engine: merge engine only
#   make fuzz       run the fuzzer until stopped (FUZZ_ARGS=... to add flags)
#   make profile-engine  instructions per frame under callgrind (FLOWS=, MODE=)
#   make V=1        show the commands
# Output goes to build/.

CC := clang
BUILD := build
ARCH_INC := /usr/include/$(shell $(CC) -print-multiarch 2>/dev/null)
PREFIX ?= /usr/local

Q := @
ifeq ($(V),1)
Q :=
endif

WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
# Include paths by room: include/ (shared with BPF, and the engine's API)
# for all; the engine's internal headers for the engine, and for the tests
# and benchmarks that look inside it (WHITEBOX); tests/lib, the traffic,
# recording and checking code that tests and benchmarks share (TESTKIT).
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -fno-strict-aliasing $(WARN) -Iinclude
ENGINE_CFLAGS := $(BASE_CFLAGS) -Iuser/engine
TESTKIT := -Itests/lib
WHITEBOX := -Iuser/engine
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

ENGINE_SRC := $(wildcard user/engine/*.c)
TESTLIB_SRC := tests/lib/pktgen.c tests/lib/record.c tests/lib/check.c tests/lib/conform.c
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
UNIT_ASAN := $(patsubst tests/unit/%.c,$(BUILD)/tests/asan/%,$(UNIT_SRC))
HDRS := $(wildcard include/*.h user/engine/*.h tests/lib/*.h)

DPDK_CFLAGS := $(shell pkg-config --cflags libdpdk 2>/dev/null)
DPDK_LIBS := $(shell pkg-config --libs libdpdk 2>/dev/null)

.DELETE_ON_ERROR:
.PHONY: check format all test demo bench bench-engine bench-e2e profile-engine fuzz install clean deps deps-test deps-bench

all: $(BUILD)/libxgro.a $(BUILD)/xgro $(BUILD)/xgro-bench

$(BUILD)/engine/%.o: user/engine/%.c $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(ENGINE_CFLAGS) -c $< -o $@

$(BUILD)/asan/engine/%.o: user/engine/%.c $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) -O1 -g $(SAN) $(ENGINE_CFLAGS) -c $< -o $@

$(BUILD)/libxgro.a: $(patsubst user/engine/%.c,$(BUILD)/engine/%.o,$(ENGINE_SRC))
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

$(BUILD)/libxgro-asan.a: $(patsubst user/engine/%.c,$(BUILD)/asan/engine/%.o,$(ENGINE_SRC))
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

$(BUILD)/tests/%: tests/unit/%.c $(TESTLIB_SRC) $(BUILD)/libxgro.a $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) $(TESTKIT) $(WHITEBOX) $< $(TESTLIB_SRC) $(BUILD)/libxgro.a -o $@

$(BUILD)/tests/asan/%: tests/unit/%.c $(TESTLIB_SRC) $(BUILD)/libxgro-asan.a $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@ (ASan+UBSan)"
	$(Q)$(CC) -O1 -g $(SAN) $(BASE_CFLAGS) $(TESTKIT) $(WHITEBOX) $< $(TESTLIB_SRC) $(BUILD)/libxgro-asan.a -o $@

$(BUILD)/fuzz/fuzz_engine: tests/fuzz/fuzz_engine.c $(ENGINE_SRC) $(TESTLIB_SRC) $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@ (libFuzzer, ASan+UBSan)"
	$(Q)$(CC) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-DXGRO_PARSE_CROSSCHECK $(BASE_CFLAGS) $(TESTKIT) $(WHITEBOX) $< $(ENGINE_SRC) tests/lib/pktgen.c tests/lib/record.c -o $@

# The XDP program and its skeleton.
# the machine's architecture, as bpf_tracing.h names it
BPF_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	-e 's/ppc64le/powerpc/' -e 's/riscv64/riscv/' -e 's/s390x/s390/')
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_$(BPF_ARCH) -I$(ARCH_INC) -Iinclude $(WARN)
$(BUILD)/xgro.bpf.o: bpf/xgro.bpf.c include/xgro.h
	@mkdir -p $(@D)
	@echo "  BPF     $@"
	$(Q)$(CC) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/xgro.skel.h: $(BUILD)/xgro.bpf.o
	@echo "  GEN     $@"
	$(Q)$(BPFTOOL) gen skeleton $< name xgro > $@

# The loader CLI with the data path. Each room sees only the headers of
# the rooms below it: common (logging, sysctls) < datapath < cli, all on
# include/ (shared with BPF, and the engine's API).
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
ROOM_CFLAGS := -std=c11 -D_GNU_SOURCE -fno-strict-aliasing $(WARN) -Iinclude -MMD -MP
COMMON_INC := -Iuser/common
DP_INC := $(COMMON_INC) -Iuser/datapath
CLI_INC := $(DP_INC) -Iuser/cli -I$(BUILD)
COMMON_OBJ := $(patsubst user/common/%.c,$(BUILD)/common/%.o,$(wildcard user/common/*.c))
DP_OBJ := $(patsubst user/datapath/%.c,$(BUILD)/datapath/%.o,$(wildcard user/datapath/*.c))
CLI_OBJ := $(patsubst user/cli/%.c,$(BUILD)/cli/%.o,$(wildcard user/cli/*.c))
# the release, and the commit it was built from when there is one
XGRO_VERSION := 0.2.0$(shell git describe --always --dirty 2>/dev/null | sed 's/^/+g/')

$(BUILD)/common/%.o: user/common/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(ROOM_CFLAGS) $(COMMON_INC) -c $< -o $@

$(BUILD)/datapath/%.o: user/datapath/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(ROOM_CFLAGS) -pthread $(DP_INC) -c $< -o $@

$(BUILD)/cli/%.o: user/cli/%.c $(BUILD)/xgro.skel.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(ROOM_CFLAGS) $(CLI_INC) -DXGRO_VERSION='"$(XGRO_VERSION)"' -c $< -o $@

# the data path as a library of its own, for any owner
$(BUILD)/libxgro-dp.a: $(DP_OBJ) $(COMMON_OBJ)
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

$(BUILD)/xgro: $(CLI_OBJ) $(BUILD)/libxgro-dp.a $(BUILD)/libxgro.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -pthread $(CLI_OBJ) $(BUILD)/libxgro-dp.a $(BUILD)/libxgro.a \
		-lxdp -lbpf -lelf -lz -o $@

-include $(COMMON_OBJ:.o=.d) $(DP_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

# BPF_PROG_TEST_RUN tests of the classifier.
$(BUILD)/tests/bpf/test_xdp: tests/bpf/test_xdp.c tests/lib/pktgen.c tests/lib/check.c $(BUILD)/xgro.skel.h $(BUILD)/libxgro.a $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) $(TESTKIT) -I$(BUILD) $< tests/lib/pktgen.c tests/lib/check.c \
		$(BUILD)/libxgro.a -lbpf -lelf -lz -o $@

# Traffic tool of the end-to-end tests.
$(BUILD)/tests/xgro-xfer: tests/e2e/xfer.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) $< -o $@

# The conformance table end to end (tests/e2e/test-conform.sh).
$(BUILD)/tests/xgro-conform: tests/e2e/conform.c tests/lib/conform.c tests/lib/pktgen.c $(BUILD)/libxgro.a $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) $(TESTKIT) $< tests/lib/conform.c tests/lib/pktgen.c $(BUILD)/libxgro.a -o $@

# NIC-like TCP traffic (tests/wire, docs/wire.md): XDP frames by
# BPF_PROG_RUN live frames, ACKs absorbed by XDP.
$(BUILD)/tests/wire.bpf.o: tests/wire/wire.bpf.c tests/wire/wire.h
	@mkdir -p $(@D)
	@echo "  BPF     $@"
	$(Q)$(CC) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tests/wire.skel.h: $(BUILD)/tests/wire.bpf.o
	@echo "  GEN     $@"
	$(Q)$(BPFTOOL) gen skeleton $< name wire > $@

$(BUILD)/tests/xgro-wire: tests/wire/wire.c tests/wire/wire.h $(BUILD)/tests/wire.skel.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) -Itests/wire -I$(BUILD)/tests $< -lbpf -lelf -lz -o $@

# Wire impairments for the relay of the end-to-end tests.
IMPAIR := drop:10000 dup:10000 corrupt:1000
$(BUILD)/tests/impair-%.o: tests/e2e/impair.bpf.c
	@mkdir -p $(@D)
	@echo "  BPF     $@"
	$(Q)$(CC) $(BPF_CFLAGS) -DIMPAIR_$(shell echo $* | tr a-z A-Z) \
		-DPPM=$(patsubst $*:%,%,$(filter $*:%,$(IMPAIR))) -c $< -o $@

# The DPDK comparison is built only where pkg-config finds libdpdk.
BENCH_SRC := bench/engine_bench.c tests/lib/pktgen.c
ifneq ($(DPDK_LIBS),)
BENCH_SRC += bench/dpdk_gro.c
BENCH_DEF := -DXGRO_HAVE_DPDK
endif
$(BUILD)/xgro-bench: $(BENCH_SRC) $(BUILD)/libxgro.a $(HDRS) bench/bench.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) $(TESTKIT) $(WHITEBOX) -Ibench $(BENCH_DEF) -c bench/engine_bench.c -o $(BUILD)/bench_main.o
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) $(TESTKIT) -c tests/lib/pktgen.c -o $(BUILD)/bench_pktgen.o
ifneq ($(DPDK_LIBS),)
	$(Q)$(CC) $(CFLAGS) -D_GNU_SOURCE -Wall -Wextra -Iinclude -Itests/lib -Ibench $(DPDK_CFLAGS) -c bench/dpdk_gro.c -o $(BUILD)/bench_dpdk.o
	$(Q)$(CC) $(BUILD)/bench_main.o $(BUILD)/bench_pktgen.o $(BUILD)/bench_dpdk.o $(BUILD)/libxgro.a $(DPDK_LIBS) -o $@
else
	$(Q)$(CC) $(BUILD)/bench_main.o $(BUILD)/bench_pktgen.o $(BUILD)/libxgro.a -o $@
endif

# The tree in the style of .clang-format (Debian's clang-format 14);
# `make format` puts it back in it.
FORMAT_SRC = $(shell find user bpf include tests bench -name '*.[ch]' | sort)
check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRC)

format:
	$(Q)clang-format -i $(FORMAT_SRC)

deps:
	$(Q)scripts/deps.sh

deps-test:
	$(Q)scripts/deps.sh --test

deps-bench:
	$(Q)scripts/deps.sh --bench

test: deps-test
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)tests/run.sh

.PHONY: test-build
test-build: $(BUILD)/libxgro.a $(UNIT_BIN) $(UNIT_ASAN) $(BUILD)/fuzz/fuzz_engine \
	$(BUILD)/xgro $(BUILD)/tests/bpf/test_xdp $(BUILD)/tests/xgro-xfer $(BUILD)/tests/xgro-wire \
	$(BUILD)/tests/xgro-conform \
	$(patsubst %,$(BUILD)/tests/impair-%.o,drop dup corrupt) $(BUILD)/xgro-bench

fuzz: $(BUILD)/fuzz/fuzz_engine
	@mkdir -p $(BUILD)/fuzz/corpus $(BUILD)/fuzz/artifacts
	$(BUILD)/fuzz/fuzz_engine -artifact_prefix=$(BUILD)/fuzz/artifacts/ \
		$(FUZZ_ARGS) $(BUILD)/fuzz/corpus tests/fuzz/corpus

bench-engine: deps-bench
	$(Q)$(MAKE) --no-print-directory $(BUILD)/xgro-bench
	$(BUILD)/xgro-bench $(BENCH_ARGS)

$(BUILD)/bench/cpumap.bpf.o: bench/cpumap.bpf.c
	@mkdir -p $(@D)
	@echo "  BPF     $@"
	$(Q)$(CC) $(BPF_CFLAGS) -c $< -o $@

# Instructions per frame of the engine, from callgrind (valgrind 3.19
# reads DWARF 4, not clang's default 5): xgro in each mode and DPDK's
# heavyweight mode on the same frames, side by side (scripts/profile-engine.sh).
# FLOWS=1,8 by default; MODE=trust adds the trust mode's top functions.
HOT_DEPS := bench/hotloop.c bench/hotloop.h bench/hint.h bench/bench.h $(ENGINE_SRC) tests/lib/pktgen.c $(HDRS)
$(BUILD)/profile/hotloop: $(HOT_DEPS) $(if $(DPDK_LIBS),bench/dpdk_gro.c)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) -O2 -gdwarf-4 $(BASE_CFLAGS) $(TESTKIT) $(WHITEBOX) -Ibench $(BENCH_DEF) -c bench/hotloop.c -o $(BUILD)/profile/hotloop.o
ifneq ($(DPDK_LIBS),)
	$(Q)$(CC) -O2 -gdwarf-4 -D_GNU_SOURCE -Wall -Wextra -Iinclude -Itests/lib -Ibench $(DPDK_CFLAGS) \
		-c bench/dpdk_gro.c -o $(BUILD)/profile/dpdk_gro.o
endif
	$(Q)$(CC) -O2 -gdwarf-4 $(BASE_CFLAGS) $(BUILD)/profile/hotloop.o $(if $(DPDK_LIBS),$(BUILD)/profile/dpdk_gro.o) \
		$(ENGINE_SRC) tests/lib/pktgen.c $(DPDK_LIBS) -o $@

profile-engine: $(BUILD)/profile/hotloop
	$(Q)scripts/profile-engine.sh $(BUILD)/profile $(or $(FLOWS),1,8) $(MODE)

# The end-to-end benchmark, then the engine's.
bench: deps-bench
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tests/xgro-xfer $(BUILD)/bench/cpumap.bpf.o
	scripts/bench-e2e.sh --plot $(BENCH_E2E_ARGS)
	$(BUILD)/xgro-bench $(BENCH_ARGS)

# Bulk TCP through xgro and without it, side by side.
demo: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tests/xgro-xfer
	scripts/bench-e2e.sh --demo

# Installed layout (PREFIX, DESTDIR as usual; SYSCONFDIR for the
# service's settings, UNITDIR for systemd's units). The unit and the man
# page are generated: the paths filled into the unit, the man page from
# the CLI's own help (scripts/gen-man.sh).
SYSCONFDIR ?= /etc
SBINDIR ?= $(PREFIX)/sbin
UNITDIR ?= $(PREFIX)/lib/systemd/system
MAN8DIR ?= $(PREFIX)/share/man/man8
COMPLDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALLED := $(PREFIX)/lib/libxgro.a $(PREFIX)/include/xgro/xgro.h \
	$(PREFIX)/include/xgro/xgro_engine.h $(SBINDIR)/xgro $(UNITDIR)/xgro@.service \
	$(MAN8DIR)/xgro.8 $(COMPLDIR)/xgro $(SYSCONFDIR)/xgro/xgro.conf.example

$(BUILD)/xgro.8: $(BUILD)/xgro scripts/gen-man.sh
	@echo "  GEN     $@"
	$(Q)scripts/gen-man.sh $(BUILD)/xgro > $@

# depends on the paths it names: rebuilt by every install
.PHONY: $(BUILD)/xgro@.service
$(BUILD)/xgro@.service: scripts/systemd/xgro@.service.in
	@mkdir -p $(@D)
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< > $@

.PHONY: uninstall
install: all $(BUILD)/xgro.8 $(BUILD)/xgro@.service
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/xgro
	install -m 644 $(BUILD)/libxgro.a $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/xgro.h include/xgro_engine.h $(DESTDIR)$(PREFIX)/include/xgro/
	install -D -m 755 $(BUILD)/xgro $(DESTDIR)$(SBINDIR)/xgro
	install -D -m 644 $(BUILD)/xgro@.service $(DESTDIR)$(UNITDIR)/xgro@.service
	install -D -m 644 $(BUILD)/xgro.8 $(DESTDIR)$(MAN8DIR)/xgro.8
	install -D -m 644 scripts/xgro.bash-completion $(DESTDIR)$(COMPLDIR)/xgro
	install -D -m 644 scripts/systemd/xgro.conf.example \
		$(DESTDIR)$(SYSCONFDIR)/xgro/xgro.conf.example

# removes what install put there, and the directories of ours it made
# (never a shared one: lib/, sbin/, man8/ stay)
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(PREFIX)/include/xgro $(DESTDIR)$(SYSCONFDIR)/xgro 2>/dev/null

clean:
	rm -rf $(BUILD)
