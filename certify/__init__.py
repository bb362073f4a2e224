"""certify package.

Importing it before numpy sets single-threaded BLAS (OPENBLAS/OMP/MKL_NUM_THREADS = 1 unless
already set): the engines' float work is many small matrix products, which a threaded BLAS
slows down by 10-40x on a loaded machine (measured: a 24x784 by 784x256 product, 0.4 ms on one
thread, 18 ms on two contended cores); parallel work goes through --jobs processes instead."""

import os as _os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_v, "1")
