# CUDA backend: on when nvcc is found (LOWBIT_CUDA=AUTO) or forced (ON), off otherwise.
# Architectures: Ampere (sm_80), Ada (sm_89), Hopper with its arch-specific features
# (sm_90a: wgmma/TMA), plus compute_90 PTX so newer GPUs can JIT the generic kernels.
# The CUDA runtime is linked statically, so the .so needs only the driver, and loads
# (reporting "no CUDA device") on machines without any CUDA at all.
set(LOWBIT_CUDA AUTO CACHE STRING "Build the CUDA backend: AUTO (if nvcc is found), ON or OFF")
set_property(CACHE LOWBIT_CUDA PROPERTY STRINGS AUTO ON OFF)
set(LOWBIT_CUDA_ARCHS "80-real;89-real;90a-real;90-virtual" CACHE STRING "CUDA architectures to build")
# -lineinfo maps SASS to source lines for ncu / compute-sanitizer; it about triples the size of the
# tensor-core kernels' code (the jar carries four targets of each), so it is for profiling builds.
option(LOWBIT_CUDA_LINEINFO "Build CUDA kernels with -lineinfo (for profiling; larger library)" OFF)

set(LOWBIT_WITH_CUDA OFF)
if(NOT LOWBIT_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(CMAKE_CUDA_ARCHITECTURES ${LOWBIT_CUDA_ARCHS})
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(LOWBIT_WITH_CUDA ON)
  elseif(LOWBIT_CUDA STREQUAL "ON")
    message(FATAL_ERROR "LOWBIT_CUDA=ON but no CUDA compiler (nvcc) was found; set CMAKE_CUDA_COMPILER or use LOWBIT_CUDA=OFF")
  else()
    message(STATUS "lowbit: nvcc not found, building the CPU-only library")
  endif()
endif()

function(lowbit_cuda_setup target)
  if(LOWBIT_WITH_CUDA)
    file(GLOB_RECURSE cu CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/cuda/*.cu)
    target_sources(${target} PRIVATE ${cu} ${PROJECT_SOURCE_DIR}/src/cuda/runtime/runtime.cpp)
    set_target_properties(${target} PROPERTIES CUDA_RUNTIME_LIBRARY Static CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON)
    target_include_directories(${target} PRIVATE ${CUDAToolkit_INCLUDE_DIRS})
    target_link_libraries(${target} PRIVATE CUDA::cudart_static)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr>)
    if(LOWBIT_CUDA_LINEINFO)
      target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-lineinfo>)
    endif()
    string(REPLACE ";" " " archs "${LOWBIT_CUDA_ARCHS}")
    set(LOWBIT_CUDA_DESCRIPTION "nvcc ${CMAKE_CUDA_COMPILER_VERSION} for ${archs}, static cudart" PARENT_SCOPE)
  else()
    target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src/cuda/runtime/no_cuda.cpp)
    set(LOWBIT_CUDA_DESCRIPTION "not built" PARENT_SCOPE)
  endif()
endfunction()
