"""Registers copyguard's output rail action; the index and policy come from COPYGUARD_INDEX / COPYGUARD_POLICY."""

from copyguard.integrations.nemo import register


def init(app):
    register(app)
