# Bare-metal (arm-none-eabi) targets: test firmware and their CTest registration.
# Included from runtime/CMakeLists.txt when cross compiling (toolchain: cmake/arm-none-eabi.cmake).
enable_language(C)
set(TPR_BOARD_DIR ${CMAKE_CURRENT_SOURCE_DIR}/boards)
set(TPR_QEMU_RUN ${CMAKE_CURRENT_SOURCE_DIR}/tools/qemu_run.sh)

add_library(tpr_board STATIC ${TPR_BOARD_DIR}/common/startup.c ${TPR_BOARD_DIR}/common/icount.c)
target_include_directories(tpr_board PUBLIC ${TPR_BOARD_DIR}/common)

# tpr_add_firmware(<target> <sources...>): an ELF for ${TPR_BOARD} linked with the runtime.
function(tpr_add_firmware name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE tinyprune_runtime
    -Wl,--whole-archive tpr_board -Wl,--no-whole-archive m)
  target_link_options(${name} PRIVATE -T${TPR_BOARD_DIR}/${TPR_BOARD}/board.ld
                      -L${TPR_BOARD_DIR}/common -Wl,-Map=${name}.map)
  set_target_properties(${name} PROPERTIES SUFFIX ".elf" LINK_DEPENDS
                        "${TPR_BOARD_DIR}/${TPR_BOARD}/board.ld;${TPR_BOARD_DIR}/common/sections.ld")
endfunction()
set(TPR_BOARD_DIR ${TPR_BOARD_DIR} PARENT_SCOPE)

if(TINYPRUNE_BUILD_TESTS)
  enable_testing()
  set(TPR_TEST_DIR ${CMAKE_CURRENT_SOURCE_DIR}/tests)
  tpr_add_firmware(fw_test_kernels ${TPR_TEST_DIR}/test_kernels.c ${TPR_TEST_DIR}/bruteforce.c)
  target_include_directories(fw_test_kernels PRIVATE ${TPR_TEST_DIR})
  target_compile_definitions(fw_test_kernels PRIVATE TPR_TEST_ITERS=150)
  add_test(NAME mcu_${TPR_BOARD}_kernels COMMAND ${TPR_QEMU_RUN} ${TPR_QEMU_MACHINE} $<TARGET_FILE:fw_test_kernels>)
  if(TPR_OPT_KERNEL_SOURCES)
    add_library(tpr_ref_renamed OBJECT ${TPR_REF_KERNEL_SOURCES})
    target_include_directories(tpr_ref_renamed PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_compile_options(tpr_ref_renamed PRIVATE -include ${TPR_TEST_DIR}/ref_rename.h)
    tpr_add_firmware(fw_test_ref_vs_opt ${TPR_TEST_DIR}/test_ref_vs_opt.c ${TPR_TEST_DIR}/bruteforce.c
                     $<TARGET_OBJECTS:tpr_ref_renamed>)
    target_include_directories(fw_test_ref_vs_opt PRIVATE ${TPR_TEST_DIR})
    target_compile_definitions(fw_test_ref_vs_opt PRIVATE TPR_TEST_ITERS=150)
    add_test(NAME mcu_${TPR_BOARD}_ref_vs_opt COMMAND ${TPR_QEMU_RUN} ${TPR_QEMU_MACHINE} $<TARGET_FILE:fw_test_ref_vs_opt>)
  endif()
  set(TPR_MCU_DATA_HEADER "" CACHE FILEPATH "tpr_mcu_data.h from the host tool tpr_gen_mcu_data")
  if(TPR_MCU_DATA_HEADER)
    get_filename_component(_dir ${TPR_MCU_DATA_HEADER} DIRECTORY)
    tpr_add_firmware(fw_test_blob ${TPR_TEST_DIR}/mcu/test_blob.c)
    target_include_directories(fw_test_blob PRIVATE ${_dir})
    set_property(SOURCE ${TPR_TEST_DIR}/mcu/test_blob.c APPEND PROPERTY OBJECT_DEPENDS ${TPR_MCU_DATA_HEADER})
    add_test(NAME mcu_${TPR_BOARD}_blob COMMAND ${TPR_QEMU_RUN} ${TPR_QEMU_MACHINE} $<TARGET_FILE:fw_test_blob>)
  else()
    message(STATUS "tinyprune_runtime: no TPR_MCU_DATA_HEADER, firmware blob test skipped")
  endif()
endif()
