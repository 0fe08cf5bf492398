"""The package version. It must equal the Cargo workspace version, which `_core` is built with."""

__version__ = "0.1.0"
