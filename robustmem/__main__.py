import sys

from robustmem.cli import main

sys.exit(main())
