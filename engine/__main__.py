"""``python -m engine`` is the ``dataengine`` command."""

from engine.cli import main

raise SystemExit(main())
