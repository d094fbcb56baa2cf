# Warnings are errors in our own code only; system headers stay quiet.
function(autocanary_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
    -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough
    $<$<BOOL:${AUTOCANARY_WERROR}>:-Werror>)
endfunction()

option(AUTOCANARY_WERROR "Treat compiler warnings as errors" ON)
