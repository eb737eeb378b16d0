#!/bin/sh
# `ckpt inspect --stats` against msgpack.unpackb + numpy on a tt-train file written the
# way the Python exporters write it (float64 lists). Reports wall time and peak RSS of
# both (GNU time), and checks that both computed the same statistics.
#
#   bench/ttml_stats_bench.sh            # builds bench/data/ttml_py_export.msgpack once
#   CKPT=path/to/ckpt bench/ttml_stats_bench.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ckpt=${CKPT:-$here/../build/cli/ckpt}
py=/usr/bin/python3
data=$here/data
file=$data/ttml_py_export.msgpack
mkdir -p "$data"
[ -f "$file" ] || "$py" "$here/make_ttml_bench.py" "$file"
echo "file: $file ($(stat -c %s "$file") bytes)"

measure() {  # name, command...
  name=$1
  shift
  /usr/bin/time -v "$@" > "$data/$name.out" 2> "$data/$name.time"
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$data/$name.time")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$data/$name.time")
  echo "$name: wall $wall, peak RSS $rss kB"
}

sync
cat "$file" > /dev/null  # both runs start with the file in the page cache
measure ckpt "$ckpt" inspect --stats --json "$file"
measure numpy "$py" "$here/ttml_stats_numpy.py" "$file"

"$py" - "$data" <<'PY'
import json, re, sys
d = sys.argv[1]
def secs(name):
    t = open(f"{d}/{name}.time").read()
    w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1).split(":")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
    return sum(float(x) * 60 ** i for i, x in enumerate(reversed(w))), rss
(cw, cr), (nw, nr) = secs("ckpt"), secs("numpy")
print(f"speed: ckpt is {nw / cw:.1f}x faster; memory: ckpt uses {cr / nr:.3f} of numpy's peak RSS")
ck = {t["name"]: t["stats"] for t in json.load(open(f"{d}/ckpt.out"))["tensors"]}
npy = json.load(open(f"{d}/numpy.out"))
bad = [k for k, s in npy.items() if ck[k]["count"] != s["count"] or ck[k]["min"] != s["min"] or
       ck[k]["max"] != s["max"] or abs(ck[k]["mean"] - s["mean"]) > 1e-9 + 1e-9 * abs(s["mean"]) or
       abs(ck[k]["std"] - s["std"]) > 1e-9 + 1e-7 * s["std"]]
print(f"statistics agree on {len(npy) - len(bad)} of {len(npy)} tensors" + (f"; differ: {bad[:3]}" if bad else ""))
PY
