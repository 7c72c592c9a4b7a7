"""``python -m splitplace_env.mobility_sumo``: see ``splitplace_env.mobility_sumo.cli``."""

from splitplace_env.mobility_sumo.cli import main

raise SystemExit(main())
