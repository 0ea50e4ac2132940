# The README's two commands. Everything real is in CMakeLists.txt.
BUILD ?= build
JOBS  ?= $(shell nproc)
export OMPI_ALLOW_RUN_AS_ROOT=1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

.PHONY: all deps build demo check clean
all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

# Generate a small Darcy set, train a model on it, evaluate, print the error.
demo: build
	bash examples/demo.sh $(BUILD)/neop

check: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD)
