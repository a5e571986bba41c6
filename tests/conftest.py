"""Settings for the whole suite, applied before any test module imports NumPy."""

from __future__ import annotations

import os
import sys

# One BLAS thread per process. The tests already run the engine's worker processes side
# by side on a 2-core machine; a BLAS thread pool per process on top of that makes small
# matrix work (the encoder's QR projection) tens of times slower on a busy machine.
# Worker processes inherit this environment. Set it yourself to override.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
if "numpy" in sys.modules:  # pragma: no cover - a plugin imported it first
    import warnings

    warnings.warn(
        "NumPy was imported before tests/conftest.py; BLAS threads not limited", stacklevel=1
    )
