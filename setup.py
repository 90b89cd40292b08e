"""Build the Cython kernels.

FASTROUTE_DEBUG=1 turns bounds/wraparound/initialisation checks back on and
compiles without optimisation, for chasing a crash in a kernel.
"""
import os
import platform
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("FASTROUTE_DEBUG", "") not in ("", "0")

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": not DEBUG,
    "embedsignature": True,
}

if sys.platform == "win32":
    cflags, omp = ["/O2"], ["/openmp"]
    lflags = []
else:
    cflags = ["-O0", "-g"] if DEBUG else ["-O3"]
    cflags += ["-fopenmp", "-Wno-unused-function", "-Wno-unreachable-code"]
    lflags = ["-fopenmp"]
    omp = []
    if platform.machine().lower() in ("x86_64", "amd64"):
        # the poptrie walks index children by popcount; without this gcc calls libgcc
        cflags.append("-mpopcnt")
    if os.environ.get("FASTROUTE_NATIVE", "") not in ("", "0"):
        # tune for this CPU (the build then runs only on CPUs like it)
        cflags.append("-march=native")

macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]


def ext(name):
    return Extension(
        f"fastroute.{name}",
        [f"src/fastroute/{name.replace('.', '/')}.pyx"],
        include_dirs=["src/fastroute"],
        define_macros=macros,
        extra_compile_args=cflags + omp,
        extra_link_args=lflags,
    )


KERNELS = ["_addr", "_lpm", "bgp._propagate", "sim._engine", "model._yamlblock", "model._ipam", "model._gorand"]

setup(
    ext_modules=cythonize(
        [ext(k) for k in KERNELS],
        compiler_directives=directives,
        include_path=["src"],
    ),
)
