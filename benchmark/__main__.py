"""`python -m benchmark` runs the command-line interface."""

from benchmark.cli import main

main()
