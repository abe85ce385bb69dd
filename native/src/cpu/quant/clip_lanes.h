// The MSE clip search's candidates laid out for the vector kernels (clip_avx512.cpp, clip_avx2.cpp):
// candidate j in lane j of kN lanes, lanes past `count` repeating candidate 0 (their sums are dropped),
// the running sums starting from err. Include inside an anonymous namespace.
#pragma once

template <int kN>
struct CandidateLanes {
  alignas(64) float inv[kN], scale[kN], zero[kN], acc[kN];
  CandidateLanes(const BlockParams *cands, int count, const float *err) {
    for (int j = 0; j < kN; ++j) {
      const BlockParams &b = cands[j < count ? j : 0];
      inv[j] = b.inv;
      scale[j] = b.scale;
      zero[j] = b.zero;
      acc[j] = j < count ? err[j] : 0.0f;
    }
  }
};
