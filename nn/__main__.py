"""Run the command line, ``python -m nn {download,train,evaluate}``; see ``nn/cli.py``."""

import sys

from nn.cli import main

sys.exit(main())
