"""Thin adapters from frameworks' hooks to copyguard, one module per framework, each an optional extra."""
