"""`python -m bot.cli` is `multaqa`."""

from bot.cli import main

raise SystemExit(main())
