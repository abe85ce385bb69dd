// cudaStream_t without the CUDA headers (the same declaration they make), so each family's CUDA
// backend header (*.cuh) can be included by the C ABI layer in every build: with CUDA the calls
// reach the kernels, without it lb::on_cuda answers "no CUDA in this build" and never calls them.
#pragma once

struct CUstream_st;
typedef struct CUstream_st *cudaStream_t;
