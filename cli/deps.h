// SPDX-License-Identifier: MIT
#pragma once

// The dependency resolver (DESIGN.md §4): which host files a program needs in its image, found
// the way its dynamic linker will find them inside the guest — without running the program.
//
// - The program and its interpreter (PT_INTERP), each at the path it is named by, with every
//   symlink met on the way kept as a symlink (/lib64 -> usr/lib64, /usr/bin/python3 ->
//   python3.11), so that the same path resolves the same way in the image.
// - Shared objects: DT_NEEDED recursively, searched like glibc's ld.so (DT_RPATH of the loader
//   chain when the loader has no DT_RUNPATH, DT_RUNPATH, /etc/ld.so.cache, the default
//   directories; $ORIGIN, $LIB and $PLATFORM expanded) or, for a program whose interpreter is
//   musl's, like musl's (RPATH/RUNPATH of the loader chain with $ORIGIN, then
//   /etc/ld-musl-x86_64.path or musl's default path). Files of another ELF class or machine
//   are skipped, as ld.so skips them.
// - Runtime files, only for programs that use them: CPython's standard library and lib-dynload
//   (and the shared objects its extension modules need), CA certificates for programs that
//   link OpenSSL, a few terminfo entries for curses/readline programs, C.UTF-8 for Python,
//   locale data and gconv modules only when the guest environment asks for another locale.
//
// LD_LIBRARY_PATH is not consulted: it belongs to the host's environment, not the guest's.
#include <stdint.h>

#include <map>
#include <string>
#include <vector>

namespace wisp::cli {

// A host file system entry the image takes at the same absolute path.
struct HostEntry {
    enum class Kind : char { File = 'f', Directory = 'd', Symlink = 'l' };
    Kind kind = Kind::File;
    uint32_t mode = 0;  // permission bits (st_mode & 07777)
    uint64_t size = 0;  // File: its size when resolved (the builder checks it is unchanged)
    std::string target; // Symlink: the link's contents, as stored on the host
};

// A shared object the dynamic linker loads at startup.
struct LoadedLibrary {
    std::string name; // as asked for: a DT_NEEDED string, or the PT_INTERP path
    std::string path; // the path it is opened by (what `ldd` prints after "=>")
};

struct Closure {
    // Absolute path -> entry, sorted by path, so a directory comes before what it holds. The
    // program itself is included (its symlink chain and the file it ends at).
    std::map<std::string, HostEntry> entries;
    std::string interpreter; // PT_INTERP as the program names it; empty for a static program
    // The interpreter, then the DT_NEEDED closure in load (breadth-first) order. Shared objects
    // that are only loaded later (Python extension modules and what they need, libgcc_s) are
    // in `entries` but not here.
    std::vector<LoadedLibrary> libraries;
    // One-line remarks for the user about what was left out and why (no "wisp:" prefix).
    std::vector<std::string> notes;
};

struct ResolveOptions {
    // The guest environment, KEY=VALUE: LANG/LC_* decide whether locale files go in.
    std::vector<std::string> env;
    // Where the ld.so cache is read from. Only the real /etc/ld.so.cache goes into the image
    // (where the guest's ld.so reads it); tests point this elsewhere to search without one.
    std::string ld_cache_path = "/etc/ld.so.cache";
};

// Resolves everything `program` (an absolute, normalized host path) needs. A file that is not
// an x86-64 ELF executable, or a static one, needs only itself. Throws vmm::UserError with a
// one-line message when a shared object cannot be found ("/usr/bin/app: cannot find
// libfoo.so.1 (needed by /usr/lib/x86_64-linux-gnu/libbar.so.2)"), or when the interpreter is
// missing or unusable.
Closure resolve_closure(const std::string& program, const ResolveOptions& options = {});

} // namespace wisp::cli
