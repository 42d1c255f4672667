#pragma once
// Long C++ work that Ctrl-C can stop: the work runs on a worker thread with the GIL
// released while the calling thread wakes every 0.1 s, takes the GIL, calls `poll`
// (progress) and checks for signals (PyErr_CheckSignals). On a signal it sets `stop`,
// which the work reads at its checkpoints (it then throws trustmix::Interrupted), and the
// signal's Python exception (KeyboardInterrupt) is raised once the worker has returned,
// within about a second of Ctrl-C. With `keyboard_interrupt` given, Ctrl-C is not raised
// but recorded there (the caller keeps what the work made so far: the sampler's draws).
#include <pybind11/pybind11.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace trustmix::bindings {

template <class Work, class Poll>
void run_interruptible(std::atomic<bool>& stop, Work&& work, Poll&& poll, bool* keyboard_interrupt = nullptr) {
  namespace py = pybind11;
  // A KeyboardInterrupt the caller asked to keep is recorded, not raised.
  const auto kept = [keyboard_interrupt](const py::error_already_set& e) {
    if (keyboard_interrupt == nullptr || !e.matches(PyExc_KeyboardInterrupt)) return false;
    *keyboard_interrupt = true;
    return true;
  };
  std::exception_ptr error, python_error;
  std::mutex mutex;
  std::condition_variable cv;
  bool finished = false;
  {
    const py::gil_scoped_release release;
    std::thread worker([&] {
      try {
        work();
      } catch (...) {
        error = std::current_exception();
      }
      const std::lock_guard<std::mutex> lock(mutex);
      finished = true;
      cv.notify_all();
    });
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        if (cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return finished; })) break;
      }
      const py::gil_scoped_acquire gil;
      if (!python_error && PyErr_CheckSignals() != 0) {
        py::error_already_set e;  // fetches (and clears) the signal handler's exception
        if (!kept(e)) python_error = std::make_exception_ptr(std::move(e));
        stop.store(true);
      }
      if (!stop.load()) {
        try {
          poll();
        } catch (py::error_already_set& e) {  // Ctrl-C may land in the progress callback
          if (!kept(e)) python_error = std::current_exception();
          stop.store(true);
        } catch (...) {
          python_error = std::current_exception();
          stop.store(true);
        }
      }
    }
    worker.join();
  }
  if (python_error) std::rethrow_exception(python_error);
  if (error) std::rethrow_exception(error);
}

}  // namespace trustmix::bindings
