"""``python -m uprgraph`` is the ``uprgraph`` command."""

from .cli import main

main()
