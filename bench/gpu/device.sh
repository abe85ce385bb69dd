#!/usr/bin/env bash
# Runs on the GPU machine, from the repository root, over what bench/gpu/pack.sh put in .gpu/:
# the JUnit tests that use the GPU (the rest of the suite and the host roofs only with LOWBIT_FULL_SUITE=1), the
# GEMM peers (bench/gpu/peer_gemm.py: lowbit's CUDA GEMMs checked and timed beside PyTorch; --quick
# unless LOWBIT_GEMM_FULL=" " is set; LOWBIT_GEMM_ONLY=1 stops there; LOWBIT_SANITIZE=1 first runs the
# CUDA kernel tests, small shapes, under compute-sanitizer memcheck; LOWBIT_PROFILE=1 first profiles the
# kernels below their goals with ncu (bench/gpu/profile.py, $OUT/ncu.csv)), the encoder, Hadamard and
# quantize benchmarks on the GPU, and the PyTorch peers (device copy, FWHT), all in one command so
# every ratio compares one card.
# Results go to $OUT (junit-reports.tar.gz, jmh*.json, peer*.json, ncu.csv, log: 8 files at most come back).
# LOWBIT_STEPS="junit gemm forms encoder-test profile sanitize peer-gemm m1-tc gemm-forms jmh-encoder jmh-kernels
# jmh-quant-four peers" (any subset, any order written; they run in the order below) runs only the steps named,
# for a lease too short for the whole script; unset, the flags above choose as before.
set -uo pipefail
# Each step of the GPU part runs under `timeout` (LOWBIT_STEP_TIMEOUT seconds, default 300): a hung
# kernel then costs one step (exit 124 in the log), not the whole command's device time.
OUT=${OUT:-/tmp/lowbit-gpu-out}
mkdir -p "$OUT" /tmp/jre
tar -xJf .gpu/jre.tar.xz -C /tmp/jre
export PATH=/tmp/jre/bin:$PATH
CP=".gpu/test-classes:$(ls .gpu/lib/*.jar | tr '\n' ':')"
# pack.sh with LOWBIT_AB_BASE strips the library from the JMH jar: its benchmarks load the new build.
if [ -f .gpu/new.so.xz ]; then
  xz -dc .gpu/new.so.xz > /tmp/lowbit-new.so && export LOWBIT_LIBRARY_PATH=/tmp/lowbit-new.so
