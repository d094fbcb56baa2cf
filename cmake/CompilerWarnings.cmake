# Warnings are errors in our own code only; system headers stay quiet.
function(autocanary_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
    -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough
    $<$<BOOL:${AUTOCANARY_WERROR}>:-Werror>)
  # GCC 12 at -O3 reports `"literal" + std::string` as an overlapping memcpy
  # inside libstdc++ (GCC bug 105329, fixed in 13): a false positive that broke
  # every Release build. Only that compiler loses the warning.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
endfunction()

option(AUTOCANARY_WERROR "Treat compiler warnings as errors" ON)
