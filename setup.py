"""Build of the compiled core (``copyguard/_core.pyx``); everything else is in pyproject.toml."""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(ext_modules=cythonize(
    [Extension("copyguard._core", ["copyguard/_core.pyx"], extra_compile_args=["-O3"])],
    compiler_directives={"language_level": "3"},
))
