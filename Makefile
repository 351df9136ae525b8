# A thin layer over CMake (as neovim does it): `make run` and `make test` do all the set-up.
#   make run     check/install Debian packages, configure $(BUILD) once, build supd, supctl and
#                the demo's amsa (not the tests), run the demo
#   make test    the same set-up, then the whole test suite under ctest
#   make fuzz    libFuzzer on each target in fuzz/ (protocol, round_trip, config, signal, parsers,
#                line_splitter, control_server; clang, build-fuzz/), FUZZ_SECONDS per target (600),
#                FUZZ_JOBS targets at a time (one per CPU); make fuzz-smoke: 30 s each, as CI runs it
# BUILD=dir picks another build tree; CMAKE_FLAGS apply when that tree is first configured,
# e.g. make test BUILD=build-asan CMAKE_FLAGS=-DSUPD_SANITIZE=ON
BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)
FUZZ_BUILD ?= build-fuzz

.PHONY: all deps configure build run test bench clean fuzz fuzz-smoke

all: build

# Every run checks the packages (a fraction of a second when nothing is missing).
deps:
	@bash scripts/deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Only what the demo runs: a fresh machine need not build the tests first.
run: configure
	cmake --build $(BUILD) -j $(JOBS) --target supd supctl amsa
	@bash scripts/run-demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure --no-tests=error -j $(JOBS)

# make bench [QUICK=1] [PEERS=supervisord,runit,s6] [SCALE=1|N]: supd against its baselines (bench/README.md),
# SCALE adds the rows with 10,000 (or N) jobs;
# built Release in its own tree; the table is printed and written under bench/results/.
BENCH_BUILD ?= build-bench
PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
bench: deps
	@bash bench/deps.sh "$(PEERS)"
	@test -f $(BENCH_BUILD)/build.ninja || cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BENCH_BUILD) -j $(JOBS) --target supd supctl benchjob gatewriter pipecat spawnloop
	$(PYTHON) bench/run.py --build-dir $(BENCH_BUILD) $(if $(filter-out 0,$(QUICK)),--quick) \
	  $(if $(PEERS),--peers $(PEERS)) $(if $(filter-out 0,$(SCALE)),--scale $(if $(filter 1,$(SCALE)),10000,$(SCALE)))

# Its own tree, clang + libFuzzer + ASan + UBSan; scripts/deps.sh --fuzz installs clang.
fuzz:
	JOBS=$(JOBS) bash scripts/fuzz.sh $(FUZZ_BUILD) $(or $(FUZZ_SECONDS),600)

# 30 s: CI's whole budget is 60 min and the smoke (with its clang build) must stay under ~4.
fuzz-smoke:
	JOBS=$(JOBS) bash scripts/fuzz.sh $(FUZZ_BUILD) $(or $(FUZZ_SECONDS),30)

clean:
	rm -rf $(BUILD)
