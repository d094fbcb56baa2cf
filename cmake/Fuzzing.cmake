# libFuzzer targets (tests/fuzz/), built with clang in a build directory of their
# own (bench/fuzz.sh configures build-fuzz/ with CC=clang-14 CXX=clang++-14):
#
#   cmake -S . -B build-fuzz -G Ninja -DAUTOCANARY_FUZZ=ON -DAUTOCANARY_BUILD_TESTS=OFF
#
# With the option ON every project target is compiled with
# -fsanitize=fuzzer-no-link,address,undefined (coverage for libFuzzer, ASan and
# UBSan, UB aborting), the fuzz targets link -fsanitize=fuzzer,address,undefined,
# and the statically linked shim binaries (which no sanitizer runtime can join)
# are left out of the build.
option(AUTOCANARY_FUZZ "Build the libFuzzer targets (clang only; see bench/fuzz.sh)" OFF)

if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "AUTOCANARY_FUZZ needs clang (libFuzzer): configure with CC=clang-14 CXX=clang++-14 "
                      "in a build directory of its own, e.g. build-fuzz/")
endif()

set(AUTOCANARY_FUZZ_COMPILE_OPTIONS
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
set(AUTOCANARY_FUZZ_SANITIZERS -fsanitize=address,undefined)

# Instruments every target defined so far under `dir`: the project's libraries
# (and the other binaries, so they still link) get the options above.
function(autocanary_fuzz_instrument dir)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "INTERFACE_LIBRARY" OR type STREQUAL "UTILITY")
      continue()
    endif()
    target_compile_options(${target} PRIVATE ${AUTOCANARY_FUZZ_COMPILE_OPTIONS})
    if(type STREQUAL "EXECUTABLE")
      get_target_property(link_options ${target} LINK_OPTIONS)
      if(link_options AND "-static" IN_LIST link_options)
        # The static shim: not needed here, and ASan has no static runtime.
        set_target_properties(${target} PROPERTIES EXCLUDE_FROM_ALL TRUE)
      else()
        target_link_options(${target} PRIVATE ${AUTOCANARY_FUZZ_SANITIZERS})
      endif()
    endif()
  endforeach()
  get_property(subdirectories DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdirectory IN LISTS subdirectories)
    autocanary_fuzz_instrument(${subdirectory})
  endforeach()
endfunction()

# One fuzz target: tests/fuzz/NAME.cc with LLVMFuzzerTestOneInput.
function(autocanary_fuzz_target name)
  add_executable(${name} ${name}.cc ${ARGN})
  target_compile_options(${name} PRIVATE ${AUTOCANARY_FUZZ_COMPILE_OPTIONS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  autocanary_set_warnings(${name})
  add_dependencies(autocanary_fuzzers ${name})
endfunction()
