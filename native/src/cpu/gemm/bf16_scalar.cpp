// bf16 tile for the scalar variant (bf16_tile.inc compiled without SIMD flags).
#include "bf16_tile.h"

namespace lb::cpu {
namespace {
#include "bf16_tile.inc"
}  // namespace

Bf16Tile bf16_tile_scalar() { return tile; }

}  // namespace lb::cpu
