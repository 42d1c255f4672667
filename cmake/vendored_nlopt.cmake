# NLopt from third_party/nlopt (third_party/README.md): the planner's fallback when the
# system has no NLopt (a slim container with a compiler only, `pip install` of the sdist).
# Builds the unmodified C sources of NLopt 2.6.2 (the `nlopt` sdist on PyPI) as a static,
# position-independent library with hidden symbols, so that it lives inside _core and
# clashes with no other copy in the process. NLopt's dispatcher (src/api/optimize.c)
# calls every algorithm it knows, so every C algorithm is compiled; the C++ ones (StoGO,
# AGS) are left out, as NLopt itself leaves them out without NLOPT_CXX. The C++ API
# (nlopt.hpp) is generated from nlopt-in.hpp by NLopt's own script, as its build does
# (CMAKE_POLICY_VERSION_MINIMUM: the script asks for CMake 2.8, which CMake 4 refuses).
#
# Including this file enables C (at file scope, where CMake needs it);
# trustmix_vendored_nlopt(<third_party/nlopt>) defines the target trustmix_nlopt.
enable_language(C)
function(trustmix_vendored_nlopt dir)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/trustmix_nlopt")
  file(MAKE_DIRECTORY "${out}")
  include(CheckIncludeFile)
  include(CheckFunctionExists)
  include(CheckTypeSize)
  include(CheckCSourceCompiles)
  # nlopt_config.h: the same checks as NLopt's CMakeLists.txt, the template unmodified
  foreach(h dlfcn.h getopt.h unistd.h string.h strings.h inttypes.h memory.h stdlib.h stdint.h time.h
            sys/types.h sys/stat.h sys/time.h)
    string(TOUPPER "HAVE_${h}" var)
    string(REGEX REPLACE "[./]" "_" var "${var}")
    check_include_file(${h} ${var})
  endforeach()
  if(HAVE_TIME_H AND HAVE_SYS_TIME_H)
    set(TIME_WITH_SYS_TIME TRUE)
  endif()
  set(CMAKE_REQUIRED_LIBRARIES m)
  foreach(f getpid isinf isnan gettimeofday qsort_r time copysign)
    string(TOUPPER "HAVE_${f}" var)
    check_function_exists(${f} ${var})
  endforeach()
  unset(CMAKE_REQUIRED_LIBRARIES)
  check_type_size("uint32_t" SIZEOF_UINT32_T)
  set(HAVE_UINT32_T ${SIZEOF_UINT32_T})
  check_type_size("unsigned int" SIZEOF_UNSIGNED_INT)
  check_type_size("unsigned long" SIZEOF_UNSIGNED_LONG)
  check_c_source_compiles("#include <math.h>\nint main(void) { return fpclassify(3.14159) == FP_NAN; }" HAVE_FPCLASSIFY)
  check_c_source_compiles("__thread int tls;\nint main(void) { return 0; }" TRUSTMIX_NLOPT_HAVE_TLS)
  set(THREADLOCAL "")
  if(TRUSTMIX_NLOPT_HAVE_TLS)
    set(THREADLOCAL "__thread")
  endif()
  set(NLOPT_MAJOR_VERSION 2)
  set(NLOPT_MINOR_VERSION 6)
  set(NLOPT_BUGFIX_VERSION 2)
  configure_file("${dir}/nlopt_config.h.in" "${out}/nlopt_config.h")
  execute_process(COMMAND "${CMAKE_COMMAND}" "-DAPI_SOURCE_DIR=${dir}/src/api" -DCMAKE_POLICY_VERSION_MINIMUM=3.5 -Wno-deprecated -P "${dir}/cmake/generate-cpp.cmake"
                  WORKING_DIRECTORY "${out}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT EXISTS "${out}/nlopt.hpp")
    message(FATAL_ERROR "trustmix: generating nlopt.hpp from third_party/nlopt failed (${rc})")
  endif()
  set(algs direct/DIRect.c direct/direct_wrap.c direct/DIRserial.c direct/DIRsubrout.c cdirect/cdirect.c
      cdirect/hybrid.c praxis/praxis.c luksan/plis.c luksan/plip.c luksan/pnet.c luksan/mssubs.c luksan/pssubs.c
      crs/crs.c mlsl/mlsl.c mma/mma.c mma/ccsa_quadratic.c cobyla/cobyla.c newuoa/newuoa.c neldermead/nldrmd.c
      neldermead/sbplx.c auglag/auglag.c bobyqa/bobyqa.c isres/isres.c slsqp/slsqp.c esch/esch.c)
  set(sources "")
  set(dirs "")
  foreach(f ${algs})
    list(APPEND sources "${dir}/src/algs/${f}")
    get_filename_component(d "${dir}/src/algs/${f}" DIRECTORY)
    list(APPEND dirs "${d}")
  endforeach()
  list(REMOVE_DUPLICATES dirs)
  foreach(f api/general.c api/options.c api/optimize.c api/deprecated.c util/mt19937ar.c util/sobolseq.c
            util/timer.c util/stop.c util/redblack.c util/qsort_r.c util/rescale.c)
    list(APPEND sources "${dir}/src/${f}")
  endforeach()
  add_library(trustmix_nlopt STATIC ${sources})
  set_target_properties(trustmix_nlopt PROPERTIES POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET hidden
                                                  C_STANDARD 99 C_EXTENSIONS ON)
  target_include_directories(trustmix_nlopt PRIVATE "${out}" "${dir}/src/api" "${dir}/src/util" ${dirs})
  # consumers see nlopt.h and the generated nlopt.hpp as system headers (-isystem: NLopt's
  # code is not held to our warnings), still searched before the standard /usr/include
  target_include_directories(trustmix_nlopt SYSTEM INTERFACE "$<BUILD_INTERFACE:${out}>"
                                                             "$<BUILD_INTERFACE:${dir}/src/api>")
  target_compile_options(trustmix_nlopt PRIVATE $<$<C_COMPILER_ID:GNU,Clang,AppleClang>:-w>)  # third-party C: not our warnings
  if(NOT WIN32)
    target_link_libraries(trustmix_nlopt PRIVATE m)
  endif()
endfunction()
