"""`python -m textfusion_ros.cli`."""

from textfusion_ros.cli import main

raise SystemExit(main())
