#pragma once
// Long C++ work that Ctrl-C can stop: the work runs on a worker thread with the GIL
// released while the calling thread wakes every 0.1 s, takes the GIL, calls `poll`
// (progress) and checks for signals (PyErr_CheckSignals). On a signal it sets `stop`,
// which the work reads at its checkpoints (it then throws trustmix::Interrupted), and the
// signal's Python exception (KeyboardInterrupt) is raised once the worker has returned,
// within about a second of Ctrl-C. The same pattern as the sampler's (inference.cpp).
#include <pybind11/pybind11.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace trustmix::bindings {

template <class Work, class Poll>
void run_interruptible(std::atomic<bool>& stop, Work&& work, Poll&& poll) {
  namespace py = pybind11;
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
        python_error = std::make_exception_ptr(py::error_already_set());
        stop.store(true);
      }
      if (!stop.load()) {
        try {
          poll();
        } catch (...) {  // Ctrl-C may land in the progress callback
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
