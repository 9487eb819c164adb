"""`python -m training --config FILE`: train with the project's configuration."""

from training.cli import main

raise SystemExit(main())
