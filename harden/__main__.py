"""`python -m harden` runs the same command-line interface as the `harden` script."""

from harden.entry import main

main()
