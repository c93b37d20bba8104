# STOCKADE_SANITIZE="address;undefined" builds everything with ASan and UBSan; UBSan findings
# are fatal so that CI fails on them instead of printing and passing.
set(STOCKADE_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address;undefined")
if(STOCKADE_SANITIZE)
  string(REPLACE ";" "," _stockade_san "${STOCKADE_SANITIZE}")
  add_compile_options(-fsanitize=${_stockade_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_stockade_san})
endif()
