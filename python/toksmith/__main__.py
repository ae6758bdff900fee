"""``python -m toksmith`` runs the ``tok`` command line."""

from .cli import main

raise SystemExit(main())
