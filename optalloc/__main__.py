import sys

from optalloc.cli import main

sys.exit(main())
