from promptops.cli import main

raise SystemExit(main())
