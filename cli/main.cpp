// SPDX-License-Identifier: MIT
// The `wisp` command line (DESIGN.md §1). Parsing only; the work is in run.cpp.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "options.h"
#include "run.h"
#include "vmm.h"

#ifndef WISP_VERSION
#define WISP_VERSION "0.1.0"
#endif

namespace {

using namespace wisp::cli;
using wisp::vmm::UserError;

// Exit status for command-line mistakes (unknown option, bad value), as getopt-style tools use.
constexpr int kStatusUsage = 2;

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// CLI11's usage line cannot show what prefix_command() collects; say it.
class Formatter : public CLI::Formatter {
  public:
    std::string make_usage(const CLI::App* app, std::string name) const override {
        if (app->get_name() == "run") return "Usage: wisp run [OPTIONS] PROGRAM|IMAGE [ARGS...]\n";
        if (app->get_name() == "build")
            return "Usage: wisp build -o IMAGE [OPTIONS] PROGRAM [ARGS...]\n";
        return CLI::Formatter::make_usage(app, std::move(name));
    }
};

// Options shared by `run` and `build`.
struct CommonOptions {
    std::vector<std::string> env_args;
    std::vector<std::string> file_args;

    void add_to(CLI::App& app) {
        app.add_option("-e,--env", env_args,
                       "Set an environment variable (KEY=VAL, or KEY to copy "
                       "the host's value)")
            ->type_name("KEY=VAL")
            ->allow_extra_args(false);
        app.add_option("--file", file_args,
                       "Add a host file or directory to the image, at GUEST "
                       "(default: the same absolute path)")
            ->type_name("HOST[:GUEST]")
            ->allow_extra_args(false);
    }
    std::vector<std::string> env() const {
        std::vector<std::string> result;
        for (const std::string& arg : env_args)
            if (auto entry = parse_env_option(arg)) result.push_back(*entry);
        return result;
    }
    std::vector<std::pair<std::string, std::string>> files() const {
        std::vector<std::pair<std::string, std::string>> result;
        for (const std::string& arg : file_args)
            result.push_back(parse_file_option(arg));
        return result;
    }
};

// With prefix_command, everything from the first positional on is left in the subcommand's
// remaining(): PROGRAM and its ARGS, untouched (`wisp run ./app -x --y` passes -x --y to the
// app). After an explicit `--` (`wisp run -m 1G -- ./app`), CLI11 leaves them to the parent.
std::pair<std::string, std::vector<std::string>> program_and_args(CLI::App& app,
                                                                  CLI::App& command) {
    std::vector<std::string> rest = command.remaining();
    if (rest.empty()) rest = app.remaining();
    std::string help = " (see wisp " + command.get_name() + " --help)";
    if (rest.empty()) throw UsageError("missing PROGRAM" + help);
    if (rest.front().size() > 1 && rest.front()[0] == '-')
        throw UsageError("unknown option " + rest.front() + help);
    std::string program = rest.front();
    rest.erase(rest.begin());
    return {program, rest};
}

int run_main(int argc, char** argv) {
    if (argc < 2)
        throw UsageError("missing command: wisp run PROGRAM [ARGS...], or wisp build -o IMAGE "
                         "PROGRAM (see wisp --help)");
    std::string_view command = argv[1];
    if (command == "ps" || command == "stop" || command == "logs")
        throw UserError(std::string(command) + ": detached instances are not supported yet");
    if (!command.starts_with("-") && command != "run" && command != "build")
        throw UsageError("unknown command " + std::string(command) +
                         " (wisp run or wisp build; see wisp --help)");
    CLI::App app{"wisp runs one unmodified Linux x86-64 program in its own lightweight VM.",
                 "wisp"};
    app.set_version_flag("--version", "wisp " WISP_VERSION);
    app.require_subcommand(1);
    app.allow_extras(); // only what follows `--` ends up here; see program_and_args
    app.formatter(std::make_shared<Formatter>());

    // --- wisp run ---
    CLI::App* run = app.add_subcommand("run", "Run a program (or an image from `wisp build`) "
                                              "in a new VM");
    run->prefix_command();
    run->allow_extras();
    RunOptions run_options;
    CommonOptions run_common;
    std::string memory = "256M", hypervisor = "wisp";
    std::vector<std::string> unsupported_ports, unsupported_net;
    bool unsupported_detach = false;
    run->add_option("-m,--memory", memory, "Guest memory, e.g. 256M or 1G (a bare number is MiB)")
        ->type_name("SIZE")
        ->capture_default_str();
    run->add_option("-c,--cpus", run_options.cpus, "Number of virtual CPUs")
        ->type_name("N")
        ->capture_default_str()
        ->check(CLI::Range(1, 256));
    run_common.add_to(*run);
    run->add_option("--hypervisor", hypervisor, "Which hypervisor boots the VM: wisp or qemu")
        ->type_name("NAME")
        ->capture_default_str()
        ->check(CLI::IsMember({"wisp", "qemu"}));
    run->add_flag("--timings", run_options.timings, "Print where the time went (to stderr)");
    run->add_option("--kernel", run_options.kernel_path,
                    "The wisp kernel to boot (default: wisp-kernel next to wisp)")
        ->type_name("PATH");
    run->add_flag("--strace", run_options.strace, "Print every system call the program makes");
    run->add_option("--kernel-option", run_options.kernel_options,
                    "Pass an option to the wisp kernel as is (for kernel tests)")
        ->type_name("OPTION")
        ->allow_extra_args(false);
    run->add_option("-p,--publish", unsupported_ports, "Forward a host port (not supported yet)")
        ->type_name("HOST:GUEST");
    run->add_option("--net", unsupported_net, "Network backend (not supported yet)")
        ->type_name("user|tap:NAME");
    run->add_flag("-d,--detach", unsupported_detach, "Run in the background (not supported yet)");
    run->footer("PROGRAM is a static x86-64 Linux executable (looked up in PATH like a shell "
                "does), or an image built by `wisp build`. Everything after it goes to the "
                "program.");

    // --- wisp build ---
    CLI::App* build = app.add_subcommand("build", "Pack a program into an image that "
                                                  "`wisp run` (or QEMU) boots");
    build->prefix_command();
    build->allow_extras();
    BuildOptions build_options;
    CommonOptions build_common;
    build->add_option("-o,--output", build_options.output, "The image file to write")
        ->type_name("IMAGE")
        ->required();
    build_common.add_to(*build);
    build->footer("ARGS after PROGRAM become the image's default arguments (a `--` between "
                  "PROGRAM and ARGS is dropped).");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        throw UsageError(e.what());
    }

