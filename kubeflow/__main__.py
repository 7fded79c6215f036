import sys

from kubeflow.cli import main

sys.exit(main())
