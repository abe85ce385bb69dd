#!/usr/bin/env bash
# Regenerates the FFM bindings in src/main/java from native/include/lowbit.h.
# Usage: bindings/regenerate.sh /path/to/jextract
# jextract is not in any package registry: build it from the openjdk/jextract sources
# (see bindings/README.md). Commit the generated sources, never jextract itself.
set -euo pipefail
jextract=${1:?usage: bindings/regenerate.sh /path/to/jextract}
here=$(cd "$(dirname "$0")" && pwd)
out=$here/src/main/java
rm -rf "$out/dev/lowbit/bindings"
header=$here/../native/include/lowbit.h
# Only lowbit's own declarations (not the stdint.h/glibc macros the header pulls in).
includes=()
for f in $(sed -n 's/^LB_API[^(]*[ *]\(lb_[a-z0-9_]*\)(.*/\1/p' "$header"); do includes+=(--include-function "$f"); done
for c in $(sed -n 's/^#define \(LB_[A-Z0-9_]*\) .*/\1/p' "$header"); do includes+=(--include-constant "$c"); done
for t in $(sed -n 's/^typedef [a-z0-9_ ]*[ *]\(lb_[a-z0-9_]*\);$/\1/p' "$header"); do includes+=(--include-typedef "$t"); done
for s in $(sed -n 's/^typedef struct \(lb_[a-z0-9_]*\) {$/\1/p' "$header"); do includes+=(--include-struct "$s"); done
# No --library: the generated code looks symbols up with SymbolLookup.loaderLookup(), so it
# sees the liblowbit.so that dev.lowbit.ffi.NativeLibrary extracted and System.load()ed.
"$jextract" \
  --output "$out" \
  --target-package dev.lowbit.bindings \
  --header-class-name lowbit_h \
  "${includes[@]}" \
  "$header"
echo "regenerated $(find "$out/dev/lowbit/bindings" -name '*.java' | wc -l) files in $out/dev/lowbit/bindings"
