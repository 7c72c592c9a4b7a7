# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test setup bench lint clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch is bounded (<2.14) in setup.cfg so pip takes the CPU build on disk.
	$(PY) -m pip install --quiet -e ".[all]"
	# Compile the numba kernels once (about 10 s); later processes load them from the cache.
	$(PY) -c "import gymnasium as gym, splitplace_env; e = gym.make('SplitPlace-v0'); e.reset(seed=0); e.step(e.action_space.sample())"
	touch $(STAMP)

setup: $(STAMP)

## run: the main job (quick Table 1 of every agent on SplitPlace-v0)
run: $(STAMP)
	$(PY) -m benchmarks.table1 --quick

## test: every test, slow ones included
test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadgroup --durations=15  # loadgroup: one Ray cluster at a time

bench: $(STAMP)
	$(PY) -m benchmarks.speed

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
