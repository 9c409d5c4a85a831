# Two entry points for a fresh machine (only Python 3.11 and pip needed):
#   make demo   set up, then render and send a real message through the built-in sandbox
#   make test   set up (Debian's Chromium too), then lint, type-check and test (what CI runs)
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: demo test bench browser

$(BIN)/pipeline: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# The bytecode an installed wheel has: where PYTHONDONTWRITEBYTECODE is set, an editable
	# install would otherwise compile the package again on every run.
	$(BIN)/python -m compileall -q pipeline
	touch $@

demo: $(BIN)/pipeline
	mkdir -p .pipeline
	$(BIN)/pipeline render order_shipped beta_testers --app-id demo-app -o .pipeline/order_shipped.jsonl
	$(BIN)/pipeline send order_shipped beta_testers --app-id demo-app --sandbox --results .pipeline/results.jsonl

# The browser tests drive Debian's Chromium through its own chromedriver, installed here when
# missing (as root, with apt-get); nothing else may download a browser.
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "make: the browser tests need Debian's chromium and chromium-driver; run as root," \
				"or: sudo apt-get install --no-install-recommends chromium chromium-driver" >&2; \
			exit 1; \
		fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends chromium chromium-driver >/dev/null; \
	fi

test: $(BIN)/pipeline browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

bench: $(BIN)/pipeline
	$(BIN)/python benchmarks/bench_render.py
