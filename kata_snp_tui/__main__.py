from kata_snp_tui.cli import main

raise SystemExit(main())
