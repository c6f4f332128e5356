"""Benchmarks of the provider through the real ``pulumi.dynamic`` host: ``python -m bench``.

Kept import-free on purpose: the cold-start benchmark pickles a provider from this package,
and the host imports the package to unpickle it.
"""
