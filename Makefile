# A thin layer over CMake (as neovim does it): `make run` and `make test` do all the set-up.
#   make run     check/install Debian packages, configure $(BUILD) once, build, run the demo
#   make test    the same set-up, then the whole test suite under ctest
# BUILD=dir picks another build tree; CMAKE_FLAGS apply when that tree is first configured,
# e.g. make test BUILD=build-asan CMAKE_FLAGS=-DSUPD_SANITIZE=ON
BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)

.PHONY: all deps configure build run test clean

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

clean:
	rm -rf $(BUILD)
