"""Offline bundle validation: the official JSON schema plus semantic checks the schema cannot see."""
