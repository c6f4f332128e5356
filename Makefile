# Convenience targets; each is one script that needs only Python 3.11+ (and, for the stack
# targets, the Pulumi CLI).
PYTHON ?= python3

.PHONY: help up down drift outputs manifest logs health test pulumi-cli bench emulator-start emulator-stop

help:           ## list these targets (the default)
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

up:             ## create or update the local dev stack against the emulator, print outputs
	$(PYTHON) scripts/dev.py up

down:           ## destroy the dev stack and stop the emulator
	$(PYTHON) scripts/dev.py down

drift:          ## refresh and fail if the dev stack drifted (pulumi preview --refresh --expect-no-changes)
	$(PYTHON) scripts/dev.py drift

outputs:        ## print the dev stack's outputs as JSON
	$(PYTHON) scripts/dev.py outputs

manifest:       ## write the dev app's Zoom manifest fragment to zoom-manifest.json
	$(PYTHON) scripts/dev.py manifest

logs:           ## print Recall's recent logs of the dev app
	$(PYTHON) scripts/dev.py logs

health:         ## is Zoom wired to the dev stack's apps? (python3 scripts/cli.py health --stack dev)
	$(PYTHON) scripts/dev.py health

test:           ## the test command (what CI runs)
	$(PYTHON) scripts/test.py

pulumi-cli:     ## build the Pulumi CLI the tests run, from Go modules, into ~/.cache/recall-zoom (needs Go)
	$(PYTHON) scripts/pulumi_cli.py build

bench:          ## run the seven benchmarks and print their tables (see BENCHMARKS.md)
	$(PYTHON) scripts/benchmarks.py

emulator-start: ## start the local Recall emulator in the background (on 127.0.0.1:18111)
	$(PYTHON) scripts/dev.py emulator-start

emulator-stop:  ## stop the emulator that emulator-start or up started
	$(PYTHON) scripts/dev.py emulator-stop
