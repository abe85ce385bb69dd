#!/usr/bin/env bash
# A/B of two builds of liblowbit.so on the GPU machine, in one command so both compare one card: the
# same JMH benchmarks (with the device-copy roof) run once per library, each through LOWBIT_LIBRARY_PATH
# (JMH's fork inherits it), A first, then B. For a kernel change, carry the base build's .so beside
# .gpu (xz-compressed: the device tool carries 64 MiB in all, and the .so is ~21 MB):
#   bash bench/gpu/lib_ab.sh A.so[.xz] B.so[.xz] [JMH regexp] [JMH options...]
# Results: $OUT/jmh-ab-A.json, $OUT/jmh-ab-B.json and their summary lines in the output.
# Each side runs under LOWBIT_AB_TIMEOUT seconds (default 300) — not device.sh's LOWBIT_STEP_TIMEOUT, which
# once cut both sides of an A/B run after it in the same command (lease (25)).
set -uo pipefail
OUT=${OUT:-/tmp/lowbit-gpu-out}
mkdir -p "$OUT" /tmp/jre /tmp/lib-ab
[ -x /tmp/jre/bin/java ] || tar -xJf .gpu/jre.tar.xz -C /tmp/jre
export PATH=/tmp/jre/bin:$PATH
a=$1 b=$2
filter=${3:-"Roof.deviceCopy|HadamardBench.rotate$|HadamardBench.rotateQuantizeInt4|QuantBench.quantize"}
shift $(($# < 3 ? $# : 3))
# No JMH options given: the two row lengths that matter most and f32, which fit ~105 s a side on an H200
# (every length and both dtypes did not fit 150 s; lease (25)).
[ $# -eq 0 ] && set -- -p n=4096,14336 -p dtype=F32
# The library as a plain file (decompressed when carried as .xz).
plain() {
  local f=$1 to=/tmp/lib-ab/$2.so
  case $f in *.xz) xz -dc "$f" > "$to" ;; *) cp "$f" "$to" ;; esac
  echo "$to"
}
for side in A B; do
  if [ $side = A ]; then lib=$(plain "$a" A); else lib=$(plain "$b" B); fi
  echo "== JMH with $side: ${a##*/} / ${b##*/} ($(date +%T))"
  LOWBIT_LIBRARY_PATH=$lib timeout "${LOWBIT_AB_TIMEOUT:-300}" java -jar .gpu/benchmarks.jar "$filter" -p device=cuda -p mib=256 \
    -f 1 -wi 1 -w 1 -i 2 -r 1 "$@" -rf json -rff "$OUT/jmh-ab-$side.json" > "/tmp/lib-ab/jmh-$side.txt"
  echo "jmh ($side) exit: $?"
  grep -E "^(HadamardBench|QuantBench|Roof|EncoderBench|EncoderOpsBench)" "/tmp/lib-ab/jmh-$side.txt"
done
