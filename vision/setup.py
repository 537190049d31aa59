# The C library embervision._C (nms, roi_align, the ToTensor/Normalize conversions) is built
# by cffi (API mode).
from setuptools import setup

setup(cffi_modules=["src/embervision/_C_build.py:ffibuilder"])
