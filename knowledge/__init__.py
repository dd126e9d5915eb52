__version__ = "0.1.0"
"""modelwire's version, written only here: pyproject.toml, ``modelwire --version`` and the HTTP
User-Agent read it."""
