# Warnings for lowbit's own C++ sources (not for CUDA device code, where nvcc forwards
# them to the host compiler only).
function(lowbit_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion -Werror=return-type>
    $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall -Werror=all-warnings>)
endfunction()
