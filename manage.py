#!/usr/bin/env python
"""Django's manage.py; ``renkou`` is the same with a shorter help."""

import sys

from renkou.cli import main

if __name__ == "__main__":
    main(sys.argv)
