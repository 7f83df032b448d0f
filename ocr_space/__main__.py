import sys

from ocr_space.cli import main

sys.exit(main())