    if (run->parsed()) {
        if (!unsupported_ports.empty()) throw UserError("-p: port forwarding is not supported yet");
        if (!unsupported_net.empty()) throw UserError("--net: networking is not supported yet");
        if (unsupported_detach) throw UserError("-d: detached instances are not supported yet");
        auto size = parse_memory_size(memory);
        if (!size) throw UsageError("-m " + memory + ": not a memory size (use e.g. 256M or 1G)");
        if (*size < kMinMemoryBytes)
            throw UsageError("-m " + memory + ": too little memory (wisp needs at least " +
                             format_memory_size(kMinMemoryBytes) + ")");
        run_options.memory_bytes = *size;
        run_options.hypervisor = hypervisor == "qemu" ? Hypervisor::Qemu : Hypervisor::Wisp;
        auto [program, args] = program_and_args(app, *run);
        run_options.program = program;
        run_options.args = args;
        run_options.env = run_common.env();
        run_options.files = run_common.files();
        return run_command(run_options);
    }
    auto [program, args] = program_and_args(app, *build);
    // `wisp build -o py.img /usr/bin/python3 -- -c 'print(1)'`: a `--` right after PROGRAM
    // separates it from the default ARGS (write `-- --` for a program whose first is `--`).
    if (!args.empty() && args.front() == "--") args.erase(args.begin());
    build_options.program = program;
    build_options.args = args;
    build_options.env = build_common.env();
    build_options.files = build_common.files();
    return build_command(build_options);
}

// One line on stderr, "wisp: " first (some messages from the monitor already carry it).
void print_error(std::string_view message) {
    if (message.starts_with("wisp: ")) message.remove_prefix(6);
    while (!message.empty() && message.back() == '\n')
        message.remove_suffix(1);
    fprintf(stderr, "wisp: %.*s\n", static_cast<int>(message.size()), message.data());
}

} // namespace

int main(int argc, char** argv) {
    // A closed stdout (`wisp run app | head`) must not kill wisp halfway through a VM.
    signal(SIGPIPE, SIG_IGN);
    try {
        return run_main(argc, argv);
    } catch (const UsageError& e) {
        print_error(e.what());
        return kStatusUsage;
    } catch (const UserError& e) {
        print_error(e.what());
        return 1;
    } catch (const std::exception& e) {
        print_error(std::string("internal error: ") + e.what());
        return 1;
    }
}
