"""ember.utils.model_zoo.load_url: ember.hub.load_state_dict_from_url under torch's older
name, loading a checkpoint from a file:// URL into the cache and reading it back."""

from pathlib import Path

import numpy as np

import ember
from ember.utils import model_zoo


def test_load_url_is_the_hub_loader():
    assert model_zoo.load_url is ember.hub.load_state_dict_from_url
    assert model_zoo.__all__ == ["load_url"]


def test_load_url_reads_a_checkpoint_through_the_cache(tmp_path: Path):
    model = ember.nn.Linear(3, 2)
    source = tmp_path / "linear.pt"
    ember.save(model.state_dict(), source)
    cache = tmp_path / "cache"
    state = model_zoo.load_url(source.as_uri(), model_dir=str(cache), progress=False)
    assert (cache / "linear.pt").is_file()
    assert set(state) == {"weight", "bias"}
    np.testing.assert_array_equal(state["weight"].numpy(), model.weight.detach().numpy())
    np.testing.assert_array_equal(state["bias"].numpy(), model.bias.detach().numpy())
