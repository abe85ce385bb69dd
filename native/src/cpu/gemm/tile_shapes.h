// Runtime tile shape -> the kernel compiled for it. The register tiles take their row count and
// column blocks as template constants (each accumulator is a named register), while the drivers
// know them only at run time; this is the one switch between the two, for every tile family.
#pragma once

namespace lb::cpu {

// T::template run<MR, NB>(args...) for 1 <= mr <= 12 (larger runs 12) and nb in {1, 2}.
template <class T, int NB, class... Args>
void run_rows(int mr, Args... args) {
  switch (mr) {
    case 1: return T::template run<1, NB>(args...);
    case 2: return T::template run<2, NB>(args...);
    case 3: return T::template run<3, NB>(args...);
    case 4: return T::template run<4, NB>(args...);
    case 5: return T::template run<5, NB>(args...);
    case 6: return T::template run<6, NB>(args...);
    case 7: return T::template run<7, NB>(args...);
    case 8: return T::template run<8, NB>(args...);
    case 9: return T::template run<9, NB>(args...);
    case 10: return T::template run<10, NB>(args...);
    case 11: return T::template run<11, NB>(args...);
    default: return T::template run<12, NB>(args...);
  }
}

template <class T, class... Args>
void run_tile(int mr, int nb, Args... args) {
  if (nb == 2) run_rows<T, 2>(mr, args...);
  else run_rows<T, 1>(mr, args...);
}

}  // namespace lb::cpu
