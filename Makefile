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
XCFLAGS := -std=c11 -D_GNU_SOURCE -fno-strict-aliasing $(WARN) -Iinclude -Iuser/engine -Itests/lib
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

ENGINE_SRC := $(wildcard user/engine/*.c)
TESTLIB_SRC := tests/lib/pktgen.c tests/lib/record.c tests/lib/check.c
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
UNIT_ASAN := $(patsubst tests/unit/%.c,$(BUILD)/tests/asan/%,$(UNIT_SRC))
HDRS := $(wildcard include/*.h user/engine/*.h tests/lib/*.h)

DPDK_CFLAGS := $(shell pkg-config --cflags libdpdk 2>/dev/null)
DPDK_LIBS := $(shell pkg-config --libs libdpdk 2>/dev/null)

.DELETE_ON_ERROR:
.PHONY: all test demo bench bench-engine bench-e2e profile-engine fuzz install clean deps deps-bench

all: $(BUILD)/libxgro.a $(BUILD)/xgro $(BUILD)/xgro-bench

$(BUILD)/engine/%.o: user/engine/%.c $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -c $< -o $@

$(BUILD)/asan/engine/%.o: user/engine/%.c $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) -O1 -g $(SAN) $(XCFLAGS) -c $< -o $@

$(BUILD)/libxgro.a: $(patsubst user/engine/%.c,$(BUILD)/engine/%.o,$(ENGINE_SRC))
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

$(BUILD)/libxgro-asan.a: $(patsubst user/engine/%.c,$(BUILD)/asan/engine/%.o,$(ENGINE_SRC))
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

$(BUILD)/tests/%: tests/unit/%.c $(TESTLIB_SRC) $(BUILD)/libxgro.a $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) $< $(TESTLIB_SRC) $(BUILD)/libxgro.a -o $@

$(BUILD)/tests/asan/%: tests/unit/%.c $(TESTLIB_SRC) $(BUILD)/libxgro-asan.a $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@ (ASan+UBSan)"
	$(Q)$(CC) -O1 -g $(SAN) $(XCFLAGS) $< $(TESTLIB_SRC) $(BUILD)/libxgro-asan.a -o $@

$(BUILD)/fuzz/fuzz_engine: tests/fuzz/fuzz_engine.c $(ENGINE_SRC) $(TESTLIB_SRC) $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@ (libFuzzer, ASan+UBSan)"
	$(Q)$(CC) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-DXGRO_PARSE_CROSSCHECK $(XCFLAGS) $< $(ENGINE_SRC) tests/lib/pktgen.c tests/lib/record.c -o $@

# The XDP program and its skeleton.
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -I$(ARCH_INC) -Iinclude $(WARN)
$(BUILD)/xgro.bpf.o: bpf/xgro.bpf.c include/xgro.h
	@mkdir -p $(@D)
	@echo "  BPF     $@"
	$(Q)$(CC) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/xgro.skel.h: $(BUILD)/xgro.bpf.o
	@echo "  GEN     $@"
	$(Q)$(BPFTOOL) gen skeleton $< name xgro > $@

# The loader CLI with the data path.
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
CLI_SRC := $(wildcard user/cli/*.c) $(wildcard user/datapath/*.c)
CLI_HDRS := $(wildcard user/cli/*.h user/datapath/*.h)
$(BUILD)/xgro: $(CLI_SRC) $(CLI_HDRS) $(HDRS) $(BUILD)/xgro.skel.h $(BUILD)/libxgro.a
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -pthread -Iuser/cli -Iuser/datapath -I$(BUILD) \
		$(CLI_SRC) $(BUILD)/libxgro.a -lxdp -lbpf -lelf -lz -o $@

# BPF_PROG_TEST_RUN tests of the classifier.
$(BUILD)/tests/bpf/test_xdp: tests/bpf/test_xdp.c tests/lib/pktgen.c tests/lib/check.c $(BUILD)/xgro.skel.h $(BUILD)/libxgro.a $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -I$(BUILD) $< tests/lib/pktgen.c tests/lib/check.c \
		$(BUILD)/libxgro.a -lbpf -lelf -lz -o $@

# Traffic tool of the end-to-end tests.
$(BUILD)/tests/xgro-xfer: tests/e2e/xfer.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) $< -o $@

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
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -Itests/wire -I$(BUILD)/tests $< -lbpf -lelf -lz -o $@

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
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -Ibench $(BENCH_DEF) -c bench/engine_bench.c -o $(BUILD)/bench_main.o
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -c tests/lib/pktgen.c -o $(BUILD)/bench_pktgen.o
ifneq ($(DPDK_LIBS),)
	$(Q)$(CC) $(CFLAGS) -D_GNU_SOURCE -Wall -Wextra -Iinclude -Itests/lib -Ibench $(DPDK_CFLAGS) -c bench/dpdk_gro.c -o $(BUILD)/bench_dpdk.o
	$(Q)$(CC) $(BUILD)/bench_main.o $(BUILD)/bench_pktgen.o $(BUILD)/bench_dpdk.o $(BUILD)/libxgro.a $(DPDK_LIBS) -o $@
else
	$(Q)$(CC) $(BUILD)/bench_main.o $(BUILD)/bench_pktgen.o $(BUILD)/libxgro.a -o $@
endif

deps:
	$(Q)scripts/deps.sh

deps-bench:
	$(Q)scripts/deps.sh --bench

test: deps
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)tests/run.sh

.PHONY: test-build
test-build: $(BUILD)/libxgro.a $(UNIT_BIN) $(UNIT_ASAN) $(BUILD)/fuzz/fuzz_engine \
	$(BUILD)/xgro $(BUILD)/tests/bpf/test_xdp $(BUILD)/tests/xgro-xfer $(BUILD)/tests/xgro-wire \
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
	$(Q)$(CC) -O2 -gdwarf-4 $(XCFLAGS) -Ibench $(BENCH_DEF) -c bench/hotloop.c -o $(BUILD)/profile/hotloop.o
ifneq ($(DPDK_LIBS),)
	$(Q)$(CC) -O2 -gdwarf-4 -D_GNU_SOURCE -Wall -Wextra -Iinclude -Itests/lib -Ibench $(DPDK_CFLAGS) \
		-c bench/dpdk_gro.c -o $(BUILD)/profile/dpdk_gro.o
endif
	$(Q)$(CC) -O2 -gdwarf-4 $(XCFLAGS) $(BUILD)/profile/hotloop.o $(if $(DPDK_LIBS),$(BUILD)/profile/dpdk_gro.o) \
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

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/xgro
	install -m 644 $(BUILD)/libxgro.a $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/xgro.h include/xgro_engine.h $(DESTDIR)$(PREFIX)/include/xgro/
	install -d $(DESTDIR)$(PREFIX)/sbin
	install -m 755 $(BUILD)/xgro $(DESTDIR)$(PREFIX)/sbin/

clean:
	rm -rf $(BUILD)
