# Understudy — the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
MVN := mvn -B -ntp -q
export ANSIBLE_CONFIG := $(CURDIR)/ansible/ansible.cfg
export ANSIBLE_FORCE_COLOR := 0

.PHONY: help deps build unit lint molecule test demo lab-up lab-down converge status clean

help:
	@echo "make demo      install, build, bring up the lab, provision it, show main signing and backup synced"
	@echo "make test      unit tests, linters, Molecule scenarios on the lab (what CI runs)"
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
	shellcheck -x lab/lab lab/molecule-run lab/watchdog-emulator lab/install-deps lab/show lab/scenarios/lib.sh $(filter-out %.sh,$(wildcard lab/scenarios/*)) simnet/bench/cost .ci/run
	ansible-playbook -i inventories/lab ansible/site.yml --syntax-check >/dev/null
	python3 docs/config-reference --check

# Every scenario on one booted lab (created once, destroyed once).
MOLECULE_SCENARIOS := default bundles failover alerts
molecule: unit
	lab/molecule-run --shared-lab $(MOLECULE_SCENARIOS)

test: unit lint molecule
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
