# Writes OUT (a header defining VSSOFF_BUILD_ID) with a hash of every header under SRC/lib
# and the compiler, only if it changed. The executable and the model plugin compile it in;
# a plugin whose id differs was built from other headers and is refused.
file(GLOB_RECURSE headers ${SRC}/lib/*.h)
list(SORT headers)
set(all "${COMPILER}")
foreach(h ${headers})
  file(SHA256 ${h} sum)
  string(APPEND all "${sum}")
endforeach()
string(SHA256 id "${all}")
string(SUBSTRING ${id} 0 16 id)
set(content "#pragma once\n#define VSSOFF_BUILD_ID \"${id}\"\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT "${old}" STREQUAL "${content}")
  file(WRITE ${OUT} "${content}")
endif()
