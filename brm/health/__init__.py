"""The relationship health engine: components, scoring, snapshots and improvement plans."""
