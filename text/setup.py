# The C library embertext._C is built by cffi (API mode) from csrc/ at install time.
from setuptools import setup

setup(cffi_modules=["src/embertext/_C_build.py:ffibuilder"])
