#!/bin/sh
# The AVX512 kernel variant runs on CPUs without AVX512_BF16 (Ice Lake, Cascade Lake) or AVX512_VNNI
# (Skylake-SP), so their instructions may appear only where dispatch enters after checking
# avx512_bf16() / avx512_vnni() (core/cpu_features.h):
#   BF16 (VDPBF16PS, VCVTNE2PS2BF16, VCVTNEPS2BF16):
#     - cpu/gemm/{bf16,fp8,w4a8}_avx512.cpp: the bf16 tile, the FP8 / W4A8 direct tiles, the bf16 roof
#       (their fp8 / u4 -> bf16 conversions, called on any AVX-512 CPU, must not use them);
#     - cpu/hadamard/avx512.cpp: the row kernels instantiated with IoBF16Fast;
#     - cpu/convert/avx512.cpp: to_16bit with kFast (BF16 outputs);
#     - cpu/quant/{avx512,groups_avx512}.cpp: the dequantize kernels instantiated with Put16<BF16, true>;
#   VNNI (VPDPBUSD(S), VPDPWSSD(S)):
#     - cpu/gemm/avx512.cpp: the W8A8 tiles and the int8 roof;
#     - cpu/gemm/w4a16_avx512.cpp: the int8-activation decode (q8_*, VBMI and VNNI checked).
# The AVX-512 files are compiled with -mavx512bf16 -mavx512vnni, so nothing else stops a compiler from
# using these instructions elsewhere. Usage: optional_instructions.sh "<object files, ;-separated>"
set -eu
status=0
checked=0
# $1: object, $2: instruction regex, $3: what; prints the functions that use them
functions_using() {
  objdump -d --no-show-raw-insn -C "$1" | awk -v re="$2" '/^[0-9a-f]+ <.*>:$/ { fn = $0 } $0 ~ re { print fn }' | sort -u
}
report() {  # $1: object, $2: what, $3: offending functions
  if [ -n "$3" ]; then
    echo "$2 instructions outside the kernels that check for them, in $1:"
    printf '%s\n' "$3"
    status=1
  fi
}
old_ifs=$IFS
IFS=';'
for obj in $1; do
  IFS=$old_ifs
  case "$obj" in *.cpp.o) ;; *) continue ;; esac
  checked=$((checked + 1))
  bf16=$(functions_using "$obj" 'vdpbf16ps|vcvtne2ps2bf16|vcvtneps2bf16')
  vnni=$(functions_using "$obj" 'vpdpbusd|vpdpwssd')
  case "$obj" in
    */cpu/gemm/bf16_avx512.cpp.o | */cpu/gemm/fp8_avx512.cpp.o | */cpu/gemm/w4a8_avx512.cpp.o)
      bf16=$(printf '%s\n' "$bf16" | grep -E '_to_bf16' || true) ;;
    */cpu/hadamard/avx512.cpp.o) bf16=$(printf '%s\n' "$bf16" | grep -v 'IoBF16Fast' || true) ;;
    */cpu/convert/avx512.cpp.o) bf16=$(printf '%s\n' "$bf16" | grep -v 'to_16bit<.*BF16, true, ' || true) ;;
    */cpu/quant/avx512.cpp.o | */cpu/quant/groups_avx512.cpp.o) bf16=$(printf '%s\n' "$bf16" | grep -v 'Put16<[^<>]*BF16, true>' || true) ;;
  esac
  case "$obj" in
    */cpu/gemm/avx512.cpp.o) vnni= ;;
    */cpu/gemm/w4a16_avx512.cpp.o) vnni=$(printf '%s\n' "$vnni" | grep -v '::q8_' || true) ;;
  esac
  report "$obj" BF16 "$bf16"
  report "$obj" VNNI "$vnni"
done
IFS=$old_ifs
if [ "$checked" -eq 0 ]; then
  echo "no C++ object files given"
  exit 1
fi
[ "$status" -eq 0 ] && echo "BF16 and VNNI instructions only in the kernels that check for them ($checked objects)"
exit $status
