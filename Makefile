# Convenience targets; each is one script that needs only Python 3.11+ (and, for the stack
# targets, the Pulumi CLI).
PYTHON ?= python3

.PHONY: up down drift outputs test emulator-start emulator-stop

up:             ## create or update the local dev stack against the emulator, print outputs
	$(PYTHON) scripts/dev.py up

down:           ## destroy the dev stack and stop the emulator
	$(PYTHON) scripts/dev.py down

drift:          ## refresh and fail if the dev stack drifted (pulumi preview --refresh --expect-no-changes)
	$(PYTHON) scripts/dev.py drift

outputs:        ## print the dev stack's outputs as JSON
	$(PYTHON) scripts/dev.py outputs

test:           ## the test command (what CI runs)
	$(PYTHON) scripts/test.py

emulator-start:
	$(PYTHON) scripts/dev.py emulator-start

emulator-stop:
	$(PYTHON) scripts/dev.py emulator-stop
