"""``torch.utils.model_zoo``'s old spelling of the checkpoint loader: ``load_url`` is
``ember.hub.load_state_dict_from_url``.

Example:
    >>> from ember.utils import model_zoo
    >>> state = model_zoo.load_url("https://example.com/lenet-1a2b3c4d.pt")
"""

from ..hub import load_state_dict_from_url as load_url

__all__ = ["load_url"]
