# Two commands matter (see README): `make run` and `make test`. Both install what is missing.
SHELL := /bin/bash
BIN := node_modules/.bin
STAMP := node_modules/.dozor-installed

.PHONY: setup system-deps run test typecheck lint unit bench clean

setup: $(STAMP) system-deps

# npm ci only when the lockfile changed since the last install.
$(STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(STAMP)

system-deps:
	@bash tools/setup/system-deps.sh

## Simulate an 8-hour body-camera shift (default scenario), print the summary, write report.html.
run: $(STAMP)
	node bin/dozor.js sim shift --hours 8 --report report.html

## Typecheck, lint and every test.
test: setup
	$(BIN)/tsc --noEmit
	$(BIN)/eslint . --max-warnings=0
	$(BIN)/vitest run

typecheck: $(STAMP)
	$(BIN)/tsc --noEmit

lint: $(STAMP)
	$(BIN)/eslint . --max-warnings=0

unit: $(STAMP)
	$(BIN)/vitest run

## Benchmarks: prints a table and updates BENCHMARKS.md.
bench: setup
	node --import tsx bench/run.ts

clean:
	rm -rf out dist report.html
