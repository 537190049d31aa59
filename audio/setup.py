# The C library emberaudio._C (the IIR recursion of lfilter) is built by cffi (API mode).
from setuptools import setup

setup(cffi_modules=["src/emberaudio/_C_build.py:ffibuilder"])
