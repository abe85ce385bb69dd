// TMA tensor maps for the warp-specialised GEMM (wg_ws_gemm.cuh). cuTensorMapEncodeTiled is a driver
// API function; lowbit links only the static runtime, so it is looked up once through the runtime's
// driver entry point (the driver is there whenever a GPU is). The boxes and swizzles are the ones
// wg_layout.h shows to reproduce the cp.async stage layout.
#include <cudaTypedefs.h>

#include "wg_ws_gemm.cuh"

namespace lb::cuda {
namespace {

PFN_cuTensorMapEncodeTiled_v12000 tensor_map_encoder() {
  static const PFN_cuTensorMapEncodeTiled_v12000 fn = [] {
    void *f = nullptr;
    cudaDriverEntryPointQueryResult found{};
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &f, 12000, cudaEnableDefault, &found) != cudaSuccess ||
        found != cudaDriverEntryPointSuccess)
      f = nullptr;
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(f);
  }();
  return fn;
}

}  // namespace

cudaError_t encode_ws_maps(const TcOperands &o, lb::cuda_wg::WsWeights weights, int x_box_rows, WsMaps *maps) {
  using namespace lb::cuda_wg;
  const PFN_cuTensorMapEncodeTiled_v12000 encode = tensor_map_encoder();
  if (!encode) return cudaErrorNotSupported;
  // A byte tensor of `rank` dimensions (dimension 0 contiguous), boxes of `box`, `swizzle` in shared memory.
  const auto encode_bytes = [encode](CUtensorMap *map, cuuint32_t rank, const uint8_t *base, const cuuint64_t *dims, const cuuint64_t *strides,
                                     const cuuint32_t *box, CUtensorMapSwizzle swizzle) {
    const cuuint32_t unit[3] = {1, 1, 1};
    return encode(map, CU_TENSOR_MAP_DATA_TYPE_UINT8, rank, const_cast<uint8_t *>(base), dims, strides, box, unit, CU_TENSOR_MAP_INTERLEAVE_NONE,
                  swizzle, CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
  };
  // Activations: k bytes a row, m rows; boxes of x_box_rows rows.
  const cuuint64_t x_dims[2] = {static_cast<cuuint64_t>(o.k), static_cast<cuuint64_t>(o.m)};
  const cuuint64_t x_strides[1] = {static_cast<cuuint64_t>(o.k)};
  const cuuint32_t x_box[2] = {kWgK, static_cast<cuuint32_t>(x_box_rows)};
  if (!encode_bytes(&maps->x, 2, o.a, x_dims, x_strides, x_box, CU_TENSOR_MAP_SWIZZLE_128B)) return cudaErrorInvalidValue;
  if (weights == WsWeights::kCpAsync) return cudaSuccess;
  if (weights == WsWeights::kTmaKMajor) {  // o.b: [n][k], each column's k bytes contiguous
    const cuuint64_t w_dims[2] = {static_cast<cuuint64_t>(o.k), static_cast<cuuint64_t>(o.n)};
    const cuuint32_t w_box[2] = {kWgK, kWgN};
    return encode_bytes(&maps->w, 2, o.b, w_dims, x_strides, w_box, CU_TENSOR_MAP_SWIZZLE_128B) ? cudaSuccess : cudaErrorInvalidValue;
  }
  // FP8 packed weights: 32 bytes a k-pair row (16 columns), k / 2 rows a column block, n16 blocks.
  const cuuint64_t w_dims[3] = {32, static_cast<cuuint64_t>(o.b_block_bytes / 32), static_cast<cuuint64_t>(o.n16)};
  const cuuint64_t w_strides[2] = {32, static_cast<cuuint64_t>(o.b_block_bytes)};
  const cuuint32_t w_box[3] = {32, kTmaWPairs, kTmaWBlocks};
  if (!encode_bytes(&maps->w, 3, o.b, w_dims, w_strides, w_box, CU_TENSOR_MAP_SWIZZLE_32B)) return cudaErrorInvalidValue;
  return cudaSuccess;
}

}  // namespace lb::cuda
