"""The exceptions of ember_lightning, where Lightning keeps them
(``lightning.pytorch.utilities.exceptions``)."""


class MisconfigurationException(Exception):
    """A Trainer or module setting that cannot work (Lightning's exception of the same name)."""
