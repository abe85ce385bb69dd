# CPU kernel variants. Each family has scalar.cpp (baseline x86-64), avx2.cpp and
# avx512.cpp; only the ISA files get the wider instruction sets, and the choice between
# them is made at run time (core/cpu_features.cpp). Never -march=native: the library ships
# in a jar and must run on any x86-64.
set(LOWBIT_AVX2_FLAGS -mavx2 -mfma -mf16c)
# -Wno-(maybe-)uninitialized: GCC 12 warns inside its own avx512fintrin.h (_mm512_undefined_*).
set(LOWBIT_AVX512_FLAGS ${LOWBIT_AVX2_FLAGS} -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx512vnni -mavx512bf16
    -Wno-maybe-uninitialized -Wno-uninitialized)

# lowbit_isa_sources(<target> <dir>...): adds <dir>/*.cpp to <target> and gives the
# avx2.cpp / avx512.cpp files of each directory (and <kernel>_avx2.cpp / <kernel>_avx512.cpp, for
# families with several kernels) their flags.
function(lowbit_isa_sources target)
  foreach(dir IN LISTS ARGN)
    file(GLOB sources CONFIGURE_DEPENDS ${dir}/*.cpp)
    target_sources(${target} PRIVATE ${sources})
    foreach(src IN LISTS sources)
      get_filename_component(name ${src} NAME_WE)
      if(name MATCHES "(^|_)avx2$")
        set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${LOWBIT_AVX2_FLAGS}")
      elseif(name MATCHES "(^|_)avx512$")
        set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${LOWBIT_AVX512_FLAGS}")
      endif()
    endforeach()
  endforeach()
endfunction()
