"""Fetch a dataset from the ``perturbed-minds`` B2 bucket with b2sdk, resumably and with every SHA-1 checked.

    fetch("microscopy", root)              # credentials from B2_APPLICATION_KEY_ID / B2_APPLICATION_KEY
    fetch("microscopy", root, bucket=b)    # any already-authorised b2sdk Bucket (tests pass a RawSimulator one)

For each object under the dataset's bucket folders (:mod:`engine.data.catalog`):

1. its key must be a safe relative path below the folder (a ``..`` component, an absolute path, a backslash
   or NUL refuses the whole fetch before anything is downloaded);
2. its expected SHA-1 is ``content_sha1`` (small files) or ``file_info['large_file_sha1']`` (large files,
   whose ``content_sha1`` is ``none``); an object with neither is refused;
3. it is skipped when it is already complete locally: a plain file present with the right size and SHA-1, or
   an archive whose unpacked members the index records and that all still match their size and SHA-1;
4. otherwise it is downloaded into a temporary file beside its target (b2sdk's own retries resume truncated
   transfers and re-authorise expired tokens), its SHA-1 is checked — a mismatch is refused and the temporary
   file removed — and it is renamed into place; archives go to ``.downloads/``, are unpacked with
   :func:`engine.data.safe_unzip.safe_extract` and then deleted (``keep_archives=True`` keeps them);
5. the index (:mod:`engine.data.file_index`) is rewritten after every completed object.

An interrupted fetch (error, Ctrl-C, SIGKILL) leaves complete files only; temporary files a killed process left
behind are removed by the next fetch, which completes the job. Limits: objects are fetched one at a time (b2sdk
parallelises within large files); re-checking a complete dataset reads every file once to hash it.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from engine.data.catalog import BUCKET_NAME, DatasetSpec, get_dataset_spec
from engine.data.checksums import file_matches, is_sha1, sha1_file
from engine.data.file_index import FileIndex, load_index, save_index
from engine.data.safe_unzip import ZipLimits, safe_extract
from engine.errors import UserError
from engine.layout import parse_intensity_folder
from engine.output import atomic_path

__all__ = ["KEY_ID_ENV", "KEY_ENV", "RemoteFile", "FetchReport", "open_bucket", "list_remote", "fetch"]

KEY_ID_ENV = "B2_APPLICATION_KEY_ID"
KEY_ENV = "B2_APPLICATION_KEY"
DOWNLOADS_DIR = ".downloads"
_PLACEHOLDER = ".bzEmpty"
# Temporary files of engine.output.atomic_path: ".<name>.<8 random chars>.tmp<suffix>".
_STALE_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp(\.[^/]*)?$")


@dataclass(frozen=True)
class RemoteFile:
    key: str  # bucket key
    file_id: str
    size: int
    sha1: str
    local: str  # target relative to the dataset folder (POSIX); for archives the folder to unpack into
    archive: bool


@dataclass
class FetchReport:
    dataset: str
    folder: Path
    downloaded: list[str] = field(default_factory=list)  # keys
    unpacked: list[str] = field(default_factory=list)  # archive keys unpacked (downloaded or kept)
    current: list[str] = field(default_factory=list)  # keys already complete locally
    bytes_downloaded: int = 0
    dry_run: bool = False
    planned_bytes: int = 0


def open_bucket(bucket_name: str = BUCKET_NAME) -> Any:
    """Authorise with the key in ``$B2_APPLICATION_KEY_ID`` / ``$B2_APPLICATION_KEY`` and open the bucket."""
    key_id = os.environ.get(KEY_ID_ENV, "").strip()
    key = os.environ.get(KEY_ENV, "").strip()
    missing = [n for n, v in ((KEY_ID_ENV, key_id), (KEY_ENV, key)) if not v]
    if missing:
        raise UserError(
            f"B2 credentials missing: {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set; "
            f"export {KEY_ID_ENV} and {KEY_ENV} (keys are read from the environment only)"
        )
    from b2sdk.v2 import B2Api, InMemoryAccountInfo
    from b2sdk.v2.exception import B2ConnectionError, B2Error

    api = B2Api(InMemoryAccountInfo())
    try:
        api.authorize_account("production", key_id, key)
        return api.get_bucket_by_name(bucket_name)
    except B2ConnectionError as exc:
        raise UserError(f"cannot reach B2 (after b2sdk's retries): {exc}") from None
    except B2Error as exc:
        # The message of b2sdk's errors never contains the key itself.
        raise UserError(f"B2 refused access to bucket {bucket_name!r} with the key from {KEY_ID_ENV}: {exc}") from None


def _safe_relative(key: str, prefix: str) -> PurePosixPath:
    rel = key[len(prefix) + 1:]
    if "\x00" in key or "\\" in key:
        raise UserError(f"refusing bucket key {key!r}: it contains a backslash or NUL byte")
    if rel.startswith("/") or re.match(r"^[A-Za-z]:", rel):
        raise UserError(f"refusing bucket key {key!r}: it is an absolute path")
    parts = rel.split("/")
    if any(p in ("..", ".", "") for p in parts):
        raise UserError(f"refusing bucket key {key!r}: it has a '..', '.' or empty component (it would escape the folder)")
    return PurePosixPath(*parts)


def _expected_sha1(version: Any) -> str:
    sha1 = getattr(version, "content_sha1", None)
    if isinstance(sha1, str) and sha1.startswith("unverified:"):
        sha1 = sha1[len("unverified:"):]
    if is_sha1(sha1):
        return sha1
    large = (getattr(version, "file_info", None) or {}).get("large_file_sha1")
    if is_sha1(large):
        return large
    raise UserError(f"refusing bucket object {version.file_name!r}: B2 records no SHA-1 for it (content_sha1 or large_file_sha1)")


def list_remote(bucket: Any, spec: DatasetSpec) -> list[RemoteFile]:
    """Every object of the dataset in ``bucket``, validated (keys, SHA-1s) before anything is downloaded."""
    from b2sdk.v2.exception import B2Error

    out: list[RemoteFile] = []
    for folder in spec.folders:
        try:
            listing = list(bucket.ls(folder.prefix, recursive=True))
        except B2Error as exc:
            raise UserError(f"cannot list {folder.prefix!r} in the bucket: {exc}") from None
        for version, _ in listing:
            key = version.file_name
            if not key.startswith(folder.prefix + "/") or key.endswith(("/" + _PLACEHOLDER, "/")):
                continue
            rel = _safe_relative(key, folder.prefix)
            archive = rel.suffix.lower() == ".zip"
            local = PurePosixPath(folder.local, *rel.parent.parts) if archive else PurePosixPath(folder.local, *rel.parts)
            out.append(RemoteFile(key, str(version.id_), int(version.size), _expected_sha1(version), local.as_posix(), archive))
    if not out:
        raise UserError(f"the bucket has no files for dataset {spec.name!r} under {', '.join(f.prefix for f in spec.folders)}")
    return out


def _archive_path(folder: Path, rf: RemoteFile) -> Path:
    return folder / DOWNLOADS_DIR / PurePosixPath(rf.key).as_posix()


def _is_current(rf: RemoteFile, folder: Path, index: FileIndex) -> bool:
    """Complete locally? Records a plain file found intact without an index entry."""
    if not rf.archive:
        if file_matches(folder / rf.local, rf.size, rf.sha1):
            index.record(rf.local, rf.size, rf.sha1, f"b2:{rf.key}")
            return True
        return False
    return index.archive_intact(rf.key, rf.sha1, folder)


def _remove_stale_temps(folder: Path) -> int:
    removed = 0
    if not folder.is_dir():
        return 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            if _STALE_TEMP.match(name):
                Path(dirpath, name).unlink(missing_ok=True)
                removed += 1
    return removed


class _Bar:
    """One tqdm bar over all bytes; also a b2sdk progress listener (cumulative bytes per file)."""

    def __init__(self, total: int, quiet: bool):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc="fetch", unit="B", unit_scale=True, unit_divisor=1024,
                        disable=quiet, file=sys.stderr, dynamic_ncols=True, leave=False)

    def listener(self) -> Any:
        from b2sdk.v2 import AbstractProgressListener

        bar = self.bar

        class _Listener(AbstractProgressListener):
            def __init__(self) -> None:
                super().__init__()
                self.done = 0

            def set_total_bytes(self, total_byte_count: int) -> None:
                pass

            def bytes_completed(self, byte_count: int) -> None:
                bar.update(max(0, byte_count - self.done))
                self.done = byte_count

        return _Listener()

    def close(self) -> None:
        self.bar.close()


def _download(bucket: Any, rf: RemoteFile, target: Path, bar: _Bar) -> None:
    """Download ``rf`` to ``target`` atomically; a SHA-1 mismatch is refused and nothing is left on disk."""
    from b2sdk.v2.exception import B2Error, ChecksumMismatch

    listener = bar.listener()
    try:
        with atomic_path(target) as tmp:
            try:
                bucket.download_file_by_id(rf.file_id, progress_listener=listener).save_to(tmp)
            except ChecksumMismatch:
                raise UserError(f"refused {rf.key!r}: its content does not match the SHA-1 B2 records ({rf.sha1})") from None
            except B2Error as exc:
                raise UserError(f"download of {rf.key!r} failed: {exc}") from None
            size = tmp.stat().st_size
            actual = sha1_file(tmp)
            if size != rf.size or actual != rf.sha1:
                raise UserError(
                    f"refused {rf.key!r}: got {size} bytes with SHA-1 {actual}, B2 records {rf.size} bytes "
                    f"with SHA-1 {rf.sha1}"
                )
    finally:
        listener.close()


def _wanted(rf: RemoteFile, intensities: tuple[float, ...] | None) -> bool:
    """Archives named ``raw_scaleNNN.zip`` are fetched only for the chosen intensities; the rest always."""
    if intensities is None or not rf.archive:
        return True
    r = parse_intensity_folder(PurePosixPath(rf.key).stem)
    return r is None or any(abs(r - w) < 1e-9 for w in intensities)


def fetch(dataset: str, root: str | os.PathLike, bucket: Any = None, *, dry_run: bool = False, quiet: bool = True,
          keep_archives: bool = False, intensities: tuple[float, ...] | None = None,
          limits: ZipLimits = ZipLimits()) -> FetchReport:
    """Fetch ``dataset`` (``microscopy`` or ``drone``) into ``root/<dataset>``; see the module docstring.

    ``bucket``: an authorised b2sdk ``Bucket``; ``None`` opens ``perturbed-minds`` with the credentials in
    ``$B2_APPLICATION_KEY_ID`` / ``$B2_APPLICATION_KEY``. ``dry_run`` lists and checks without writing.
    ``intensities`` limits the ``raw_scaleNNN.zip`` archives fetched (Raw-Drone is ≈ 22 GB of TIFFs per intensity);
    labels and masks are always fetched.
    """
    spec = get_dataset_spec(dataset)
    folder = Path(root) / spec.name
    if bucket is None:
        bucket = open_bucket()
    remote = [rf for rf in list_remote(bucket, spec) if _wanted(rf, intensities)]
    report = FetchReport(dataset=spec.name, folder=folder, dry_run=dry_run)
    index = load_index(folder) or FileIndex(dataset=spec.name)
    if index.dataset != spec.name:
        raise UserError(f"{folder} holds dataset {index.dataset!r}, not {spec.name!r}")
    if not dry_run:
        _remove_stale_temps(folder)
    todo: list[RemoteFile] = []
    for rf in remote:
        if _is_current(rf, folder, index):
            report.current.append(rf.key)
        else:
            todo.append(rf)
    to_download = [rf for rf in todo if not (rf.archive and file_matches(_archive_path(folder, rf), rf.size, rf.sha1))]
    report.planned_bytes = sum(rf.size for rf in to_download)
    if dry_run:
        report.downloaded = [rf.key for rf in to_download]
        report.unpacked = [rf.key for rf in todo if rf.archive]
        return report
    if report.current:
        save_index(folder, index)  # files found intact without an index entry
    download_keys = {rf.key for rf in to_download}
    bar = _Bar(report.planned_bytes, quiet)
    try:
        for rf in todo:
            target = _archive_path(folder, rf) if rf.archive else folder / rf.local
            if rf.key in download_keys:
                _download(bucket, rf, target, bar)
                report.downloaded.append(rf.key)
                report.bytes_downloaded += rf.size
            if rf.archive:
                members = safe_extract(target, folder / rf.local, limits)
                names = []
                for m in members:
                    rel = (PurePosixPath(rf.local) / m.name).as_posix()
                    index.record(rel, m.size, m.sha1, f"b2:{rf.key}")
                    names.append(rel)
                index.remote[rf.key] = {"sha1": rf.sha1, "size": rf.size, "members": sorted(names)}
                report.unpacked.append(rf.key)
            else:
                index.record(rf.local, rf.size, rf.sha1, f"b2:{rf.key}")
                index.remote[rf.key] = {"sha1": rf.sha1, "size": rf.size, "members": [rf.local]}
            save_index(folder, index)
            if rf.archive and not keep_archives:
                target.unlink(missing_ok=True)
    finally:
        bar.close()
    return report
