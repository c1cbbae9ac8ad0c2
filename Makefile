# truceline - top-level commands.  Everything goes through CMake presets
# (CMakePresets.json); this file only strings them together.
#
#   make demo    install what is missing, build, run the demo
#   make check   install what is missing, build and run every test (dev, then ASan+UBSan)
#   make bench   release build, print the benchmark figures
#   make fuzz    libFuzzer (clang) on every parser for FUZZ_SECONDS each
#   make web     the web map only (web/dist; every CMake build makes it too)

JOBS ?= 2
FUZZ_SECONDS ?= 60
DEMO_DIR ?= build/demo

.PHONY: all deps build check demo bench fuzz format clean web

all: build

deps:
	@scripts/deps

web: deps
	scripts/web.sh

build: deps
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)

check: deps
	scripts/checksrc.sh
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)
	ctest --preset dev -j $(JOBS)
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

demo: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)
	scripts/demo.sh build/release/truceline $(DEMO_DIR)

bench: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)
	scripts/bench.sh build/release

fuzz: deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS)
	scripts/fuzz.sh build/fuzz $(FUZZ_SECONDS)

format:
	clang-format -i include/truceline/*.h src/*/*.c src/*/*.h tools/*.c tools/*.h

clean:
	rm -rf build
