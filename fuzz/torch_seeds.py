"""Seeds for the torch and safetensors fuzz targets, made from the committed fixtures
(fixtures/torch and tests/torch/data) and small enough for fuzz.sh's -max_len (16384):
libFuzzer cuts longer inputs, which would drop a zip's central directory at the end.

  fuzz_unpickle     every data.pkl of the torch zips, the pickles of the legacy files
                    (with the first storage bytes), the hostile pickles
  fuzz_zip          every torch zip repacked as torch writes it (stored members, local
                    'FB' padding to 64-byte data) with storages cut short, the small
                    genuine torch.save files as they are
  fuzz_safetensors  every safetensors file with all its header entries and its data cut,
                    and a valid file of the entries whose data fits

Nothing here unpickles: pickles are sliced out by offset (pickletools.genops only parses).
"""
import glob
import io
import json
import os
import pickletools
import struct
import zipfile
import zlib

MAX_LEN = 16384
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TORCH_DIRS = [os.path.join(ROOT, "fixtures", "torch"), os.path.join(ROOT, "tests", "torch", "data")]


def _files(*patterns):
    out = []
    for d in TORCH_DIRS:
        for p in patterns:
            out += glob.glob(os.path.join(d, "**", p), recursive=True)
    return sorted(f for f in out if os.sep + "expected" + os.sep not in f)


def _torch_files():
    return [f for f in _files("*.pt", "*.pth", "*.bin") if os.path.basename(f) != "MANIFEST.json"]


def _seed_name(path):
    return os.path.relpath(path, ROOT).replace(os.sep, "_")


def _write(out, name, data):
    if len(data) <= MAX_LEN:
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


def _legacy_pickles_end(data):
    """Offset just past the fifth pickle of a legacy torch.save file, or None."""
    s = io.BytesIO(data)
    try:
        for _ in range(5):
            for _op in pickletools.genops(s):
                pass
    except Exception:
        return None
    return s.tell()


def _repack(z, storage_budget=8192, cut=64, max_storages=None):
    """The archive's members, stored, laid out like torch's writer: local 'FB' extra padding
    each member's data to a 64-byte boundary, none in the central directory. Storage members
    are kept whole while the budget lasts, then cut to `cut` bytes; past max_storages of
    them, left out."""
    out, central, used = bytearray(), bytearray(), 0
    infos, storages = [], 0
    for info in z.infolist():
        storages += "/data/" in info.filename
        if "/data/" not in info.filename or max_storages is None or storages <= max_storages:
            infos.append(info)
    for info in infos:
        data = z.read(info)
        if "/data/" in info.filename:
            if used + len(data) > storage_budget:
                data = data[:cut]
            used += len(data)
        name = info.filename.encode()
        pad = (-(len(out) + 30 + len(name) + 4)) % 64
        extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad
        crc = zlib.crc32(data)
        local = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, crc, len(data), len(data), len(name), len(extra))
        out += name + extra + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0x21, crc, len(data), len(data),
                               len(name), 0, 0, 0, 0, 0, local)
        central += name
    cd = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(infos), len(infos), len(central), cd, 0)
    return bytes(out)


def unpickle_seeds(out):
    for f in _torch_files():
        data = open(f, "rb").read()
        if zipfile.is_zipfile(f):
            with zipfile.ZipFile(f) as z:
                for info in z.infolist():
                    if info.filename.endswith(".pkl"):
                        _write(out, _seed_name(f) + "_" + info.filename.replace("/", "_"), z.read(info))
        else:
            end = _legacy_pickles_end(data)
            if end is not None:
                _write(out, _seed_name(f), data[:min(len(data), end + 256, MAX_LEN)])
    for f in _files("*.pkl"):
        _write(out, _seed_name(f), open(f, "rb").read())


def zip_seeds(out):
    for f in _torch_files():
        if not zipfile.is_zipfile(f):
            continue
        data = open(f, "rb").read()
        if len(data) <= MAX_LEN:
            _write(out, _seed_name(f), data)
        else:
            with zipfile.ZipFile(f) as z:
                # The smallest cut of the storages that fits (a train.py checkpoint has
                # 80 members: its headers alone take a few KB). The last resort leaves out
                # storages (torch.missing_storage findings) rather than the seed.
                tiers = [(8192, 64, None), (2048, 16, None)] + [(0, 0, n) for n in (48, 32, 16, 8, 0)]
                for budget, cut, keep in tiers:
                    packed = _repack(z, budget, cut, keep)
                    if len(packed) <= MAX_LEN:
                        break
                _write(out, _seed_name(f) + ".repacked", packed)
    for f in _files("*.zip"):
        _write(out, _seed_name(f), open(f, "rb").read())


def _safetensors(header, body):
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body


def safetensors_seeds(out):
    for f in _files("*.safetensors"):
        data = open(f, "rb").read()
        if len(data) <= MAX_LEN:
            _write(out, _seed_name(f), data)
            continue
        n = struct.unpack("<Q", data[:8])[0]
        header_end = 8 + n
        # Every entry, the data cut: one safetensors.data_past_eof, all the tokens.
        _write(out, _seed_name(f) + ".cut", data[:max(header_end, min(len(data), MAX_LEN))])
        # A valid file of the entries (in offset order) whose data fits.
        header = json.loads(data[8:header_end])
        entries = sorted(((k, v) for k, v in header.items() if k != "__metadata__"), key=lambda kv: kv[1]["data_offsets"])
        kept, body = {}, b""
        if "__metadata__" in header:
            kept["__metadata__"] = header["__metadata__"]
        for k, v in entries:
            b, e = v["data_offsets"]
            if len(body) + (e - b) > MAX_LEN // 2:
                continue
            kept[k] = dict(v, data_offsets=[len(body), len(body) + e - b])
            body += data[header_end + b:header_end + e]
        _write(out, _seed_name(f) + ".subset", _safetensors(kept, body))


SEEDS = {"fuzz_unpickle": unpickle_seeds, "fuzz_zip": zip_seeds, "fuzz_safetensors": safetensors_seeds}
