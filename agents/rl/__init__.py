"""Reinforcement-learning agents for SplitPlace-v0 (Stable-Baselines3, sb3-contrib, RLlib).

Modules:

* ``algos``: the supported algorithms and how each is built.
* ``envs``: picklable environment factories and vectorised environments.
* ``callbacks``: a tqdm progress bar and the callback list used in training.
* ``train``: ``python -m agents.rl.train ALGO`` (the ``splitplace train`` command).
* ``policy``: a trained model as an agent of the agent protocol (``load_rl_agent``).
* ``speed``: environment steps per second during PPO training.
* ``rllib``: optional Ray RLlib training (``pip install "ray[rllib]"``).

Heavy imports (torch, SB3) happen inside these modules, not here. Evaluating a
trained model under the Table 1 protocol is ``benchmarks.rl_evaluate`` (agents
never import benchmarks).
"""
