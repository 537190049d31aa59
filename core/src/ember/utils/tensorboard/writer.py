"""SummaryWriter: ``torch.utils.tensorboard.SummaryWriter`` writing TensorBoard event files.

Example:
    >>> from ember.utils.tensorboard import SummaryWriter
    >>> with SummaryWriter("runs/demo") as w:                     # doctest: +SKIP
    ...     for step in range(3):
    ...         w.add_scalar("loss", 1.0 / (step + 1), step)
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime
from typing import Any

from . import _proto as pb
from . import summary as _summary
from ._record import EventFileWriter

_SESSION_LOG_START = 1


def _event(wall_time: float, step: int | None = None, *, file_version: str | None = None,
           summary: bytes | None = None, session_log: bytes | None = None) -> bytes:
    """A serialized tensorboard.Event: wall_time 1, step 2, and one of file_version 3,
    summary 5, session_log 7."""
    data = pb.double(1, wall_time) + pb.varint(2, int(step or 0))
    if file_version is not None:
        data += pb.string(3, file_version, always=True)
    if summary is not None:
        data += pb.message(5, summary)
    if session_log is not None:
        data += pb.message(7, session_log)
    return data


class FileWriter:
    """Writes events to one event file in log_dir; its first record is the file version.

    Example:
        >>> fw = FileWriter("runs/demo")                          # doctest: +SKIP
        >>> fw.add_summary(summary.scalar("x", 1.0), global_step=3)  # doctest: +SKIP
    """

    def __init__(self, log_dir: str, max_queue: int = 10, flush_secs: int = 120,
                 filename_suffix: str = "") -> None:
        self.log_dir = os.fspath(log_dir)
        self.event_writer = EventFileWriter(self.log_dir, max_queue, flush_secs,
                                            filename_suffix)
        self.add_event(_event(time.time(), file_version="brain.Event:2"))

    def get_logdir(self) -> str:
        return self.log_dir

    def add_event(self, event: bytes, step: int | None = None,
                  walltime: float | None = None) -> None:
        """Writes a serialized Event as given (step and walltime are already inside it)."""
        self.event_writer.write(event)

    def add_summary(self, summary: bytes, global_step: int | None = None,
                    walltime: float | None = None) -> None:
        """Writes a serialized Summary (from ``ember.utils.tensorboard.summary``)."""
        wall = time.time() if walltime is None else walltime
        self.add_event(_event(wall, global_step, summary=summary))

    def flush(self) -> None:
        self.event_writer.flush()

    def close(self) -> None:
        self.event_writer.close()

    def get_path(self) -> str:
        """The event file's path."""
        return self.event_writer.path


