# ballot — build, run and test. `make help` lists the targets.

BUILD      ?= build
CC         := mpicc
PKG_CONFIG ?= pkg-config
NP         ?= 3
CONFIG     ?= configs/raft.ini
RUN_ARGS   ?= -o experiment.duration_s=7
VERSION    := 0.1.0
GIT_REV    := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)

# Parallel HDF5: Debian's hdf5-openmpi, else whatever `hdf5` pkg-config finds
# (a cluster's module), else HDF5_CFLAGS/HDF5_LIBS from the environment.
HDF5_PKG   := $(shell $(PKG_CONFIG) --exists hdf5-openmpi 2>/dev/null && echo hdf5-openmpi || \
                ($(PKG_CONFIG) --exists hdf5 2>/dev/null && echo hdf5))
HDF5_CFLAGS ?= $(if $(HDF5_PKG),$(shell $(PKG_CONFIG) --cflags $(HDF5_PKG)))
HDF5_LIBS   ?= $(if $(HDF5_PKG),$(shell $(PKG_CONFIG) --libs $(HDF5_PKG)),-lhdf5)
DEP_CFLAGS := $(HDF5_CFLAGS) $(shell $(PKG_CONFIG) --cflags hwloc inih 2>/dev/null)
DEP_LIBS   := $(HDF5_LIBS) $(shell $(PKG_CONFIG) --libs hwloc inih 2>/dev/null || echo -lhwloc -linih) -lm
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

CFLAGS     ?= -O2 -g
CFLAGS     += -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CPPFLAGS   += -Isrc -I. $(DEP_CFLAGS) -MMD -MP

LIB_SRCS   := $(filter-out src/main.c,$(wildcard src/*/*.c kernels/*.c kernels/*/*.c))
LIB_OBJS   := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB        := $(BUILD)/libballot.a
BIN        := $(BUILD)/ballot
EXTRA_OBJS ?=
# Tests run TEST_JOBS at a time (tools/run-tests.sh; longest first).
TEST_JOBS  ?= 2
UNIT_TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c tests/sim/test_*.c))

.PHONY: all run compare compare-only deps-plot test test-only unit-test mpi-test sanitize bench \
        bench-check bench-serial deps deps-test format format-check clean help

all: $(BIN)

