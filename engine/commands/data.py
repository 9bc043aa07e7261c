"""``dataengine data fetch|import|verify|info``: get the reference datasets, check them, and see what is there.

    dataengine data fetch microscopy|drone [--root DIR] [--dry-run] [--keep-archives] [--intensities 1.0,0.05]
    dataengine data import PATH --dataset microscopy|drone [--root DIR] [--link]
    dataengine data verify [--root DIR] [--dataset NAME] [--repair]
    dataengine data info [PATH] [--root DIR] [--dataset NAME] [--json]

The data root is ``--root DIR``, else ``$DATAENGINE_DATA``, else ``~/.cache/dataengine``. ``fetch`` reads the B2
key from ``$B2_APPLICATION_KEY_ID`` / ``$B2_APPLICATION_KEY`` only. ``verify`` exits 1 when a file is missing or
corrupt (and was not repaired). Heavy imports (torch, b2sdk) happen only when an action runs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.cli import add_common
from engine.errors import UserError

_DATASETS = "microscopy|drone"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "data",
        help="fetch, import, verify and describe the Raw-Microscopy / Raw-Drone datasets",
        description="Get the reference datasets (B2 bucket perturbed-minds, or a local copy), verify every file "
        "against its SHA-1 and show what a data root holds. Root: --root, else $DATAENGINE_DATA, else "
        "~/.cache/dataengine.",
    )
    add_common(p)
    p.set_defaults(run=_no_action)
    actions = p.add_subparsers(dest="data_action", metavar="ACTION")

    f = actions.add_parser("fetch", help="download a dataset from B2 (resumable, every SHA-1 checked)",
                           description="Download a dataset from the B2 bucket perturbed-minds with the key in "
                           "$B2_APPLICATION_KEY_ID / $B2_APPLICATION_KEY. Files already complete are not downloaded "
                           "again; an interrupted fetch completes when run again.")
    f.add_argument("dataset", help=_DATASETS)
    f.add_argument("--root", type=Path, help="data root (default $DATAENGINE_DATA or ~/.cache/dataengine)")
    f.add_argument("--dry-run", action="store_true", help="list what would be downloaded; write nothing")
    f.add_argument("--keep-archives", action="store_true", help="keep downloaded .zip archives after unpacking")
    f.add_argument("--intensities", help="only these intensity archives, e.g. 1.0,0.05 (default all; labels and masks always)")
    add_common(f)
    f.set_defaults(run=run_fetch)

    i = actions.add_parser("import", help="import a local copy (a folder or .zip, e.g. the Zenodo download)",
                           description="Copy a local copy of a dataset into the data root, recording every "
                           "file's SHA-1. PATH is a folder or a .zip holding the dataset layout at most three levels down.")
    i.add_argument("path", type=Path, help="folder or .zip archive")
    i.add_argument("--dataset", required=True, help=_DATASETS)
    i.add_argument("--root", type=Path, help="data root (default $DATAENGINE_DATA or ~/.cache/dataengine)")
    i.add_argument("--link", action="store_true", help="hard-link files instead of copying (same filesystem)")
    add_common(i)
    i.set_defaults(run=run_import)

    v = actions.add_parser("verify", help="check every file against its recorded SHA-1",
                           description="Check every fetched or imported file against the SHA-1 in the dataset's "
                           "index.json. Exit code 1 when a file is missing or corrupt; --repair fetches or imports "
                           "those files again.")
    v.add_argument("--root", type=Path, help="data root (default $DATAENGINE_DATA or ~/.cache/dataengine)")
    v.add_argument("--dataset", action="append", help=f"{_DATASETS} (repeatable; default: all under the root)")
    v.add_argument("--repair", action="store_true", help="re-fetch / re-import missing or corrupt files")
    add_common(v)
    v.set_defaults(run=run_verify)

    n = actions.add_parser("info", help="what is there: counts per intensity and class, tiles, size",
                           description="Describe the datasets under the data root, or the dataset folder PATH "
                           "(e.g. a synthetic one). Opens each with its reader, so a malformed dataset is reported.")
    n.add_argument("path", nargs="?", type=Path, help="a dataset folder (default: every dataset under the root)")
    n.add_argument("--root", type=Path, help="data root (default $DATAENGINE_DATA or ~/.cache/dataengine)")
    n.add_argument("--dataset", help=f"{_DATASETS}: the layout of PATH (default: guessed)")
    n.add_argument("--json", action="store_true", help="print JSON")
    add_common(n)
    n.set_defaults(run=run_info)


def _no_action(args: argparse.Namespace) -> int:
    raise UserError("dataengine data: expected an action: fetch, import, verify or info (see --help)")


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def run_fetch(args: argparse.Namespace) -> int:
    from engine.data import data_root, fetch, get_dataset_spec

    from engine.layout import parse_intensities

    get_dataset_spec(args.dataset)  # unknown names fail before credentials are looked at
    intensities = parse_intensities(args.intensities) if args.intensities else None
    root = data_root(args.root)
    r = fetch(args.dataset, root, dry_run=args.dry_run, quiet=args.quiet, keep_archives=args.keep_archives,
              intensities=intensities)
    if args.dry_run:
        print(f"{r.dataset}: would download {len(r.downloaded)} files ({_size(r.planned_bytes)}) and unpack "
              f"{len(r.unpacked)} archives into {r.folder}; {len(r.current)} already complete")
        for key in r.downloaded:
            print(f"  {key}")
    elif not args.quiet:
        print(f"{r.dataset}: downloaded {len(r.downloaded)} files ({_size(r.bytes_downloaded)}), unpacked "
              f"{len(r.unpacked)} archives, {len(r.current)} already complete -> {r.folder}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from engine.data import data_root, import_local

    r = import_local(args.path, args.dataset, data_root(args.root), quiet=args.quiet, link=args.link)
    if not args.quiet:
        print(f"{r.dataset}: copied {len(r.copied)} files, unpacked {len(r.unpacked)} archives, "
              f"{len(r.unchanged)} unchanged -> {r.folder}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from engine.data import data_root, verify

    reports = verify(data_root(args.root), args.dataset, repair=args.repair, quiet=args.quiet)
    bad = False
    for r in reports:
        repaired = set(r.repaired)
        for rel in r.missing:
            print(f"{'repaired' if rel in repaired else 'missing'}: {r.dataset}/{rel}")
        for rel in r.corrupt:
            print(f"{'repaired' if rel in repaired else 'corrupt'}: {r.dataset}/{rel}")
        n_bad = len(set(r.missing + r.corrupt) - repaired)
        bad |= n_bad > 0
        print(f"{r.dataset}: {r.checked} files checked, {n_bad} missing or corrupt"
              + (f", {len(repaired)} repaired" if repaired else ""))
    return 1 if bad else 0


def run_info(args: argparse.Namespace) -> int:
    from engine.data import data_root, describe, summarize
    from engine.data.summary import format_summary

    if args.path is not None:
        items = [describe(args.path, args.dataset)]
    else:
        if args.dataset:
            raise UserError("--dataset names the layout of PATH; without PATH every dataset under the root is shown")
        root = data_root(args.root)
        items = summarize(root)
        if not items:
            if args.json:
                print("[]")
            else:
                print(f"no datasets under {root} (dataengine data fetch microscopy|drone, or data import PATH)")
            return 0
    print(json.dumps(items, indent=2) if args.json else format_summary(items))
    return 0
