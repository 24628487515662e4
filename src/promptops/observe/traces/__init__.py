"""Trace records, their readers and the trace store."""
