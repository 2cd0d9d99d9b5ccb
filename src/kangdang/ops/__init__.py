"""Operator tasks that cut across the domains (run from the CLI): key rotation."""
