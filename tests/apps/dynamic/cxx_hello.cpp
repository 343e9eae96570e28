// SPDX-License-Identifier: MIT
// A C++ program linked dynamically against libstdc++ (and libgcc_s for unwinding): iostreams,
// exceptions thrown across functions and threads, std::thread with a mutex and a condition
// variable, std::string/map/vector, a static object with a constructor and destructor.
// Prints only deterministic values: compared with the same run natively.
#include <atomic>
#include <condition_variable>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Announcer {
    Announcer() { std::cout << "static constructor ran" << std::endl; }
    ~Announcer() { std::cout << "static destructor ran" << std::endl; }
} announcer;

struct Error : std::runtime_error {
    int code;
    Error(const std::string& what, int code) : std::runtime_error(what), code(code) {}
};

int deep(int n) {
    if (n == 0) throw Error("bottom reached", 42);
    std::unique_ptr<int> guard(new int(n)); // unwinding frees it
    return deep(n - 1) + *guard;
}

} // namespace

int main(int argc, char** argv) {
    std::cout << "hello from C++, argc=" << argc << std::endl;
    for (int i = 1; i < argc; i++) std::cout << "argv[" << i << "]=" << argv[i] << '\n';

    // iostreams formatting and string streams.
    std::ostringstream out;
    out << std::setw(8) << std::setfill('.') << 42 << '|' << std::hex << 255 << '|' << std::dec
        << std::fixed << std::setprecision(3) << 3.14159 << '|' << std::scientific << 1e-10;
    std::cout << "format " << out.str() << '\n';
    std::istringstream in("10 20 30 forty");
    int a, b, c;
    std::string word;
    in >> a >> b >> c >> word;
    std::cout << "parse " << a + b + c << ' ' << word << '\n';

    // Containers.
    std::map<std::string, int> counts;
    for (const char* w : {"b", "a", "c", "a", "b", "a"}) counts[w]++;
    for (const auto& [k, v] : counts) std::cout << k << '=' << v << ' ';
    std::cout << '\n';
    std::vector<long> v(1000);
    std::iota(v.begin(), v.end(), 1);
    std::cout << "sum " << std::accumulate(v.begin(), v.end(), 0L) << '\n';

    // Exceptions: through frames with destructors, rethrown, standard ones.
    try {
        deep(10);
    } catch (const Error& e) {
        std::cout << "caught " << e.what() << " code " << e.code << '\n';
    }
    try {
        try {
            std::vector<int>().at(5);
        } catch (const std::out_of_range&) {
            std::cout << "out_of_range caught, rethrowing\n";
            throw;
        }
    } catch (const std::exception& e) {
        std::cout << "rethrown caught: " << (e.what()[0] != '\0') << '\n';
    }

    // Threads: a worker pool summing ranges, a mutex, a condition variable, an exception carried
    // out of a thread with std::exception_ptr.
    std::mutex mutex;
    std::condition_variable ready;
    int finished = 0;
    std::atomic<long> total{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; t++) {
        workers.emplace_back([&, t] {
            long s = 0;
            for (long i = t * 100000; i < (t + 1) * 100000; i++) s += i;
            total += s;
            std::lock_guard<std::mutex> lock(mutex);
            finished++;
            ready.notify_one();
        });
    }
    {
        std::unique_lock<std::mutex> lock(mutex);
        ready.wait(lock, [&] { return finished == 4; });
    }
    for (auto& w : workers) w.join();
    std::cout << "threads " << finished << " total " << total << '\n';
    std::exception_ptr failure;
    std::thread thrower([&] {
        try {
            throw Error("from a thread", 7);
        } catch (...) {
            failure = std::current_exception();
        }
    });
    thrower.join();
    try {
        std::rethrow_exception(failure);
    } catch (const Error& e) {
        std::cout << "thread exception " << e.what() << ' ' << e.code << '\n';
    }
    std::cerr << "to stderr" << std::endl;
    return argc > 1 ? std::stoi(argv[argc - 1]) : 0;
}
