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
	shellcheck -x lab/lab lab/molecule-run lab/watchdog-emulator lab/install-deps simnet/bench/cost .ci/run
	ansible-playbook -i inventories/lab ansible/site.yml --syntax-check >/dev/null

molecule: unit
	lab/molecule-run default

test: unit lint molecule
	@echo "make test: all passed"

lab-up: build
	lab/lab up

converge:
	lab/lab ansible-playbook ansible/site.yml

status:
	@lab/lab status
	@echo "--- chain (from the lab's control namespace)"
	@lab/lab exec curl -s --max-time 3 http://10.77.0.10:7700/status | python3 -c 'import json,sys; d=json.load(sys.stdin); print("round", d["round"], "period", d["period"], "set", [m["validator"] for m in d["currentSet"]])'
	@for h in main backup; do echo "--- $$h node"; lab/lab ssh $$h "curl -s --max-time 3 127.0.0.1:7701/status" | python3 -c 'import json,sys; d=json.load(sys.stdin); print({k: d[k] for k in ("synced","lagRounds","validation","signing","lastSignedRound")})'; done

demo: lab-up converge
	@$(MAKE) --no-print-directory status
	@echo
	@echo "The lab is up: main signs, backup follows the chain without signing."
	@echo "Look around:  lab/lab ssh main | lab/lab status | lab/lab exec curl -s http://10.77.0.10:7700/validators/val1"
	@echo "Tear down:    make lab-down"

lab-down:
	lab/lab down

clean:
	$(MVN) clean
