# Understudy — the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
MVN := mvn -B -ntp -q
export ANSIBLE_CONFIG := $(CURDIR)/ansible/ansible.cfg
export ANSIBLE_FORCE_COLOR := 0

.PHONY: help deps build unit lint model whitepaper molecule test demo lab-up lab-down converge status clean chaos bench

help:
	@echo "make demo      install, build, bring up the lab, provision it, show main signing and backup synced"
	@echo "make test      unit tests, linters, the protocol model, Molecule scenarios on the lab (what CI runs)"
	@echo "make model     model-check the coordination protocol (docs/model; --deep: docs/model/check --deep)"
	@echo "make chaos SEED=N MINUTES=M   a seeded random fault run on its own lab"
	@echo "make bench [RUNS=5]           failover benchmarks at 1 s and 6 s rounds (fresh labs)"
	@echo "make whitepaper               WHITEPAPER.md to docs/_build/WHITEPAPER.pdf (pandoc, diagrams rendered)"
	@echo "make lab-up | converge | status | lab-down"

deps:
	lab/install-deps

# Jars with their unit tests (the build fails on a failing test).
build: deps
	$(MVN) package -DskipTests

unit: deps
	$(MVN) verify

lint: deps
	yamllint -s .
	ansible-lint --offline
	shellcheck -x docs/whitepaper/build docs/model/check lab/lab lab/bench lab/bench-agent lab/chaos lab/molecule-run lab/timings lab/watchdog-emulator lab/install-deps lab/show lab/scenarios/lib.sh $(filter-out %.sh,$(wildcard lab/scenarios/*)) simnet/bench/cost .ci/run
	ansible-playbook -i inventories/lab ansible/site.yml --syntax-check >/dev/null
	ansible-playbook -i inventories/example ansible/site.yml --syntax-check >/dev/null
	ansible-playbook -i inventories/lab molecule/flavors/converge.yml --syntax-check >/dev/null
	python3 docs/config-reference --check
	docs/check-links
	roles/monitor/files/check

# The coordination protocol's Promela model, checked exhaustively with spin (states and time printed).
model: deps
	docs/model/check

# The white paper as a PDF, checked (every diagram an image, every section present): docs/_build/WHITEPAPER.pdf
whitepaper: deps
	docs/whitepaper/build

# Every scenario on one booted lab (created once, destroyed once).
MOLECULE_SCENARIOS := default flavors bundles alerts failover chaos
molecule: unit
	lab/molecule-run --shared-lab $(MOLECULE_SCENARIOS)

# A seeded random fault run on its own lab: make chaos SEED=7 MINUTES=20 (on a provisioned lab: lab/chaos --seed 7).
SEED ?= 1
MINUTES ?= 5
chaos: build
	CHAOS_SEED=$(SEED) CHAOS_MINUTES=$(MINUTES) lab/molecule-run chaos

# Failover benchmarks at 1 s and 6 s rounds, each on a fresh lab, and the agents at production timing (lab/bench-agent);
# the tables go to docs/benchmarks.md by hand.
RUNS ?= 5
bench: build
	lab/lab down
	lab/lab up
	lab/lab ansible-playbook ansible/site.yml >/dev/null
	lab/bench --runs $(RUNS) --label "1 s rounds" | tee /var/lib/understudy-lab/results/bench-1s.md
	lab/bench-agent | tee /var/lib/understudy-lab/results/bench-agent.md
	lab/lab down
	lab/lab up
	lab/lab ansible-playbook ansible/site.yml -e simnet_chain_round_ms=6000 -e understudy_activation_grace_ms=15000 \
	  -e understudy_takeover_rounds=2 >/dev/null
	lab/bench --runs $(RUNS) --label "6 s rounds, K = 2" | tee /var/lib/understudy-lab/results/bench-6s.md
	lab/lab down

# Each step timed (lab/timings); the table is printed at the end, after a failure too.
export UNDERSTUDY_TIMINGS ?= /var/lib/understudy-lab/results/test-timings.tsv
test: deps
	@lab/timings reset
	@for step in unit lint model whitepaper; do \
	  lab/timings run "$$step" $(MAKE) --no-print-directory "$$step" || { lab/timings print; exit 1; }; \
	done
	@lab/timings run molecule lab/molecule-run --shared-lab $(MOLECULE_SCENARIOS) || { lab/timings print; exit 1; }
	@lab/timings print
	@echo "make test: all passed"

lab-up: build
	lab/lab up

converge:
	lab/lab ansible-playbook ansible/site.yml

status:
	@lab/show

demo: lab-up converge
	@lab/show --wait
	@echo
	@echo "The lab is up: main signs, backup follows the chain without signing."
	@echo "Look around:  lab/lab ssh main | lab/lab status | lab/lab exec curl -s http://10.77.0.10:7700/validators/val1"
	@echo "Tear down:    make lab-down"

lab-down:
	lab/lab down

clean:
	$(MVN) clean
