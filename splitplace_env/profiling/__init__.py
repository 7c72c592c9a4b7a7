"""Profiling of the real split networks into the emulator's profile document.

``python -m splitplace_env.profiling.profiler`` writes
``splitplace_env/data/profiles_measured.json``; see ``profiler`` for the method.
"""
