"""The installed package version (from the distribution metadata)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tailorfolio")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
