# Shared build helpers. Each component folder calls steady_component(); sources are globbed
# (CONFIGURE_DEPENDS) so that adding a file never means editing a CMakeLists shared by others.

set(STEADY_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers)

# steady_component(NAME DEPS...): library steady_NAME from every *.cc in this folder that is not
# a test, benchmark or fuzz target; a test binary NAME_test from every *_test.cc.
function(steady_component name)
  cmake_parse_arguments(ARG "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  list(FILTER srcs EXCLUDE REGEX "(_test|_bench|_fuzz|_main)\\.cc$")
  if(NOT srcs)  # a component whose first source is still to be written
    set(srcs ${CMAKE_CURRENT_BINARY_DIR}/empty.cc)
    file(WRITE ${srcs} "")
  endif()
  add_library(steady_${name} STATIC ${srcs})
  target_include_directories(steady_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(steady_${name} PRIVATE ${STEADY_WARNINGS})
  target_link_libraries(steady_${name} PUBLIC ${ARG_DEPS})
  if(tests)
    add_executable(${name}_test ${tests})
    target_compile_options(${name}_test PRIVATE ${STEADY_WARNINGS})
    target_link_libraries(${name}_test PRIVATE steady_${name} ${ARG_TEST_DEPS} GTest::gmock GTest::gtest_main)
    target_compile_definitions(${name}_test PRIVATE STEADY_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    gtest_discover_tests(${name}_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
  endif()
endfunction()
