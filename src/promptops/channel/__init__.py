"""Runtime delivery: signed pointers to content-addressed bundles that running applications follow."""
