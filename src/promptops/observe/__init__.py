"""Production traces: records, the store, scoring of samples, canary analysis."""
