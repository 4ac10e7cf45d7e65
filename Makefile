# The two commands: `make run` (the system on the embedded local region) and `make test`
# (every test). Both install what is missing, configure and build first.
BUILD := build/default
STEADY_FLAGS ?=

.PHONY: all deps configure build run test test-unit bench clean format

all: build

deps:
	@scripts/install-deps

configure: deps
	@cmake --preset default >/dev/null

build: configure
	@cmake --build --preset default

run: build
	$(BUILD)/steady up $(STEADY_FLAGS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j2 --timeout 900

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j2 -L unit

bench: build
	bench/run

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build
