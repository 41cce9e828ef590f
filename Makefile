# headroom: one plain Makefile.
#   make            build bin/headroom
#   make demo       install missing Debian packages, build, plan the buffers of
#                   scenarios/demo-plan.yaml and run scenarios/demo.yaml, with
#                   the charts and report of each
#   make notebooks  the demo, then execute notebooks/results.ipynb headless
#   make test-notebook  execute the notebook on fresh databases, failing on a
#                   failed cell (CI runs it; installs Jupyter, pandas, matplotlib)
#   make test       install missing Debian packages, build, run every test
#   make bench      the benchmarks of BENCHMARKS.md (and the bare M/M/8 loop
#                   they are measured against, build/tools/mmc_bare)
#   make install PREFIX=/usr/local
#   SAN=1           build with address and undefined-behaviour sanitizers
#   MPI=1           build with OpenMPI (mpicc; installed if missing) so that
#                   `mpirun -np N bin/headroom plan ...` spreads a plan over ranks
#   O=0             build without optimisation (debugging)

PREFIX  ?= /usr/local
O       ?= 2
BUILD   ?= build
VERSION := 0.1.0

CC      ?= cc
PKGS    := gsl sqlite3 libfyaml
WARN    := -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion \
           -Wmissing-prototypes -Wstrict-prototypes -Wpointer-arith \
           -Wcast-qual -Wformat=2 -Wundef -Wvla -Wnull-dereference
CFLAGS  ?= -O$(O) -g
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
           -DHAVE_INLINE -DGSL_RANGE_CHECK_OFF -DHEADROOM_VERSION='"$(VERSION)"' \
           $(WARN) -MMD -MP -Isim -Imodels -Itests
LDLIBS  := -lm -lpthread

# Known leaks inside libraries (see the file) for SAN=1 runs.
export LSAN_OPTIONS := suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0

ifeq ($(SAN),1)
  CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
  BUILD   := $(BUILD)-san
  SANSFX  := -san
endif

# MPI=1: the same program built by mpicc with HEADROOM_MPI (sim/plan.c);
# outside mpirun it behaves as the plain one. Its objects live apart, and
# bin/headroom is relinked whenever the flavour it was linked as changes.
ifeq ($(MPI),1)
  CC      := mpicc
  CFLAGS  += -DHEADROOM_MPI
  BUILD   := $(BUILD)-mpi
  FLAVOR  := mpi
else
  FLAVOR  := plain
endif

# pkg-config is asked only once the packages are there (make deps installs them).
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CRIT_LIBS  = $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

