# vssoff_add_library(NAME SOURCES ... DEPS ...)
# One static library per lib/ domain. DEPS lists what the domain may use; the layering
# in ARCHITECTURE.md is exactly what these link lines allow.
function(vssoff_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(vssoff_${name} STATIC ${ARG_SOURCES})
  target_include_directories(vssoff_${name} PUBLIC ${PROJECT_SOURCE_DIR}/lib)
  target_link_libraries(vssoff_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  add_library(vssoff::${name} ALIAS vssoff_${name})
endfunction()

# Generates ${CMAKE_BINARY_DIR}/generated/git_commit.cc at every build.
function(vssoff_git_version_target)
  set(out ${CMAKE_BINARY_DIR}/generated/git_commit.cc)
  add_custom_target(vssoff_git_commit ALL
    COMMAND ${CMAKE_COMMAND} -DSRC=${PROJECT_SOURCE_DIR} -DOUT=${out}
            -P ${PROJECT_SOURCE_DIR}/cmake/GitCommit.cmake
    BYPRODUCTS ${out}
    COMMENT "" VERBATIM)
  set(VSSOFF_GIT_COMMIT_SOURCE ${out} PARENT_SCOPE)
endfunction()
