#!/usr/bin/env bash
# Disassembles one CUDA source file's sm_90a kernels to SASS on a machine without a GPU, to count
# what the hot loops issue (instructions between a wgmma wait and the next issue, spills, branches)
# before a GPU session times them.
#
#   native/tools/sass.sh native/src/cuda/gemm/fp8.cu > /tmp/fp8.sass     (ptxas -v goes to stderr)
#
# The CUDA 13 toolkit here ships neither cuobjdump nor nvdisasm; Debian's non-free
# nvidia-cuda-toolkit (11.8) has nvdisasm, which knows sm_90 but not CUDA 13's ELF header (ABI
# version 8, new e_flags). The script extracts that nvdisasm into /tmp (apt-get download, no
# install) and rewrites a copy of the cubin's header in the old form (ABI 7, flags of an sm_90
# cubin). The instruction stream is unchanged; 11.8 does not know the wgmma opcodes (GMMA), which it
# leaves out (their addresses are skipped), and may name sm_90 fp8 mma as HMMA. Good for counting and
# reading the scalar code around them, not for anything that depends on those opcodes.
set -euo pipefail
src=${1:?usage: sass.sh FILE.cu}
root=$(cd "$(dirname "$0")/../.." && pwd)
tools=/tmp/lowbit-nvdisasm
nvdisasm=$tools/usr/bin/nvdisasm
if [[ ! -x $nvdisasm ]]; then
  mkdir -p "$tools"
  if ! apt-cache policy nvidia-cuda-toolkit 2>/dev/null | grep -q Candidate:.*[0-9]; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: non-free contrib\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      > /etc/apt/sources.list.d/lowbit-nonfree.sources
    apt-get update -qq
  fi
  (cd "$tools" && apt-get download -qq nvidia-cuda-toolkit 2>/dev/null && dpkg -x nvidia-cuda-toolkit_*.deb . && rm -f nvidia-cuda-toolkit_*.deb)
fi
build=$root/java/target/native-build  # for the generated headers (lowbit_config.h)
cubin=$(mktemp /tmp/sass.XXXXXX.cubin)
trap 'rm -f "$cubin" "$cubin.old"' EXIT
/usr/local/cuda/bin/nvcc -std=c++17 -O3 --expt-relaxed-constexpr -gencode=arch=compute_90a,code=sm_90a \
  -I"$root/native/include" -I"$build/generated" -I"$build" -cubin "$src" -o "$cubin" -Xptxas -v
python3 - "$cubin" "$cubin.old" <<'EOF'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[7], b[8] = 0x33, 7                        # OS/ABI 'CUDA', ABI version 7 (CUDA 11/12 cubins)
struct.pack_into('<I', b, 0x30, 0x005a055a)  # e_flags: sm_90, virtual sm_90, 64-bit addresses
open(sys.argv[2], 'wb').write(b)
EOF
"$nvdisasm" "$cubin.old"
