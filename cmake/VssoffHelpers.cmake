# How lib/ is built (see lib/CMakeLists.txt):
#  - every domain's torch-free code is an OBJECT library made by vssoff_add_library; all of
#    them together make one shared library, libvssoff.so, that the executable and the model
#    plugin both link (one copy of vssoff's code and state in a process);
#  - a domain's LibTorch code is an OBJECT library made by vssoff_add_torch_library; all of
#    them together make the model plugin libvssoff_nn.so, loaded on demand (core/plugin.h).
# DEPS lists what a domain may use; scripts/check_layering.sh checks the includes against the
# order of domains in ARCHITECTURE.md.

function(_vssoff_object_library name kind)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(vssoff_${name} OBJECT ${ARG_SOURCES})
  set_target_properties(vssoff_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_include_directories(vssoff_${name} PUBLIC ${PROJECT_SOURCE_DIR}/lib ${CMAKE_BINARY_DIR}/generated)
  target_link_libraries(vssoff_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  add_library(vssoff::${name} ALIAS vssoff_${name})
  set_property(GLOBAL APPEND PROPERTY VSSOFF_${kind}_TARGETS vssoff_${name})
endfunction()

# vssoff_add_library(NAME SOURCES ... DEPS ... PRIVATE_DEPS ...): torch-free code of a domain.
function(vssoff_add_library name)
  _vssoff_object_library(${name} BASE ${ARGN})
endfunction()

# vssoff_add_torch_library(NAME SOURCES ... DEPS ...): LibTorch code of a domain (nn, or a
# system's *_torch part); it joins the model plugin.
function(vssoff_add_torch_library name)
  _vssoff_object_library(${name} TORCH ${ARGN})
  target_link_libraries(vssoff_${name} PUBLIC ${TORCH_LIBRARIES})
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

# Generates ${CMAKE_BINARY_DIR}/generated/vssoff_build_id.h whenever a header under lib/ changes.
function(vssoff_build_id_target)
  set(out ${CMAKE_BINARY_DIR}/generated/vssoff_build_id.h)
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/lib/*.h)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DSRC=${PROJECT_SOURCE_DIR} -DOUT=${out}
            "-DCOMPILER=${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}"
            -P ${PROJECT_SOURCE_DIR}/cmake/BuildId.cmake
    DEPENDS ${headers} ${PROJECT_SOURCE_DIR}/cmake/BuildId.cmake
    COMMENT "" VERBATIM)
  add_custom_target(vssoff_build_id DEPENDS ${out})
endfunction()
