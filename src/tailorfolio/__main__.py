"""``python -m tailorfolio`` runs the command line."""

from tailorfolio.cli.app import main

main()
