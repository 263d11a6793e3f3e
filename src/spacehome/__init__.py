"""spacehome: operations and science planning for the China Space Station (Tiangong).

Importing this package does nothing but define the version; the public surface lives in the
subpackages (see ``docs/design.md``).
"""

__version__ = "0.1.0"
