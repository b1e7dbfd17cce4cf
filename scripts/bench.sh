#!/usr/bin/env bash
# Whole-process benchmark of smpmatch on a reproducible 12-megapixel JPEG, against the
# decode floor, the kmeans_colors CLI and a hand-written Python pipeline.
#   bash scripts/bench.sh            (RUNS=5 by default; peers are installed under target/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
B=target/bench
mkdir -p "$B"
cargo build --release --quiet
cargo build --release --quiet --example decode --example make_samples
[ -f "$B/shaved_12mp.jpg" ] || target/release/examples/make_samples --large "$B/shaved_12mp.jpg"
args=(decode=target/release/examples/decode smpmatch=target/release/smpmatch)
if [ ! -x "$B/tools/bin/kmeans_colors" ]; then
  cargo install --quiet --root "$B/tools" kmeans_colors@0.7.1 || echo "kmeans_colors CLI not installed" >&2
fi
[ -x "$B/tools/bin/kmeans_colors" ] && args+=(kmeans_colors="$B/tools/bin/kmeans_colors")
if [ ! -x "$B/venv/bin/python" ]; then
  python3 -m venv "$B/venv" && "$B/venv/bin/pip" install -q pillow colour-science scikit-learn \
    || echo "Python pipeline not installed" >&2
fi
[ -x "$B/venv/bin/python" ] && args+=(python="$B/venv/bin/python" py_pipeline=scripts/py_pipeline.py)
# Batch throughput: the shipped head photos, twice each (14 photos of 0.3–1.9 MP; the card
# photo is left out: match refuses a photo that holds a colour card).
rm -rf "$B/batch" && mkdir -p "$B/batch"
for f in samples/*.jpg; do
  n=$(basename "$f" .jpg)
  [ "$n" = card_clinic ] && continue
  cp "$f" "$B/batch/$n-a.jpg"; cp "$f" "$B/batch/$n-b.jpg"
done
args+=(batch_dir="$B/batch")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/{print $2}') GiB"
python3 scripts/bench.py "$B/shaved_12mp.jpg" pigments/smp_sample.json "${args[@]}"
