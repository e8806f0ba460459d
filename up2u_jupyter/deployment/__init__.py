"""The effective deployment: what the cluster will run, and the invariants judged on it."""
