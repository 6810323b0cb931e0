# Performance and reliability: handler benchmarks against the decoding floor, load on the
# real binary against the floor webhook, create latency through a real API server, the
# offline check against gator, fuzzing, and the reliability tests (certificate rotation and
# shutdown under load, request limits). Numbers: docs/performance.md.
.PHONY: bench fuzz load e2e-bench check-bench reliability

BENCH_COUNT ?= 5
BENCH_TIME ?= 1s
BENCH_PATTERN ?= BenchmarkHandlers|BenchmarkCheck
BENCH_GOAL ?= 1.5
BENCH_OUT := $(CACHE)/bench.txt

# Every benchmark runs its handler and the baseline in alternating blocks and reports the
# ratio; the summary is the median ratio of BENCH_COUNT runs (benchstat $(BENCH_OUT) gives
# the spread of every column).
bench: ## handler benchmarks vs. the floor webhook (and controller-runtime's decoding), median ratio per case; check's
	@mkdir -p $(CACHE)
	$(GO) test -run '^$$' -bench '$(BENCH_PATTERN)' -benchmem -benchtime $(BENCH_TIME) -count $(BENCH_COUNT) ./pkg/server/ ./pkg/check/ | tee $(BENCH_OUT)
	@echo; echo "median handler/floor ratio over $(BENCH_COUNT) runs (goal <= $(BENCH_GOAL)):"
	@awk '/^Benchmark/ { for (i = 2; i < NF; i++) if ($$(i+1) == "ratio") { name = $$1; sub(/-[0-9]+$$/, "", name); r[name] = r[name] " " $$i; if (!(name in seen)) { seen[name] = 1; order[++n] = name } } } \
		END { for (k = 1; k <= n; k++) { m = split(substr(r[order[k]], 2), v, " "); \
			for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t } \
			printf "  %-55s %s\n", order[k], v[int((m + 1) / 2)] } }' $(BENCH_OUT)

# Each target fuzzes from its committed corpus (testdata/fuzz) and seeds for a fixed number
# of executions, sized to about 10 s each on a loaded 2-core machine. A count, not a
# duration: with -fuzztime as a duration, Go 1.26's fuzz coordinator can end a clean run
# with a bare "context deadline exceeded" failure when its deadline fires while a worker is
# mid-call (golang/go#75804, fixed in Go 1.27); a count has no deadline to race. The count
# includes the baseline run over the corpus, so a large local corpus (GOCACHE/fuzz) leaves
# fewer new executions. FUZZ_TIME=5m (a duration) fuzzes each target that long instead.
# New interesting inputs are minimised for a few executions only: in a short run,
# minimising a large AdmissionReview would take the whole budget. A failure leaves its input
# in testdata/fuzz/<target>/ to commit as a regression case.
FUZZ_TIME ?=
FUZZ_TARGETS := ./internal/jsonprune:FuzzDecodePrunedEqualsFull:30000 ./pkg/validate:FuzzRules:6000 \
	./pkg/server:FuzzServeHTTP:6000 ./pkg/domain:FuzzApply:15000 ./internal/jsonprune:FuzzSplitEqualsFull:30000 \
	./pkg/server:FuzzReviewHandlerMatchesWebhook:5000 ./internal/yamljson:FuzzConvertMatchesSigsYAML:200000 \
	./pkg/check:FuzzParseAsBefore:10000

fuzz: ## run every fuzz target for its execution budget (about 10 s each); FUZZ_TIME=5m runs each for that long
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; budget=$(if $(FUZZ_TIME),$(FUZZ_TIME),$${rest#*:}x); \
		echo "fuzz: $$name ($$pkg, $$budget)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $$budget -fuzzminimizetime 50x $$pkg; \
	done

# The generator and the servers share the machine: pinned to different CPUs they do not
# fight over them. LOAD_PIN= runs both unpinned; LOAD_FLAGS are passed to the generator,
# which measures the webhook and the floor webhook in turn, on a ~1 KB and a ~10 KB review.
LOAD_PIN ?= 1
LOAD_FLAGS ?= -concurrency 16 -duration 10s -repeat 5
LOAD_SERVER_CPUS := $(if $(LOAD_PIN),0,)
LOAD_CLIENT := $(if $(LOAD_PIN),taskset -c 1,)

load: ## throughput, latency, CPU/review and RSS of the real binary vs. the floor webhook under TLS load (LOAD_PIN=1: servers on CPU 0, generator on CPU 1)
	@assets=$$(./hack/envtest-assets.sh) && $(GO) build -o $(BIN)/loadgen ./test/load/cmd/loadgen && \
		KUBEBUILDER_ASSETS=$$assets $(LOAD_CLIENT) $(BIN)/loadgen $(if $(LOAD_SERVER_CPUS),-server-cpus $(LOAD_SERVER_CPUS)) $(LOAD_FLAGS)

E2E_FLAGS ?= -vms 500

e2e-bench: ## VM create latency through the API server: no admission, the webhooks, the generated CEL policies, both (500 VMs each)
	@assets=$$(./hack/envtest-assets.sh) && $(GO) build -o $(BIN)/e2ebench ./test/load/cmd/e2ebench && \
		KUBEBUILDER_ASSETS=$$assets $(BIN)/e2ebench $(E2E_FLAGS)

# gator is built from the Go module proxy once (about 5 minutes, 1.4 GB of memory) into
# .cache/tools; CHECK_BENCH_FLAGS go to the measuring tool (-also NAME=PATH adds an older
# webhook build to the rotation).
CHECK_BENCH_FLAGS ?= -sizes 1000,10000 -runs 5

check-bench: ## CPU and RSS of `webhook check` vs. Gatekeeper's gator on 1,000 and 10,000 manifests, the same rules
	@gator=$$(./hack/tools.sh gator) && $(GO) build -o $(BIN)/webhook ./cmd/webhook && \
		$(GO) build -o $(BIN)/checkbench ./test/load/cmd/checkbench && $(GO) build -o $(BIN)/rusage ./test/load/cmd/rusage && \
		$(BIN)/checkbench -webhook $(BIN)/webhook -rusage $(BIN)/rusage -gator $$gator $(CHECK_BENCH_FLAGS)

reliability: ## certificate rotation and SIGTERM under load on the real binary; body, nesting and interface limits
	$(GO) test -count=1 -run 'TestLimitBody|TestOversizedReviewOverTLS|TestDeeplyNestedReview|TestThousandInterfaces' ./pkg/server/
	assets=$$(./hack/envtest-assets.sh) && KUBEBUILDER_ASSETS=$$assets $(GO) test -count=1 ./test/reliability/

TEST_TARGETS += fuzz reliability
