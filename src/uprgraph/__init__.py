"""uprgraph: the UN Universal Periodic Review as validated, queryable Linked Data."""

__version__ = "0.1.0"