fi
# junit_step SECONDS REPORTS-DIR SELECTORS...: one JUnit console run, its test-by-test lines kept.
junit_step() {
  local seconds=$1 reports=$2
  shift 2
  timeout -s QUIT -k 5 "$seconds" java --enable-native-access=ALL-UNNAMED -Dlowbit.header=native/include/lowbit.h \
    -jar .gpu/junit-console.jar execute --disable-banner --details=verbose --disable-ansi-colors -cp "$CP" \
    --reports-dir "$reports" "$@" |
    grep --line-buffered -E '─ [a-zA-Z0-9]+\(|duration:|status:|caught:|at dev\.lowbit\.|^cosine|"main"|tests (successful|failed|aborted)|Full thread dump'
  return "${PIPESTATUS[0]}"
}
# sanitize_step REPORTS-DIR SELECTORS...: one JUnit console run, small shapes, under compute-sanitizer memcheck.
sanitize_step() {
  local reports=$1
  shift
  timeout "${LOWBIT_STEP_TIMEOUT:-300}" compute-sanitizer --tool memcheck --leak-check no --print-limit 20 \
    java --enable-native-access=ALL-UNNAMED -Dlowbit.cuda.small=true -jar .gpu/junit-console.jar execute --disable-banner \
    --details=summary -cp "$CP" --reports-dir "$reports" "$@"
}
# want STEP: whether LOWBIT_STEPS names STEP (every step when LOWBIT_STEPS is unset).
want() { [ -z "${LOWBIT_STEPS:-}" ] || [[ " $LOWBIT_STEPS " == *" $1 "* ]]; }
# flagged STEP VALUE: a step that runs on request only — named in LOWBIT_STEPS, or its flag (VALUE) set.
flagged() { if [ -n "${LOWBIT_STEPS:-}" ]; then want "$1"; else [ -n "$2" ]; fi; }
# What comes back from $OUT is at most 8 files: the JUnit report folders go into one archive.
pack_reports() {
  (cd "$OUT" && tar -czf junit-reports.tar.gz junit* 2>/dev/null && rm -rf junit junit-*/)
  # LOWBIT_PROFILE and LOWBIT_FULL_SUITE together leave nine: the JMH results then travel as one archive.
  (cd "$OUT" && [ "$(ls | wc -l)" -gt 8 ] && tar -czf jmh-json.tar.gz jmh*.json && rm -f jmh*.json)
}
{
  nvidia-smi -L
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv
  java -version 2>&1 | head -1
  # The tests that need the GPU first (device time is short; CI runs the CPU tests on every change),
  # the rest of the suite at the end unless LOWBIT_GEMM_ONLY is set. Verbose details stream each test's
  # result and duration as it ends; a step that runs out of time gets SIGQUIT first (a thread dump
  # shows where it stood), then SIGKILL.
  GPU_TESTS='.*(Cuda.*Test|ConvertValidationTest|NativeErrorsTest)'
  # LOWBIT_BENCH_ONLY=1 skips to the benchmarks after LOWBIT_GEMM_ONLY's stop: the whole script overruns
  # one device call (10 minutes) once LOWBIT_PROFILE or LOWBIT_SANITIZE is set, so it runs as two calls —
  # LOWBIT_GEMM_ONLY=1 (tests, profile, sanitizer, GEMM peers), then LOWBIT_BENCH_ONLY=1.
  if [ -z "${LOWBIT_BENCH_ONLY:-}" ]; then
  if want junit; then
  echo "== JUnit: the tests that use the GPU, GEMM last ($(date +%T))"
  junit_step "${LOWBIT_STEP_TIMEOUT:-300}" "$OUT/junit" --select-package dev.lowbit --include-classname "$GPU_TESTS" \
    --exclude-package dev.lowbit.model --exclude-package dev.lowbit.embed --exclude-classname '.*GemmCudaTest'
  echo "junit exit: $?"
  fi
  if want gemm; then
  echo "== JUnit: GemmCudaTest ($(date +%T))"
  junit_step "${LOWBIT_STEP_TIMEOUT:-300}" "$OUT/junit-gemm" --select-class dev.lowbit.gemm.GemmCudaTest
  echo "junit (GEMM) exit: $?"
  fi
  # The wgmma GEMMs' other kernel forms (LOWBIT_CUDA_WS, wg_ws_gemm.cuh's ws_form; the defaults are W8A8 on
  # the warp-specialised kernel, FP8 on the cp.async one): 0 the cp.async kernel, 1 the warp-specialised
  # one, 2 its clusters of two sharing activation rows by TMA multicast; the warp-specialised FP8 with
  # its weights by cp.async (LOWBIT_CUDA_FP8_TMA_WEIGHTS=0); and both GEMMs on a K-major copy of their
  # weights read by both-operands-in-shared-memory wgmmas (LOWBIT_CUDA_KMAJOR=1, the default from m = 2048, alone and
  # clustered) — so each GEMM also runs the forms it does not take by default. The W8A8 (bit for bit with the CPU) and FP8 tests, every shape the wgmma path can take
  # sent there, small shapes. A protocol error traps (wg_ws_gemm.cuh), so a process may end with a CUDA
  # error rather than hang; each step has its own.
  # LOWBIT_WS_TEST_FORMS: the forms, ';'-separated.
  test_forms=${LOWBIT_WS_TEST_FORMS:-"LOWBIT_CUDA_WS=0;LOWBIT_CUDA_WS=1;LOWBIT_CUDA_WS=2;LOWBIT_CUDA_WS=1 LOWBIT_CUDA_FP8_TMA_WEIGHTS=0;LOWBIT_CUDA_KMAJOR=1;LOWBIT_CUDA_WS=2 LOWBIT_CUDA_KMAJOR=1"}
  IFS=';' read -ra test_form_list <<< "$test_forms"
  want forms && for form in "${test_form_list[@]}"; do
    echo "== JUnit: W8A8 / FP8 with $form LOWBIT_CUDA_WGMMA=1, small shapes"
    reports="$OUT/junit-$(echo "$form" | tr -c 'A-Za-z0-9\n' '-')"
    (export $form; JAVA_TOOL_OPTIONS=-Dlowbit.cuda.small=true LOWBIT_CUDA_WGMMA=1 junit_step "${LOWBIT_WS_STEP_TIMEOUT:-90}" "$reports" \
      --select-method dev.lowbit.gemm.GemmCudaTest#w8a8EqualsTheCpuBitForBit --select-method dev.lowbit.gemm.GemmCudaTest#wgmmaSizedGemmsMatch \
      --select-method dev.lowbit.gemm.GemmCudaTest#streamedMatmulsEqualSynchronousOnes --select-method dev.lowbit.gemm.GemmCudaTest#fp8MatchesTheReference)
    echo "junit ($form) exit: $?"
  done
  if want encoder-test; then
  echo "== JUnit: the encoder on CUDA vs the CPU (random MiniLM-shaped weights; the model itself does not travel)"
  junit_step "${LOWBIT_STEP_TIMEOUT:-300}" "$OUT/junit-encoder" --select-class dev.lowbit.model.bert.BertEncoderCudaTest
  echo "junit (encoder) exit: $?"
  fi
  if flagged profile "${LOWBIT_PROFILE:-}"; then
    # Nsight Compute over one call of each kernel below its speed goal (bench/gpu/profile.py): only
    # lowbit's kernels (mangled names in lb::cuda), the sections that say what bounds each.
    echo "== ncu: bench/gpu/profile.py ($(date +%T))"
    timeout "${LOWBIT_STEP_TIMEOUT:-300}" ncu --target-processes all --clock-control none --kernel-name-base mangled \
      --kernel-name regex:2lb4cuda --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats \
      --section MemoryWorkloadAnalysis --csv --log-file "$OUT/ncu.csv" \
      python3 bench/gpu/profile.py --jar "$(ls .gpu/lib/lowbit-*.jar | head -1)"
    echo "ncu exit: $?"
    # The sections' CSV gives no stall breakdown (the 2026-11-26 (8) profile said "latency-bound" and
    # no more): the per-reason stall ratios of the same kernels, appended to the same file.
    echo "== ncu: warp stall reasons ($(date +%T))"
    timeout "${LOWBIT_STEP_TIMEOUT:-300}" ncu --target-processes all --clock-control none --kernel-name-base mangled \
      --kernel-name regex:2lb4cuda --metrics 'regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio' \
      --csv --log-file "$OUT/ncu-stalls.csv" python3 bench/gpu/profile.py --jar "$(ls .gpu/lib/lowbit-*.jar | head -1)"
    echo "ncu (stalls) exit: $?"
    { echo '"== stall reasons (second ncu run)"'; cat "$OUT/ncu-stalls.csv"; } >> "$OUT/ncu.csv" && rm -f "$OUT/ncu-stalls.csv"
  fi
  if flagged sanitize "${LOWBIT_SANITIZE:-}"; then
    # Out-of-bounds and misaligned accesses of the CUDA kernels (small shapes: the tool is slow).
    echo "== compute-sanitizer memcheck: GEMM, quantize, Hadamard, layer norm, GELU, attention tests"
    # LOWBIT_SANITIZE_CLASSES (space-separated class names) narrows it to the kernels changed since the last lease.
    classes=${LOWBIT_SANITIZE_CLASSES:-"dev.lowbit.gemm.GemmCudaTest dev.lowbit.CudaTest dev.lowbit.hadamard.HadamardCudaTest
      dev.lowbit.norm.LayerNormCudaTest dev.lowbit.activation.GeluCudaTest dev.lowbit.attention.AttentionCudaTest
      dev.lowbit.embedding.EmbeddingsCudaTest"}
    # shellcheck disable=SC2046  # one --select-class per name
    sanitize_step "$OUT/junit-sanitizer" $(printf -- '--select-class %s ' $classes)
    echo "sanitizer exit: $?"
    # The clustered kernel (not a default): its FP8 BLOCK-scale read past n in a pair's idle second block was
    # found here (2026-11-26) while the tests passed without the tool.
    LOWBIT_CUDA_WS=2 LOWBIT_CUDA_WGMMA=1 sanitize_step "$OUT/junit-sanitizer-ws2" \
      --select-method dev.lowbit.gemm.GemmCudaTest#fp8MatchesTheReference --select-method dev.lowbit.gemm.GemmCudaTest#w8a8EqualsTheCpuBitForBit
    echo "sanitizer (LOWBIT_CUDA_WS=2) exit: $?"
    # The K-major experiment (its per-call copy and the TMA box of it; not a default).
    LOWBIT_CUDA_KMAJOR=1 LOWBIT_CUDA_WGMMA=1 sanitize_step "$OUT/junit-sanitizer-kmajor" \
      --select-method dev.lowbit.gemm.GemmCudaTest#fp8MatchesTheReference --select-method dev.lowbit.gemm.GemmCudaTest#w8a8EqualsTheCpuBitForBit
    echo "sanitizer (LOWBIT_CUDA_KMAJOR=1) exit: $?"
  fi
  if want peer-gemm; then
  echo "== GEMM peers: lowbit W8A8 / W4A16 beside torch._int_mm / torch.matmul fp16, one stream, CUDA graphs"
  PYTHONUNBUFFERED=1 timeout "${LOWBIT_STEP_TIMEOUT:-300}" python3 bench/gpu/peer_gemm.py --jar "$(ls .gpu/lib/lowbit-*.jar | head -1)" \
    ${LOWBIT_GEMM_FULL:---quick} > "$OUT/peer-gemm.json"
  echo "peer_gemm exit: $?"
  fi
  if want m1-tc; then
  # W4A16 m = 1 on the tensor-core kernel instead of the GEMV (read once per process): appended as the
  # rows after the marker line, for an A/B against the m = 1 rows above (same card, same run).
  echo "== W4A16 m = 1 on the tensor-core kernel (LOWBIT_CUDA_W4A16_M1=tc), decode sizes"
  echo '{"variant": "LOWBIT_CUDA_W4A16_M1=tc: the rows below"}' >> "$OUT/peer-gemm.json"
  LOWBIT_CUDA_W4A16_M1=tc PYTHONUNBUFFERED=1 timeout "${LOWBIT_STEP_TIMEOUT:-300}" python3 bench/gpu/peer_gemm.py \
    --jar "$(ls .gpu/lib/lowbit-*.jar | head -1)" --decode >> "$OUT/peer-gemm.json"
  echo "peer_gemm (m = 1 on tensor cores) exit: $?"
  fi
  # W8A8 / FP8 prefill on the kernel forms each does not take by default (LOWBIT_WS_FORMS, default: W8A8 on
  # the cp.async kernel, FP8 on the warp-specialised one with TMA and with cp.async weights; the clustered
  # form, LOWBIT_CUDA_WS=2, measured slower for both on an H200): rows after each marker, against the
  # default rows above, the torch peers timed again.
  forms=${LOWBIT_WS_FORMS:-"LOWBIT_CUDA_WS=0;LOWBIT_CUDA_WS=1;LOWBIT_CUDA_WS=1 LOWBIT_CUDA_FP8_TMA_WEIGHTS=0"}
  IFS=';' read -ra form_list <<< "$forms"
  want gemm-forms && for form in "${form_list[@]}"; do
    echo "== W8A8 / FP8 prefill with $form"
    echo "{\"variant\": \"$form: the rows below\"}" >> "$OUT/peer-gemm.json"
    (export $form; PYTHONUNBUFFERED=1 timeout "${LOWBIT_STEP_TIMEOUT:-300}" python3 bench/gpu/peer_gemm.py \
      --jar "$(ls .gpu/lib/lowbit-*.jar | head -1)" --prefill >> "$OUT/peer-gemm.json")
    echo "peer_gemm ($form) exit: $?"
  done
  [ -n "${LOWBIT_GEMM_ONLY:-}" ] && { pack_reports; exit 0; }
  fi  # LOWBIT_BENCH_ONLY
  # 2 s iterations: with 1 s the batch-64 intervals were ±50% on an H200 (2026-11-26).
  if want jmh-encoder; then
  echo "== JMH: the MiniLM-shaped encoder on the GPU (random weights; sentences/s; batch 64 is issue 8's figure)"
  timeout "${LOWBIT_STEP_TIMEOUT:-300}" java -jar .gpu/benchmarks.jar EncoderBench -p device=cuda -p batch=1,64 -f 1 -wi 2 -w 2 -i 4 -r 2 \
    -rf json -rff "$OUT/jmh-encoder-gpu.json" > "$OUT/jmh-encoder.txt"
  echo "encoder bench exit: $?"; grep -E "^EncoderBench" "$OUT/jmh-encoder.txt"; rm -f "$OUT/jmh-encoder.txt"
  fi
  if want jmh-kernels; then
  echo "== JMH Hadamard, quantize/dequantize and the encoder's f32 kernels on the GPU (with the device-copy roof of the same run)"
  # All eight row lengths x two dtypes x three benchmarks overran two minutes on an H100: by default
  # the two that matter most (a power of two, Llama's 14336), LOWBIT_HADAMARD_N to change.
  timeout "${LOWBIT_STEP_TIMEOUT:-300}" java -jar .gpu/benchmarks.jar "Roof.deviceCopy|HadamardBench|QuantBench|EncoderOpsBench" -p device=cuda -p mib=256 \
    -p n="${LOWBIT_HADAMARD_N:-4096,14336}" -f 1 -wi 1 -w 1 -i 2 -r 1 -rf json -rff "$OUT/jmh-gpu.json" > "$OUT/jmh-gpu.txt"
  echo "hadamard/quant bench exit: $?"; tail -40 "$OUT/jmh-gpu.txt"; rm -f "$OUT/jmh-gpu.txt"
  fi
  if want jmh-quant-four; then
  # The one-pass quantize (quant/one_pass.cu) against the four-kernel path it replaced, same card, same
  # run: the switch is read per call and JMH's fork inherits it.
  echo "== JMH quantize on the four-kernel path (LOWBIT_CUDA_QUANT_ONE_PASS=0), the one-pass kernels' A/B"
  LOWBIT_CUDA_QUANT_ONE_PASS=0 timeout "${LOWBIT_STEP_TIMEOUT:-300}" java -jar .gpu/benchmarks.jar "Roof.deviceCopy|QuantBench.quantize" \
    -p device=cuda -p mib=256 -f 1 -wi 1 -w 1 -i 3 -r 1 -rf json -rff "$OUT/jmh-gpu-quant-four-kernels.json" > "$OUT/jmh-q.txt"
  echo "four-kernel quantize bench exit: $?"; grep -E "^(QuantBench|Roof)" "$OUT/jmh-q.txt"; rm -f "$OUT/jmh-q.txt"
  fi
  if want peers; then
  echo "== PyTorch peers"
  # One file for both peers: what comes back from $OUT is at most 8 files.
  PYTHONUNBUFFERED=1 python3 bench/gpu/peer_copy.py --mib 1024 > "$OUT/peer.json"
  PYTHONUNBUFFERED=1 python3 bench/gpu/peer_hadamard.py --mib 256 --sizes "${LOWBIT_HADAMARD_N:-4096,14336}" >> "$OUT/peer.json"
  cat "$OUT/peer.json"
  fi
  if [ -n "${LOWBIT_FULL_SUITE:-}" ]; then
    # CI runs these on every change; on the GPU machine they only cost device time, so on request.
    echo "== JUnit: the rest of the suite"
    java --enable-native-access=ALL-UNNAMED -Dlowbit.header=native/include/lowbit.h \
      -jar .gpu/junit-console.jar execute --disable-banner --details=summary \
      -cp "$CP" \
      --select-package dev.lowbit --exclude-classname '.*IT' --exclude-classname "$GPU_TESTS" \
      --exclude-package dev.lowbit.model --exclude-package dev.lowbit.embed --exclude-classname '.*EmbedCommandTest' \
      --reports-dir "$OUT/junit-rest"
    echo "junit (rest) exit: $?"
    echo "== JMH roofs and kernels (host)"
    java -jar .gpu/benchmarks.jar "${LOWBIT_JMH_FILTER:-Roof|CallOverhead}" -p mib=1024 -f 1 -wi 2 -i 5 \
      -rf json -rff "$OUT/jmh.json"
  fi
  pack_reports
} 2>&1 | tee "$OUT/log"
