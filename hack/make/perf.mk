# Performance and reliability: handler benchmarks against the decoding floor, load on the
# real binary, create latency through a real API server, fuzzing, and the reliability tests
# (certificate rotation and shutdown under load, request limits). Numbers: docs/performance.md.
.PHONY: bench fuzz load e2e-bench reliability

BENCH_COUNT ?= 5
BENCH_TIME ?= 1s
BENCH_PATTERN ?= BenchmarkHandlers
BENCH_GOAL ?= 1.5
BENCH_OUT := $(CACHE)/bench.txt

# Every benchmark runs its handler and the baseline in alternating blocks and reports the
# ratio; the summary is the median ratio of BENCH_COUNT runs (benchstat $(BENCH_OUT) gives
# the spread of every column).
bench: ## handler benchmarks vs. the AdmissionReview decoding floor, with the median ratio per case
	@mkdir -p $(CACHE)
	$(GO) test -run '^$$' -bench '$(BENCH_PATTERN)' -benchmem -benchtime $(BENCH_TIME) -count $(BENCH_COUNT) ./pkg/server/ | tee $(BENCH_OUT)
	@echo; echo "median handler/baseline ratio over $(BENCH_COUNT) runs (goal <= $(BENCH_GOAL)):"
	@awk '/^Benchmark/ { for (i = 2; i < NF; i++) if ($$(i+1) == "ratio") { name = $$1; sub(/-[0-9]+$$/, "", name); r[name] = r[name] " " $$i; if (!(name in seen)) { seen[name] = 1; order[++n] = name } } } \
		END { for (k = 1; k <= n; k++) { m = split(substr(r[order[k]], 2), v, " "); \
			for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t } \
			printf "  %-55s %s\n", order[k], v[int((m + 1) / 2)] } }' $(BENCH_OUT)

# Each target fuzzes for FUZZ_TIME from its committed corpus (testdata/fuzz) and seeds. New
# interesting inputs are minimised for a few executions only: in a short run, minimising
# a large AdmissionReview would take the whole budget. A failure leaves its input in
# testdata/fuzz/<target>/ to commit as a regression case.
FUZZ_TIME ?= 10s
FUZZ_TARGETS := ./internal/jsonprune:FuzzDecodePrunedEqualsFull ./pkg/validate:FuzzRules ./pkg/server:FuzzServeHTTP ./pkg/domain:FuzzApply

fuzz: ## run every fuzz target for FUZZ_TIME (10s) each
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; echo "fuzz: $$name ($$pkg, $(FUZZ_TIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZ_TIME) -fuzzminimizetime 50x $$pkg; \
	done

# The generator and the server share the machine: pinned to different CPUs they do not
# fight over them. LOAD_PIN= runs both unpinned; LOAD_FLAGS are passed to the generator.
LOAD_PIN ?= 1
LOAD_FLAGS ?= -concurrency 16 -duration 10s -repeat 5
LOAD_SERVER_CPUS := $(if $(LOAD_PIN),0,)
LOAD_CLIENT := $(if $(LOAD_PIN),taskset -c 1,)

load: ## throughput, latency and RSS of the real binary under TLS load (LOAD_PIN=1: server on CPU 0, generator on CPU 1)
	@assets=$$(./hack/envtest-assets.sh) && $(GO) build -o $(BIN)/loadgen ./test/load/cmd/loadgen && \
		KUBEBUILDER_ASSETS=$$assets $(LOAD_CLIENT) $(BIN)/loadgen $(if $(LOAD_SERVER_CPUS),-server-cpus $(LOAD_SERVER_CPUS)) $(LOAD_FLAGS)

E2E_FLAGS ?= -vms 500

e2e-bench: ## VM create latency through the API server: no admission, the webhooks, a CEL policy (500 VMs each)
	@assets=$$(./hack/envtest-assets.sh) && $(GO) build -o $(BIN)/e2ebench ./test/load/cmd/e2ebench && \
		KUBEBUILDER_ASSETS=$$assets $(BIN)/e2ebench $(E2E_FLAGS)

reliability: ## certificate rotation and SIGTERM under load on the real binary; body, nesting and interface limits
	$(GO) test -count=1 -run 'TestLimitBody|TestOversizedReviewOverTLS|TestDeeplyNestedReview|TestThousandInterfaces' ./pkg/server/
	assets=$$(./hack/envtest-assets.sh) && KUBEBUILDER_ASSETS=$$assets $(GO) test -count=1 ./test/reliability/

TEST_TARGETS += fuzz reliability
