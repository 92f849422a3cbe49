# COREIO_SANITIZE=address|thread.
#
# Fiber switches are annotated by the runtime itself (core/src/fiber/fiber_switch.hpp
# calls __sanitizer_start/finish_switch_fiber and __tsan_switch_to_fiber around
# every Boost.Context jump), enabled by COREIO_ASAN / COREIO_TSAN. We keep the
# fcontext backend in every build so sanitizer runs test the same switch code
# that release builds run.
if(COREIO_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(COREIO_ASAN=1)
elseif(COREIO_SANITIZE STREQUAL "thread")
  # -Wno-tsan: gcc warns that TSan does not model std::atomic_thread_fence;
  # Boost.Asio's handler allocator uses fences internally. coreio itself uses
  # none (ref.hpp explains); a report caused by Asio's fences would show up as
  # a TSan error, and every such suppression goes in tsan.supp with a reason.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  add_link_options(-fsanitize=thread)
  add_compile_definitions(COREIO_TSAN=1)
elseif(NOT COREIO_SANITIZE STREQUAL "")
  message(FATAL_ERROR "COREIO_SANITIZE must be empty, 'address' or 'thread', not '${COREIO_SANITIZE}'")
endif()
