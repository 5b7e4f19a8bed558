"""Support for Lifebuoy's tests and benchmarks: real servers on free ports.

Nothing here is used by the product itself.
"""
