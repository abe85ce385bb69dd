#include "cpu_features.h"

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string>

#include "error.h"

#if defined(__x86_64__) || defined(_M_X64)
#  include <cpuid.h>
#  define LB_X86 1
#endif

namespace lb {
namespace {

#if LB_X86
uint64_t xgetbv0() {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}
#endif

uint64_t detect() {
  uint64_t f = 0;
#if LB_X86
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  const bool osxsave = c & (1u << 27);
  const bool fma = c & (1u << 12), f16c = c & (1u << 29), avx = c & (1u << 28);
  if (!osxsave || !avx) return 0;
  // The OS must save the wider registers on context switch, or using them corrupts state.
  const uint64_t xcr0 = xgetbv0();
  const bool os_avx = (xcr0 & 0x6) == 0x6;            // XMM + YMM
  const bool os_avx512 = (xcr0 & 0xe6) == 0xe6;       // + opmask, ZMM_Hi256, Hi16_ZMM
  const bool os_amx = (xcr0 & 0x60000) == 0x60000;    // XTILECFG + XTILEDATA
  if (!os_avx) return 0;
  unsigned max_leaf = __get_cpuid_max(0, nullptr);
  if (max_leaf < 7) return 0;
  __cpuid_count(7, 0, a, b, c, d);
  const unsigned b7 = b, c7 = c, d7 = d;
  __cpuid_count(7, 1, a, b, c, d);
  const unsigned a71 = a;
  if (b7 & (1u << 5)) f |= LB_CPU_AVX2;
  if (fma) f |= LB_CPU_FMA;
  if (f16c) f |= LB_CPU_F16C;
  if (a71 & (1u << 4)) f |= LB_CPU_AVXVNNI;
  if (os_avx512) {
    if (b7 & (1u << 16)) f |= LB_CPU_AVX512F;
    if (b7 & (1u << 17)) f |= LB_CPU_AVX512DQ;
    if (b7 & (1u << 30)) f |= LB_CPU_AVX512BW;
    if (b7 & (1u << 31)) f |= LB_CPU_AVX512VL;
    if (c7 & (1u << 11)) f |= LB_CPU_AVX512VNNI;
    if (c7 & (1u << 1)) f |= LB_CPU_AVX512VBMI;
    if (a71 & (1u << 5)) f |= LB_CPU_AVX512BF16;
    if (d7 & (1u << 23)) f |= LB_CPU_AVX512FP16;
  }
  if (os_amx) {
    if (d7 & (1u << 24)) f |= LB_CPU_AMX_TILE;
    if (d7 & (1u << 25)) f |= LB_CPU_AMX_INT8;
    if (d7 & (1u << 22)) f |= LB_CPU_AMX_BF16;
  }
#endif
  return f;
}

// A feature name as LOWBIT_CPU_FEATURES_OFF may spell it (AVX512_BF16, avx512bf16, avx512-bf16, with
// spaces around), reduced to lower-case letters and digits.
std::string feature_key(const char *p, size_t len) {
  std::string key;
  for (size_t i = 0; i < len; ++i)
    if (std::isalnum(static_cast<unsigned char>(p[i]))) key += static_cast<char>(std::tolower(static_cast<unsigned char>(p[i])));
  return key;
}

// LOWBIT_CPU_FEATURES_OFF=name,...: features the detection reports absent, so that tests can run the
// paths of a CPU that lacks them (an Ice Lake's, without AVX512_BF16, on a Zen 4). Names as
// lowbit.h's LB_CPU_* without the prefix, in any case, with or without underscores; unknown names are
// ignored.
uint64_t features_switched_off() {
  static constexpr struct {
    const char *name;
    uint64_t bit;
  } kNames[] = {{"avx2", LB_CPU_AVX2},         {"fma", LB_CPU_FMA},           {"f16c", LB_CPU_F16C},
                {"avx512f", LB_CPU_AVX512F},   {"avx512bw", LB_CPU_AVX512BW}, {"avx512dq", LB_CPU_AVX512DQ},
                {"avx512vl", LB_CPU_AVX512VL}, {"avx512vnni", LB_CPU_AVX512VNNI}, {"avx512bf16", LB_CPU_AVX512BF16},
                {"avx512fp16", LB_CPU_AVX512FP16}, {"avxvnni", LB_CPU_AVXVNNI}, {"amxtile", LB_CPU_AMX_TILE},
                {"amxint8", LB_CPU_AMX_INT8}, {"amxbf16", LB_CPU_AMX_BF16}, {"avx512vbmi", LB_CPU_AVX512VBMI}};
  const char *env = std::getenv("LOWBIT_CPU_FEATURES_OFF");
  uint64_t off = 0;
  for (const char *p = env; p && *p;) {
    const char *end = std::strchr(p, ',');
    const size_t len = end ? static_cast<size_t>(end - p) : std::strlen(p);
    const std::string key = feature_key(p, len);
    for (const auto &n : kNames)
      if (key == n.name) off |= n.bit;
    p = end ? end + 1 : p + len;
  }
  return off;
}

// AVX512 needs neither VNNI (Skylake-SP has AVX-512 without it) nor AVX512_BF16 (Ice Lake and Cascade
// Lake lack it): the kernels that use them check avx512_vnni() / avx512_bf16() and otherwise run their
// AVX2 form or exact integer code.
constexpr uint64_t kAvx2Needs = LB_CPU_AVX2 | LB_CPU_FMA | LB_CPU_F16C;
constexpr uint64_t kAvx512Needs = kAvx2Needs | LB_CPU_AVX512F | LB_CPU_AVX512BW | LB_CPU_AVX512DQ | LB_CPU_AVX512VL;

bool can_run(lb_isa isa) {
  const uint64_t f = cpu_features();
  switch (isa) {
    case LB_ISA_SCALAR: return true;
    case LB_ISA_AVX2: return (f & kAvx2Needs) == kAvx2Needs;
    case LB_ISA_AVX512: return (f & kAvx512Needs) == kAvx512Needs;
    default: return false;
  }
}

lb_isa initial_isa() {
  lb_isa isa = best_isa();
  if (const char *env = std::getenv("LOWBIT_ISA")) {
    lb_isa wanted = isa;
    if (!std::strcmp(env, "scalar")) wanted = LB_ISA_SCALAR;
    else if (!std::strcmp(env, "avx2")) wanted = LB_ISA_AVX2;
    else if (!std::strcmp(env, "avx512")) wanted = LB_ISA_AVX512;
    if (wanted < isa) isa = wanted;
  }
  return isa;
}

std::atomic<lb_isa> &active() {
  static std::atomic<lb_isa> isa{initial_isa()};
  return isa;
}

}  // namespace

uint64_t cpu_features() {
  static const uint64_t features = detect() & ~features_switched_off();
  return features;
}

bool avx512_bf16() { return current_isa() == LB_ISA_AVX512 && (cpu_features() & LB_CPU_AVX512BF16); }
bool avx512_vnni() { return current_isa() == LB_ISA_AVX512 && (cpu_features() & LB_CPU_AVX512VNNI); }

lb_isa best_isa() {
  if (can_run(LB_ISA_AVX512)) return LB_ISA_AVX512;
  if (can_run(LB_ISA_AVX2)) return LB_ISA_AVX2;
  return LB_ISA_SCALAR;
}

lb_isa current_isa() { return active().load(std::memory_order_relaxed); }

const char *isa_name(lb_isa isa) {
  switch (isa) {
    case LB_ISA_SCALAR: return "scalar";
    case LB_ISA_AVX2: return "avx2";
    case LB_ISA_AVX512: return "avx512";
    default: return "unknown";
  }
}

}  // namespace lb

extern "C" {

LB_API uint64_t lb_cpu_features(void) { return lb::cpu_features(); }
LB_API lb_isa lb_cpu_best_isa(void) { return lb::best_isa(); }
LB_API lb_isa lb_cpu_isa(void) { return lb::current_isa(); }

LB_API lb_status lb_cpu_set_isa(lb_isa isa) {
  if (isa < LB_ISA_SCALAR || isa > LB_ISA_AVX512)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "lb_cpu_set_isa: unknown ISA %d (0=scalar, 1=avx2, 2=avx512)", isa);
  if (!lb::can_run(isa))
    return lb::fail(LB_ERR_UNSUPPORTED, "lb_cpu_set_isa: this CPU cannot run the %s kernels (best: %s)",
                    lb::isa_name(isa), lb::isa_name(lb::best_isa()));
  lb::active().store(isa, std::memory_order_relaxed);
  return LB_OK;
}

}  // extern "C"
