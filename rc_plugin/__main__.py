from .files.cli import main
import sys
sys.exit(main())
