"""Build of the compiled core (``copyguard/_core.pyx``); everything else is in pyproject.toml.

The core embeds the tree-sitter runtime (``vendor/tree-sitter``, MIT) for code normalization; grammars
stay in their PyPI packages.
"""

from glob import glob

from Cython.Build import cythonize
from setuptools import Extension, setup

TS = "vendor/tree-sitter"

setup(ext_modules=cythonize(
    [Extension(
        "copyguard._core", ["copyguard/_core.pyx", f"{TS}/src/lib.c"],
        include_dirs=[f"{TS}/include", f"{TS}/src"],
        depends=sorted(glob(f"{TS}/src/*.[ch]")),  # lib.c includes the runtime's files: a change to one rebuilds it
        define_macros=[("_POSIX_C_SOURCE", "200112L"), ("_DEFAULT_SOURCE", None), ("TREE_SITTER_HIDE_SYMBOLS", None),
                       ("COPYGUARD_NO_BALANCE", None)],
        extra_compile_args=["-O3", "-std=c11", "-fvisibility=hidden", "-Wno-cast-function-type", "-Wno-unused-function"],
    )],
    compiler_directives={"language_level": "3"},
))
