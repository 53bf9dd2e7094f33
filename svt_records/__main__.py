"""`python -m svt_records` runs the svt command line."""
from .cli import entry

entry()