class SummaryWriter:
    """Writes scalars, histograms, text, images and hyperparameters for TensorBoard.

    Args:
        log_dir: the folder; default ``runs/<Mon DD_HH-MM-SS>_<hostname><comment>``.
        comment: appended to the default log_dir (ignored when log_dir is given).
        purge_step: on resuming a crashed run, TensorBoard hides the events of earlier files
            with a step >= purge_step.
        max_queue: pending events before they are written.
        flush_secs: how often pending events are written to disk.
        filename_suffix: appended to the event file's name.

    Example:
        >>> w = SummaryWriter("runs/exp1")                         # doctest: +SKIP
        >>> w.add_scalar("loss", 0.25, global_step=10)             # doctest: +SKIP
        >>> w.add_histogram("weights", model.fc.weight, 10)        # doctest: +SKIP
        >>> w.close()                                              # doctest: +SKIP
    """

    def __init__(self, log_dir: str | os.PathLike | None = None, comment: str = "",
                 purge_step: int | None = None, max_queue: int = 10, flush_secs: int = 120,
                 filename_suffix: str = "") -> None:
        if not log_dir:
            now = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", now + "_" + socket.gethostname() + comment)
        self.log_dir = os.fspath(log_dir)
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer: FileWriter | None = None
        self.all_writers: dict[str, FileWriter] | None = None
        self._get_file_writer()
        self.default_bins = _summary.default_bins()

    def _get_file_writer(self) -> FileWriter:
        """The main FileWriter, (re)opened on first use or after close()."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs,
                                          self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                step, wall = self.purge_step, time.time()
                self.file_writer.add_event(_event(wall, step, file_version="brain.Event:2"))
                self.file_writer.add_event(_event(
                    wall, step, session_log=pb.varint(1, _SESSION_LOG_START)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self) -> str:
        return self.log_dir

    def add_scalar(self, tag: str, scalar_value: Any, global_step: int | None = None,
                   walltime: float | None = None, new_style: bool = False,
                   double_precision: bool = False) -> None:
        """Logs a number (a Python number or a one-element tensor) under tag."""
        s = _summary.scalar(tag, scalar_value, new_style=new_style,
                            double_precision=double_precision)
        self._get_file_writer().add_summary(s, global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict[str, Any],
                    global_step: int | None = None, walltime: float | None = None) -> None:
        """Logs several scalars on one chart: each goes to its own run folder
        ``<log_dir>/<main_tag>_<tag>`` under the tag main_tag."""
        wall = time.time() if walltime is None else walltime
        root = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            path = root + "/" + main_tag.replace("/", "_") + "_" + tag
            fw = self.all_writers.get(path)
            if fw is None:
                fw = FileWriter(path, self.max_queue, self.flush_secs, self.filename_suffix)
                self.all_writers[path] = fw
            fw.add_summary(_summary.scalar(main_tag, value), global_step, wall)

    def add_histogram(self, tag: str, values: Any, global_step: int | None = None,
                      bins: Any = "tensorflow", walltime: float | None = None,
                      max_bins: int | None = None) -> None:
        """Logs the distribution of values (a tensor or array of any shape). ``bins`` is
        ``"tensorflow"`` (TensorFlow's exponential buckets) or anything numpy.histogram
        takes."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        s = _summary.histogram(tag, values, bins, max_bins=max_bins)
        self._get_file_writer().add_summary(s, global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step: int | None = None,
                 walltime: float | None = None) -> None:
        """Logs a (markdown) string; TensorBoard shows it under ``<tag>/text_summary``."""
        self._get_file_writer().add_summary(_summary.text(tag, text_string), global_step,
                                            walltime)

    def add_image(self, tag: str, img_tensor: Any, global_step: int | None = None,
                  walltime: float | None = None, dataformats: str = "CHW") -> None:
        """Logs one image: floats in [0, 1] or uint8, laid out as dataformats says
        ("CHW", "HWC" or "HW")."""
        s = _summary.image(tag, img_tensor, dataformats=dataformats)
        self._get_file_writer().add_summary(s, global_step, walltime)

    def add_images(self, tag: str, img_tensor: Any, global_step: int | None = None,
                   walltime: float | None = None, dataformats: str = "NCHW") -> None:
        """Logs a batch of images as one grid image (8 to a row, as torch's writer does).

        Example:
            >>> writer.add_images("batch", ember.rand(16, 3, 8, 8), 0)
        """
        self.add_image(tag, img_tensor, global_step, walltime, dataformats)

    def add_hparams(self, hparam_dict: dict[str, Any], metric_dict: dict[str, Any],
                    hparam_domain_discrete: dict[str, list] | None = None,
                    run_name: str | None = None, global_step: int | None = None) -> None:
        """Logs a run's hyperparameters and final metrics for TensorBoard's HPARAMS tab, in
        the sub-folder run_name (default: the current time)."""
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        exp, ssi, sei = _summary.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        if not run_name:
            run_name = str(time.time())
        logdir = os.path.join(self._get_file_writer().get_logdir(), run_name)
        with SummaryWriter(log_dir=logdir) as w:
            fw = w._get_file_writer()
            for s in (exp, ssi, sei):
                fw.add_summary(s, global_step)
            for k, v in metric_dict.items():
                w.add_scalar(k, v, global_step)

    def flush(self) -> None:
        """Writes pending events of every run folder to disk."""
        if self.all_writers is None:
            return
        for fw in self.all_writers.values():
            fw.flush()

    def close(self) -> None:
        """Flushes and closes the event files; a later add_* opens a new file."""
        if self.all_writers is None:
            return
        for fw in self.all_writers.values():
            fw.flush()
            fw.close()
        self.file_writer = self.all_writers = None

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        self.close()
