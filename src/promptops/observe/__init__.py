"""The production loop: trace records, their store, the flywheel (cases from production) and cost."""
