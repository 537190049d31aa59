"""torchaudio.datasets for ember: readers of the datasets' on-disk layouts (no downloading)."""

from .librispeech import LIBRISPEECH
from .ljspeech import LJSPEECH
from .speechcommands import SPEECHCOMMANDS
from .vctk import VCTK_092
from .yesno import YESNO

__all__ = ["LIBRISPEECH", "LJSPEECH", "SPEECHCOMMANDS", "VCTK_092", "YESNO"]
