"""``python -m kata_snp_tui.bench``: see :mod:`kata_snp_tui.bench.cli`."""

from kata_snp_tui.bench.cli import main

raise SystemExit(main())
