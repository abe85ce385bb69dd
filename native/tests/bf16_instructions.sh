#!/bin/sh
# The AVX512 kernel variant runs on CPUs without AVX512_BF16 (Ice Lake, Cascade Lake), so the BF16
# instructions (VDPBF16PS, VCVTNE2PS2BF16, VCVTNEPS2BF16) may appear only where dispatch enters after
# checking avx512_bf16() (core/cpu_features.h):
#   - cpu/gemm/{bf16,fp8,w4a8}_avx512.cpp: the bf16 tile, the FP8 / W4A8 direct tiles, the bf16 roof
#     (their fp8 / u4 -> bf16 conversions, called on any AVX-512 CPU, must not use them);
#   - cpu/hadamard/avx512.cpp: the row kernels instantiated with IoBF16Fast.
# The AVX-512 files are compiled with -mavx512bf16, so nothing else stops a compiler from using
# these instructions elsewhere. Usage: bf16_instructions.sh "<object files, ;-separated>"
set -eu
status=0
checked=0
old_ifs=$IFS
IFS=';'
for obj in $1; do
  IFS=$old_ifs
  case "$obj" in *.cpp.o) ;; *) continue ;; esac
  checked=$((checked + 1))
  hits=$(objdump -d --no-show-raw-insn -C "$obj" |
    awk '/^[0-9a-f]+ <.*>:$/ { fn = $0 } /vdpbf16ps|vcvtne2ps2bf16|vcvtneps2bf16/ { print fn }' | sort -u)
  [ -z "$hits" ] && continue
  case "$obj" in
    */cpu/gemm/bf16_avx512.cpp.o | */cpu/gemm/fp8_avx512.cpp.o | */cpu/gemm/w4a8_avx512.cpp.o)
      bad=$(printf '%s\n' "$hits" | grep -E '_to_bf16' || true) ;;
    */cpu/hadamard/avx512.cpp.o)
      bad=$(printf '%s\n' "$hits" | grep -v 'IoBF16Fast' || true) ;;
    *) bad=$hits ;;
  esac
  if [ -n "$bad" ]; then
    echo "BF16 instructions outside the avx512_bf16()-checked kernels, in $obj:"
    printf '%s\n' "$bad"
    status=1
  fi
done
IFS=$old_ifs
if [ "$checked" -eq 0 ]; then
  echo "no C++ object files given"
  exit 1
fi
[ "$status" -eq 0 ] && echo "BF16 instructions only in the checked kernels ($checked objects)"
exit $status
