# SPDX-License-Identifier: MIT
# `make` builds everything into build/ (CLI at build/bin/wisp); `make test` runs every test.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo

.PHONY: all test deps demo clean
all: $(BUILD)/build.ninja
	cmake --build $(BUILD)

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

deps:
	./scripts/setup.sh --deps-only

# The README's test command: install what is missing, build, run every ctest test.
test: deps
	$(MAKE) all
	cd $(BUILD) && ctest --output-on-failure -j2 $(CTEST_ARGS)

demo: deps
	$(MAKE) all
	./scripts/demo.sh

clean:
	rm -rf $(BUILD)
