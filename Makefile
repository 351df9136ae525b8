# A thin layer over CMake (as neovim does it): `make run` and `make test` do all the set-up.
#   make run     check/install Debian packages, configure $(BUILD) once, build, run the demo
#   make test    the same set-up, then the whole test suite under ctest
# BUILD=dir picks another build tree; CMAKE_FLAGS apply when that tree is first configured,
# e.g. make test BUILD=build-asan CMAKE_FLAGS=-DSUPD_SANITIZE=ON
BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)

.PHONY: all deps configure build run test bench clean

all: build

# Every run checks the packages (a fraction of a second when nothing is missing).
deps:
	@bash scripts/deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@bash scripts/run-demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure --no-tests=error -j $(JOBS)

# make bench [QUICK=1] [PEERS=supervisord,runit,s6]: supd against its baselines (bench/README.md),
# built Release in its own tree; the table is printed and written under bench/results/.
BENCH_BUILD ?= build-bench
PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
bench: deps
	@bash bench/deps.sh "$(PEERS)"
	@test -f $(BENCH_BUILD)/build.ninja || cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BENCH_BUILD) -j $(JOBS) --target supd supctl benchjob gatewriter
	$(PYTHON) bench/run.py --build-dir $(BENCH_BUILD) $(if $(filter-out 0,$(QUICK)),--quick) \
	  $(if $(PEERS),--peers $(PEERS))

clean:
	rm -rf $(BUILD)
