"""benchmark: tells whether a product standard is advanced.

The public API is re-exported here as it is built: loading the catalogue, evaluating declarations.
"""

__version__ = "0.1.0"
