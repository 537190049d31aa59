"""All nn module classes, re-exported by ember.nn."""

import types as _types

from .activation import (CELU, ELU, GELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish,
                         Hardtanh, Identity, LeakyReLU, LogSigmoid, LogSoftmax, Mish, PReLU,
                         ReLU, ReLU6, RReLU, Sigmoid, SiLU, Softmax, Softmax2d, Softmin, Softplus,
                         Softshrink, Softsign, Tanh, Tanhshrink, Threshold)
from .adaptive import AdaptiveLogSoftmaxWithLoss
from .attention import MultiheadAttention
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d,
                   LazyConv1d, LazyConv2d, LazyConv3d, LazyConvTranspose1d,
                   LazyConvTranspose2d, LazyConvTranspose3d)
from .dropout import (AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d,
                      FeatureAlphaDropout)
from .linear import Bilinear, LazyLinear, Linear
from .linear_cross_entropy_options import LinearCrossEntropyOptions
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, CTCLoss,
                   GaussianNLLLoss, HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss,
                   LinearCrossEntropyLoss,
                   MarginRankingLoss, MSELoss, MultiLabelMarginLoss, MultiLabelSoftMarginLoss,
                   MultiMarginLoss,
                   NLLLoss, NLLLoss2d, PoissonNLLLoss, SmoothL1Loss, SoftMarginLoss,
                   TripletMarginLoss,
                   TripletMarginWithDistanceLoss)
from .misc import (ChannelShuffle, CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d,
                   ConstantPad2d,
                   ConstantPad3d, CosineSimilarity, Flatten, Fold, PairwiseDistance,
                   PixelShuffle, PixelUnshuffle, ReflectionPad1d, ReflectionPad2d,
                   ReflectionPad3d, ReplicationPad1d, ReplicationPad2d, ReplicationPad3d,
                   Unflatten, Unfold, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d,
                   ZeroPad1d, ZeroPad2d, ZeroPad3d)
from .lazy import LazyModuleMixin
from .module import Module
from .normalization import (BatchNorm1d, BatchNorm2d, BatchNorm3d, CrossMapLRN2d, GroupNorm,
                            InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LayerNorm,
                            LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d,
                            LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d,
                            LocalResponseNorm, RMSNorm, SyncBatchNorm)
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d,
                      AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d, AvgPool1d,
                      AvgPool2d, AvgPool3d, FractionalMaxPool2d, FractionalMaxPool3d,
                      LPPool1d, LPPool2d, LPPool3d, MaxPool1d, MaxPool2d, MaxPool3d,
                      MaxUnpool1d, MaxUnpool2d, MaxUnpool3d)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .sparse import Embedding, EmbeddingBag
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,
                          TransformerEncoder, TransformerEncoderLayer)

# the classes only: the submodule names (attention, conv, ...) would shadow ember.nn's own
# attention package in ``from .modules import *``
__all__ = [n for n, v in dict(globals()).items()
           if not n.startswith("_") and not isinstance(v, _types.ModuleType)]