LIB_SRC  := $(filter-out sim/main.c,$(wildcard sim/*.c models/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/sim/main.o
TEST_SRC := $(wildcard tests/test_*.c)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
HARNESS  := $(BUILD)/tests/harness.o
LIB      := $(BUILD)/libheadroom.a
BIN      := bin/headroom$(SANSFX)
TESTBIN  := $(BUILD)/tests/unit
BIN_FLAVOR := bin/.$(notdir $(BIN)).flavor
MPIBIN   := bin/headroom-mpi$(SANSFX)

.PHONY: all deps demo notebooks test-notebook test unit one bench install clean mpi-deps FORCE
all: $(BIN)

deps:
	@sh tools/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Rewritten only when the flavour changes, so a switch relinks and nothing else does.
$(BIN_FLAVOR): FORCE
	@mkdir -p bin
	@echo $(FLAVOR) | cmp -s - $@ || echo $(FLAVOR) > $@

$(BIN): $(MAIN_OBJ) $(LIB) $(BIN_FLAVOR)
	$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(LIB) $(PKG_LIBS) $(LDLIBS)

ifeq ($(MPI),1)
$(LIB_OBJ) $(MAIN_OBJ) $(TEST_OBJ) $(HARNESS): | mpi-deps
endif
mpi-deps:
	@command -v mpicc >/dev/null 2>&1 || sh tools/deps.sh mpi

$(TESTBIN): $(TEST_OBJ) $(HARNESS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CRIT_LIBS) $(LDLIBS)

# The product's question first: a buffer plan for payment and order on
# Karpenter (scenarios/demo-plan.yaml, about a minute on 2 cores), its
# charts and report; then one run of scenarios/demo.yaml in full.
demo: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p results
	@rm -f results/demo-plan.db results/demo-plan.db-wal results/demo-plan.db-shm
	./$(BIN) plan scenarios/demo-plan.yaml --db results/demo-plan.db
	@echo "charts of the plan:"
	@./$(BIN) plot results/demo-plan.db --latest-plan --out results/charts/demo-plan
	@echo "report of the plan: $$(./$(BIN) report results/demo-plan.db --latest-plan --out results/demo-plan.html)"
	./$(BIN) run scenarios/demo.yaml --db results/demo.db
	@echo "charts of the run:"
	@./$(BIN) plot results/demo.db --latest --out results/charts/demo
	@echo "report: $$(./$(BIN) report results/demo.db --latest --out results/demo.html)"

# The notebook over the results (notebooks/results.ipynb), executed headless
# against the demo's run and plan databases. Its Debian packages (Jupyter,
# pandas, matplotlib: about 430 MB) are a set of their own, so `make test`
# does not wait for them. Debian's python3 (not the first one on PATH) is
# the one that sees them.
notebooks: demo
	@sh tools/deps.sh notebooks
	HEADROOM_DB=$(CURDIR)/results/demo.db HEADROOM_PLAN_DB=$(CURDIR)/results/demo-plan.db \
	PYDEVD_DISABLE_FILE_VALIDATION=1 /usr/bin/python3 -Xfrozen_modules=off -m nbconvert --to notebook --execute \
	    --ExecutePreprocessor.timeout=600 --output-dir results/charts --output results.ipynb notebooks/results.ipynb
	@echo "notebook: results/charts/results.ipynb (executed; the source is notebooks/results.ipynb)"

# The notebook under test (tests/notebook.sh): executed on a run and a plan
# database made fresh in a temporary folder; a cell that fails fails the
# target, with the cell and its traceback in the log. .ci/run runs it.
test-notebook: deps
	@sh tools/deps.sh notebooks
	@$(MAKE) --no-print-directory all
	@sh tests/notebook.sh $(BIN)

# The plan tests run a plan on 2 MPI ranks too: OpenMPI and an MPI build
# (bin/headroom-mpi) are part of the set-up, never skipped.
test: deps
	@sh tools/deps.sh mpi
	@$(MAKE) --no-print-directory all $(TESTBIN)
	@$(MAKE) --no-print-directory MPI=1 BIN=$(MPIBIN) $(MPIBIN)
	@HEADROOM_MPI_BIN=$(MPIBIN) sh tests/run.sh $(TESTBIN) $(BIN)

# Unit tests only (no CLI tests), for a quick loop.
unit: $(TESTBIN)
	$(TESTBIN)

# One test file on its own: make one T=evq runs tests/test_evq.c.
one: $(BUILD)/tests/test_$(T).o $(HARNESS) $(LIB)
	$(CC) $(LDFLAGS) -o $(BUILD)/tests/one_$(T) $^ $(PKG_LIBS) $(CRIT_LIBS) $(LDLIBS)
	$(BUILD)/tests/one_$(T) $(ARGS)

# The bare M/M/8 loop mm8 is measured against (tools/bench/mmc_bare.c, vendored
# unchanged from the project's design card; provenance in its header), built
# with the project's flags.
BARE := $(BUILD)/tools/mmc_bare
$(BARE): tools/bench/mmc_bare.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lm

bench: deps
	@$(MAKE) --no-print-directory all $(BARE)
	@HEADROOM_BARE=$(BARE) sh tools/bench.sh $(BIN)

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/headroom

clean:
	rm -rf build build-san build-mpi build-san-mpi build-fuzz bin

# Fuzzing (libFuzzer with clang, ASan and UBSan): make fuzz FUZZ_TIME=600
# runs each target that long; the working corpus grows in build-fuzz/corpus,
# crashes land in build-fuzz/artifacts. Seeds: tests/fuzz/corpus.
FUZZ_TIME ?= 60
FUZZ_TARGETS := scn trace
FUZZ_CFLAGS = -O1 -g -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DHAVE_INLINE -DGSL_RANGE_CHECK_OFF \
              -DHEADROOM_VERSION='"$(VERSION)"' -Isim -Imodels -fsanitize=fuzzer-no-link,address,undefined \
              -fno-sanitize-recover=undefined $(PKG_CFLAGS)
FUZZ_OBJ := $(LIB_SRC:%.c=build-fuzz/%.o)

build-fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c $< -o $@

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS) $(LDLIBS)

.PHONY: fuzz fuzz-build memcheck
# valgrind's memcheck over end-to-end runs (tools/memcheck.sh).
memcheck: deps
	@$(MAKE) --no-print-directory all
	@sh tools/memcheck.sh $(BIN)

fuzz-build:
	@sh tools/deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=build-fuzz/fuzz_%)

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t build-fuzz/artifacts; \
	  echo "fuzz $$t for $(FUZZ_TIME) s"; \
	  build-fuzz/fuzz_$$t build-fuzz/corpus/$$t tests/fuzz/corpus/$$t -max_total_time=$(FUZZ_TIME) \
	    -max_len=8192 -timeout=20 -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/$$t- \
	    $$( [ -f tests/fuzz/$$t.dict ] && echo -dict=tests/fuzz/$$t.dict ) 2>&1 | \
	    grep -E '^(stat::|#[0-9]+ +DONE|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' || true; \
	done

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(HARNESS:.o=.d)
