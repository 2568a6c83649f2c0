from copyguard.cli import main

raise SystemExit(main())
