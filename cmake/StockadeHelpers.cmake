# Helpers that keep every folder's CMakeLists.txt short and declarative
# (abseil's absl_cc_* and LLVM's add_llvm_* pattern).

add_library(stockade_build_options INTERFACE)
add_library(stockade::build_options ALIAS stockade_build_options)
target_compile_features(stockade_build_options INTERFACE cxx_std_20)
target_compile_options(stockade_build_options INTERFACE
  -Wall -Wextra -Wpedantic $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local> -Wnon-virtual-dtor
  $<$<BOOL:${STOCKADE_WERROR}>:-Werror>)
# GCC 12 at -O2 and above reports a false -Wrestrict inside libstdc++ for every
# `"literal" + std::string&&` (GCC bugs 105329 and 105651, fixed in GCC 13); Release builds with
# -Werror would fail on correct code.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(stockade_build_options INTERFACE -Wno-restrict)
endif()

# stockade_add_library(NAME SRCS ... [DEPS ...] [PRIVATE_DEPS ...])
# Creates stockade_NAME (alias stockade::NAME). Only the folder's own include/ is public, so
# a header of another layer is reachable only through a link dependency: upward includes
# fail to compile.
function(stockade_add_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(stockade_${name} STATIC ${ARG_SRCS})
  add_library(stockade::${name} ALIAS stockade_${name})
  target_include_directories(stockade_${name}
    PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(stockade_${name}
    PUBLIC ${ARG_DEPS}
    PRIVATE ${ARG_PRIVATE_DEPS} stockade::build_options)
  set_target_properties(stockade_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# stockade_add_test(NAME SRCS ... [DEPS ...] [LABELS ...] [SERIAL])
# A GoogleTest binary registered with CTest through gtest_discover_tests. SERIAL: its tests run
# alone (CTest's RUN_SERIAL), for tests that watch state shared by the whole host.
function(stockade_add_test name)
  cmake_parse_arguments(ARG "SERIAL" "" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} stockade::testing GTest::gtest_main GTest::gmock
                        stockade::build_options)
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(ARG_SERIAL)
    set(serial RUN_SERIAL TRUE)
  endif()
  # One label per binary: gtest_discover_tests (CMake 3.25) passes PROPERTIES through a command
  # line that flattens a list value into the key/value list.
  list(LENGTH ARG_LABELS label_count)
  if(label_count GREATER 1)
    message(FATAL_ERROR "stockade_add_test(${name}): one label only, got ${ARG_LABELS}")
  endif()
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${ARG_LABELS}" ${serial}
    DISCOVERY_TIMEOUT 60)
endfunction()

# stockade_add_fuzzer(NAME SRCS ... [DEPS ...])
# One fuzz target (docs/fuzzing.md). With STOCKADE_FUZZ=ON (clang) NAME links libFuzzer;
# otherwise it links fuzz/replay_main.cc, LLVM's DUMMY_MAIN, which runs the target once on each
# file it is given. Either way, with tests on, CTest replays fuzz/corpus/NAME and
# fuzz/regressions/NAME through it (test fuzz.NAME, labels unit and fuzz), so every input ever
# kept runs under the ASan/UBSan build in CI.
function(stockade_add_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  if(STOCKADE_FUZZ)
    add_executable(${name} ${ARG_SRCS})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    add_executable(${name} ${ARG_SRCS} ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cc)
  endif()
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/fuzz)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} stockade::build_options)
  if(STOCKADE_BUILD_TESTS)
    # -runs=0: libFuzzer runs the directories' inputs once and stops; the replay main ignores
    # it.
    add_test(NAME fuzz.${name}
             COMMAND ${name} -runs=0 ${PROJECT_SOURCE_DIR}/fuzz/corpus/${name}
                     ${PROJECT_SOURCE_DIR}/fuzz/regressions/${name})
    set_tests_properties(fuzz.${name} PROPERTIES LABELS "unit;fuzz")
  endif()
endfunction()
