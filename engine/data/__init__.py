"""Datasets on disk: the published Raw-Microscopy / Raw-Drone copies and synthetic datasets in their layout.

- getting data: :func:`fetch` (B2 bucket ``perturbed-minds`` via b2sdk), :func:`import_local` (a local copy),
  :func:`verify` (every file against its recorded SHA-1, with repair), :func:`describe` / :func:`summarize`;
  the data root is ``--root DIR``, else ``$DATAENGINE_DATA``, else ``~/.cache/dataengine`` (:func:`data_root`);
- reading data: :class:`MicroscopyDataset`, :class:`DroneSegmentation`, :class:`DroneClassification`
  (torch ``Dataset``\\ s of raw ``(1, H, W)`` in [0, 1] with targets and camera parameters), :func:`open_reader`;
- splitting: :func:`kfold_splits`.

Importing this package reads no files and opens no connections.
"""

from engine.data.b2_fetch import FetchReport, fetch, open_bucket
from engine.data.catalog import BUCKET_NAME, DATASETS, get_dataset_spec
from engine.data.local_import import ImportReport, import_local
from engine.data.readers import READERS, open_reader
from engine.data.readers_drone import DroneClassification, DroneSegmentation
from engine.data.readers_microscopy import KNOWN_INVALID_FILES, MicroscopyDataset
from engine.data.root import data_root, dataset_dir
from engine.data.safe_unzip import ZipLimits, safe_extract
from engine.data.splits import Fold, kfold_splits, splits_record
from engine.data.summary import describe, summarize
from engine.data.verification import VerifyReport, verify

__all__ = [
    "BUCKET_NAME", "DATASETS", "get_dataset_spec", "fetch", "open_bucket", "FetchReport", "import_local",
    "ImportReport", "verify", "VerifyReport", "describe", "summarize", "data_root", "dataset_dir",
    "MicroscopyDataset", "KNOWN_INVALID_FILES", "DroneSegmentation", "DroneClassification", "READERS",
    "open_reader", "kfold_splits", "Fold", "splits_record", "safe_extract", "ZipLimits",
]
