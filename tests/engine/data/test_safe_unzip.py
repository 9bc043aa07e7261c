"""Safe unzip: members stay inside the folder, links and bombs are refused before anything is written."""

from __future__ import annotations

import hashlib
import stat
import zipfile

import pytest

from engine.data.safe_unzip import ZipLimits, check_member_name, safe_extract
from engine.errors import UserError


def _zip(path, members, *, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            if isinstance(data, zipfile.ZipInfo):
                zf.writestr(data, b"target")
            else:
                zf.writestr(name, data)
    return path


def _written(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_extracts_members_with_their_sha1(tmp_path):
    z = _zip(tmp_path / "a.zip", {"raw_scale100/a.tiff": b"aaaa", "raw_scale100/sub/b.tiff": b"bb", "__MACOSX/._a": b"junk"})
    out = safe_extract(z, tmp_path / "dest")
    assert {(m.name, m.size, m.sha1) for m in out} == {
        ("raw_scale100/a.tiff", 4, hashlib.sha1(b"aaaa").hexdigest()),
        ("raw_scale100/sub/b.tiff", 2, hashlib.sha1(b"bb").hexdigest()),
    }
    assert _written(tmp_path / "dest") == ["raw_scale100/a.tiff", "raw_scale100/sub/b.tiff"]


@pytest.mark.parametrize("evil", ["../../x", "ok/../../x", "/etc/x", "C:/x", "a\\..\\x", "./x"])
def test_escaping_names_are_refused_and_nothing_is_written(tmp_path, evil):
    z = _zip(tmp_path / "a.zip", {"good.tiff": b"fine", evil: b"gotcha"})
    with pytest.raises(UserError, match="refusing a.zip"):
        safe_extract(z, tmp_path / "dest")
    assert not (tmp_path / "dest").exists() or _written(tmp_path / "dest") == []
    assert not (tmp_path / "x").exists()


def test_symlink_member_is_refused(tmp_path):
    link = zipfile.ZipInfo("link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    z = _zip(tmp_path / "a.zip", {"good.tiff": b"fine", "link": link})
    with pytest.raises(UserError, match="symbolic link"):
        safe_extract(z, tmp_path / "dest")
    assert not (tmp_path / "dest" / "good.tiff").exists()


def test_zip_bomb_is_refused_by_ratio_and_by_total(tmp_path):
    z = _zip(tmp_path / "bomb.zip", {"zeros.bin": bytes(4 << 20)})  # 4 MiB of zeros deflate ~1000x
    with pytest.raises(UserError, match="expands .*zip bomb"):
        safe_extract(z, tmp_path / "dest")
    z2 = _zip(tmp_path / "big.zip", {"a": b"1" * 600, "b": b"2" * 600}, compression=zipfile.ZIP_STORED)
    with pytest.raises(UserError, match="more than the limit of 1000 bytes"):
        safe_extract(z2, tmp_path / "dest", ZipLimits(max_total_bytes=1000))
    assert not (tmp_path / "dest").exists() or _written(tmp_path / "dest") == []


def test_duplicate_and_corrupt_members_are_refused(tmp_path):
    z = tmp_path / "dup.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a", b"1")
        with pytest.warns(UserWarning):
            zf.writestr("a", b"2")
    with pytest.raises(UserError, match="appears twice"):
        safe_extract(z, tmp_path / "dest")
    # Flip a byte of stored data: the CRC check refuses the member.
    z2 = _zip(tmp_path / "crc.zip", {"a.bin": b"abcdefgh" * 8}, compression=zipfile.ZIP_STORED)
    data = bytearray(z2.read_bytes())
    data[data.index(b"abcdefgh") + 3] ^= 0xFF
    z2.write_bytes(bytes(data))
    with pytest.raises(UserError, match="corrupt archive"):
        safe_extract(z2, tmp_path / "dest2")
    assert not (tmp_path / "dest2" / "a.bin").exists()


def test_member_name_rules():
    assert check_member_name("raw_scale100/a.tiff").as_posix() == "raw_scale100/a.tiff"
    assert check_member_name("raw_scale100/") .as_posix() == "raw_scale100"
    assert check_member_name("x/.DS_Store") is None
    with pytest.raises(UserError):
        check_member_name("a/\x00b")