help:
	@echo "make run        install missing packages, build, run $(CONFIG) on $(NP) ranks (Raft, ~10 s)"
	@echo "make compare    every replication kernel, 2 loads x 3 repetitions: grouped table, plots"
	@echo "make test       build and run every test (unit, simulation, MPI end to end)"
	@echo "make sanitize   the same tests under AddressSanitizer + UBSan (build-asan/)"
	@echo "make bench      run configs/bench/*.ini into results/bench/ and report them"
	@echo "make deps       install missing Debian packages (or print what to install)"
	@echo "make deps-test  the same, plus what the tests need (h5py, matplotlib, Slurm, munge)"
	@echo "make format     apply .clang-format"

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The version stamp is checked every time so the git revision is current,
# but rewritten (and the library and every test relinked) only when the
# version or revision changed.
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(VERSION) $(GIT_REV)' | cmp -s - $@ 2>/dev/null || echo '$(VERSION) $(GIT_REV)' >$@
$(BUILD)/src/common/version.o: src/common/version.c $(BUILD)/version.stamp
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -DBL_VERSION='"$(VERSION)"' -DBL_GIT_REV='"$(GIT_REV)"' -c $< -o $@
FORCE:

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/src/main.o $(LIB) $(EXTRA_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

$(BUILD)/tests/%: tests/%.c $(LIB) $(EXTRA_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -Itests -o $@ $< $(LIB) $(EXTRA_OBJS) $(DEP_LIBS) $(CMOCKA_LIBS)

deps:
	@tools/install-deps.sh

deps-test:
	@tools/install-deps.sh --test

deps-plot:
	@PLOT=1 tools/install-deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@rc=0; tools/mpirun.sh $(NP) $(BIN) run $(CONFIG) $(RUN_ARGS) || rc=$$?; \
	echo "# next: make compare                          every replication kernel side by side, 3 runs each"; \
	echo "#       $(BIN) report results/             one row per run (--csv for scripts)"; \
	echo "#       $(BIN) info results/raft-*.h5      a run's provenance, config and summary"; \
	echo "#       tools/ballot-plot results/ -o plots/    latency percentiles, CDFs, time series"; \
	echo "#       $(BIN) info                        kernels, workloads, every option"; \
	exit $$rc

# Every replication kernel that replicates (ballot info lists them; `none`
# keeps one copy and cannot run with 3 replicas) on configs/compare.ini.
ifndef COMPARE_DIR
COMPARE_DIR := results/compare-$(shell date -u +%Y%m%d-%H%M%S)
endif
# Installs what is missing (plots included) first, then builds in a new make
# so that the pkg-config flags above are read after the installation.
compare: deps-plot
	@$(MAKE) --no-print-directory compare-only COMPARE_DIR=$(COMPARE_DIR)

compare-only: all
	@kernels=$$($(BIN) info | awk '/^# kernels/ { k = 1; next } /^#/ { k = 0 } \
	    k && $$3 == "replication" && $$1 != "none" { printf "%s%s", sep, $$1; sep = "," }'); \
	[ -n "$$kernels" ] || { echo "make compare: no replicating kernel in ballot info" >&2; exit 1; }; \
	echo "# make compare: kernels $$kernels, clients.outstanding 1 and 8, 3 repetitions -> $(COMPARE_DIR)"; \
	rc=0; tools/mpirun.sh 3 $(BIN) sweep configs/compare.ini --vary experiment.kernel=$$kernels \
	    --vary clients.outstanding=1,8 --repeat 3 --quiet --out $(COMPARE_DIR) || rc=$$?; \
	[ -f $(COMPARE_DIR)/index.csv ] || exit $$rc; \
	echo; $(BIN) report --compare experiment.kernel $(COMPARE_DIR); echo; \
	/usr/bin/python3 tools/ballot-plot $(COMPARE_DIR) -o $(COMPARE_DIR)/plots || rc=$$?; \
	exit $$rc

unit-test: $(BIN) $(UNIT_TESTS)
	@BUILD=$(BUILD) tools/run-tests.sh -j $(TEST_JOBS) unit $(UNIT_TESTS)

mpi-test: $(BIN)
	@BUILD=$(BUILD) tools/run-tests.sh -j $(TEST_JOBS) mpi $(wildcard tests/mpi/test_*.sh)

# `make test` installs what is missing first, then builds in a new make so
# that the pkg-config flags above are read after the installation.
test: deps-test
	@$(MAKE) --no-print-directory test-only

test-only: $(BIN) $(UNIT_TESTS)
	@BUILD=$(BUILD) tools/run-tests.sh -j $(TEST_JOBS) all $(UNIT_TESTS) $(wildcard tests/mpi/test_*.sh)

# Under the sanitizers the simulation tests run BL_SIM_SEEDS (default 40)
# seeds per test instead of their thousands: the same code paths, at a cost
# that stays bearable (ASan is ~3-5x slower). Set BL_SIM_SEEDS to run more.
sanitize:
	@BL_SIM_SEEDS=$${BL_SIM_SEEDS:-40} $(MAKE) --no-print-directory BUILD=build-asan \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined -rdynamic" EXTRA_OBJS=build-asan/tests/nodlclose.o test

bench: $(BIN)
	@BUILD=$(BUILD) tools/bench.sh

# Checker benchmark: time to check linearizable histories of 10^4..10^6 ops.
$(BUILD)/bench-check: tools/bench-check.c $(LIB)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB) $(DEP_LIBS)

bench-check: $(BUILD)/bench-check
	$(BUILD)/bench-check 1000000

# Serializability checker benchmark: valid list-append histories of 10^4 and 10^5 transactions,
# checked in memory and through a result file (`ballot check` on /txn/history).
$(BUILD)/bench-serial: tools/bench-serial.c tests/unit/txn_model.h $(LIB)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit -o $@ $< $(LIB) $(DEP_LIBS)

bench-serial: $(BUILD)/bench-serial
	$(BUILD)/bench-serial 100000

format:
	clang-format -i $(wildcard src/*.c src/*/*.c src/*/*.h kernels/*.h kernels/*.c kernels/*/*.c kernels/*/*.h tests/*/*.c tests/*/*.h tools/*.c)

format-check:
	clang-format --dry-run -Werror $(wildcard src/*.c src/*/*.c src/*/*.h kernels/*.h kernels/*.c kernels/*/*.c kernels/*/*.h tests/*/*.c tests/*/*.h tools/*.c)

clean:
	rm -rf build build-asan

-include $(LIB_OBJS:.o=.d) $(BUILD)/src/main.d
