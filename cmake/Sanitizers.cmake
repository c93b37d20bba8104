# STOCKADE_SANITIZE="address;undefined" builds everything with ASan and UBSan; UBSan findings
# are fatal so that CI fails on them instead of printing and passing.
set(STOCKADE_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address;undefined")
set(_stockade_sanitizers ${STOCKADE_SANITIZE})
if(STOCKADE_FUZZ)
  # A fuzzing build (clang): libFuzzer finds memory and UB bugs through ASan and UBSan, so both
  # are always on, and every library gets libFuzzer's coverage instrumentation; the fuzz targets
  # themselves link libFuzzer (stockade_add_fuzzer).
  list(APPEND _stockade_sanitizers address undefined)
  list(REMOVE_DUPLICATES _stockade_sanitizers)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
if(_stockade_sanitizers)
  string(REPLACE ";" "," _stockade_san "${_stockade_sanitizers}")
  add_compile_options(-fsanitize=${_stockade_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_stockade_san})
endif()
