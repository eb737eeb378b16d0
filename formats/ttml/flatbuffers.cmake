# tt-train's flatbuffer schemas (formats/ttml/schema/*.fbs) compiled with Debian's flatc
# (flatbuffers-compiler 2.0.8) at build time. The generated headers are used only by the
# ttml family's .cpp files (never by a header), so neither the installed package nor a
# consumer needs flatbuffers; the headers are header-only at run time (no library linked).
find_package(FlatBuffers CONFIG REQUIRED)

set(CKPT_TTML_SCHEMA_DIR ${CMAKE_CURRENT_SOURCE_DIR}/ttml/schema)
set(CKPT_TTML_SCHEMAS ttml_metadata ttml_tensor tensor tensor_2025_06 tensor_spec tensor_topology mesh_shape
    mesh_coordinate)
set(CKPT_TTML_GENERATED_DIR ${CMAKE_CURRENT_BINARY_DIR}/ttml_generated/ttml_fb)
set(CKPT_TTML_SCHEMA_FILES)
set(CKPT_TTML_GENERATED)
foreach(schema ${CKPT_TTML_SCHEMAS})
  list(APPEND CKPT_TTML_SCHEMA_FILES ${CKPT_TTML_SCHEMA_DIR}/${schema}.fbs)
  list(APPEND CKPT_TTML_GENERATED ${CKPT_TTML_GENERATED_DIR}/${schema}_generated.h)
endforeach()
add_custom_command(
  OUTPUT ${CKPT_TTML_GENERATED}
  COMMAND flatbuffers::flatc --cpp -o ${CKPT_TTML_GENERATED_DIR} ${CKPT_TTML_SCHEMA_FILES}
  DEPENDS ${CKPT_TTML_SCHEMA_FILES}
  WORKING_DIRECTORY ${CKPT_TTML_SCHEMA_DIR}
  COMMENT "flatc: C++ readers and verifiers of tt-train's schemas"
  VERBATIM)
target_sources(ckpt_formats PRIVATE ${CKPT_TTML_GENERATED})
target_include_directories(ckpt_formats PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/ttml_generated)
