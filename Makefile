# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Ray RLlib in a venv of its own: ray[rllib] pins gymnasium 1.2.x (the main venv has 1.4) and needs dm-tree.
RLLIB_VENV  := .venv-rllib
RLLIB_PY    := $(RLLIB_VENV)/bin/python
RLLIB_STAMP := $(RLLIB_VENV)/.installed

.PHONY: run test setup rllib-venv bench lint clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch is bounded (<2.14) in setup.cfg so pip takes the CPU build on disk.
	$(PY) -m pip install --quiet -e ".[all]"
	# Compile the numba kernels once, single and batched (the native vector env's, about 30 s);
	# later processes, test workers included, load them from the cache.
	$(PY) -c "import gymnasium as gym, splitplace_env; e = gym.make('SplitPlace-v0'); e.reset(seed=0); e.step(e.action_space.sample())"
	$(PY) -c "import gymnasium as gym, splitplace_env; v = gym.make_vec('SplitPlace-v0', num_envs=2); v.reset(seed=0); v.step(v.action_space.sample())"
	touch $(STAMP)

setup: $(STAMP)

## rllib-venv: the RLlib venv the RLlib test drives (about 80 s the first time; idempotent)
$(RLLIB_STAMP): $(STAMP) setup.cfg pyproject.toml
	test -x $(RLLIB_PY) || $(PYTHON) -m venv $(RLLIB_VENV)
	$(RLLIB_PY) -m pip install --quiet --upgrade pip
	# Pin the main venv's torch (the CPU build on disk): no second, CUDA, torch is downloaded.
	$(PY) -m pip freeze --all | grep -i '^torch==' > $(RLLIB_VENV)/constraints.txt
	$(RLLIB_PY) -m pip install --quiet -c $(RLLIB_VENV)/constraints.txt -e ".[rllib]"
	$(RLLIB_PY) -c "import gymnasium, ray, torch, tree; from ray.rllib.algorithms.ppo import PPOConfig; print('RLlib venv: ray', ray.__version__, 'gymnasium', gymnasium.__version__, 'torch', torch.__version__)"
	touch $(RLLIB_STAMP)

rllib-venv: $(RLLIB_STAMP)

## run: the main job (quick Table 1 of every agent on SplitPlace-v0)
run: $(STAMP)
	$(PY) -m benchmarks.table1 --quick

## test: every test, slow ones included (the RLlib test runs in $(RLLIB_VENV))
test: $(STAMP) $(RLLIB_STAMP)
	SPLITPLACE_RLLIB_PYTHON=$(abspath $(RLLIB_PY)) \
	$(PY) -m pytest -q -n 2 --dist loadgroup --durations=15 --check-tree-clean  # loadgroup: one Ray cluster at a time

bench: $(STAMP)
	$(PY) -m benchmarks.speed

clean:
	rm -rf $(VENV) $(RLLIB_VENV) .pytest_cache .hypothesis
