// bf16 tile for the AVX2 variant: bf16_tile.inc, vectorised by the compiler with AVX2 + FMA.
#include "bf16_tile.h"

namespace lb::cpu {
namespace {
#include "bf16_tile.inc"
}  // namespace

Bf16Tile bf16_tile_avx2() { return tile; }

}  // namespace lb::cpu
