// SPDX-License-Identifier: MIT
// The image builder (DESIGN.md §4): stages the program with everything it needs from the host
// (its shared libraries and runtime files, found by the dependency resolver, deps.h), the
// user's extra files, generated /etc basics and /.wisp/cmdline in a temporary directory, then
// runs mkfs.erofs on it.
//
// Images are cached by content: ${XDG_CACHE_HOME:-$HOME/.cache}/wisp/images/<sha256>.erofs,
// the hash taken over everything that goes in (kBuilderVersion, the program's guest path, each
// resolved host entry's path, type, mode and bytes or target, each extra file's guest path,
// type, mode and bytes or target, the command line). A hit costs resolving the dependencies,
// hashing the inputs and one stat; the resolved host files enter the hash through digests
// remembered in ../file-digests by file identity and change time (file_digests.h), so a hit
// does not read them again. Builds write a temporary file and rename it into place,
// so concurrent `wisp run`s of the same program are safe (both write the same bytes).
// FIXME: nothing evicts old images yet, nor what a build killed midway leaves (stage-*, *.tmp-*).
//
// The output is deterministic: mkfs.erofs runs with a fixed timestamp (-T0), every file owned by
// root (--all-root), no xattrs (-x-1) and a UUID taken from the cache key. WISP_MKFS_EROFS, when
// set, names the mkfs.erofs to run.
#include "image.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <filesystem>
#include <random>
#include <set>

#include "deps.h"
#include "file_digests.h"
#include "lib/cmdline.h"
#include "sha256.h"
#include "vmm.h"

extern char** environ;

namespace wisp::cli {

using vmm::UserError;
namespace stdfs = std::filesystem;

namespace {

// Part of the cache key: change it whenever the same inputs should give a different image
// (mkfs options, generated files, staging rules).
constexpr const char* kBuilderVersion = "wisp-image-builder 3"; // 3: .pyc mtimes

// mkfs.erofs 1.5 truncates 255-byte names to 254 and then fails: refuse them with a clear error.
constexpr size_t kMaxNameLength = 254;

std::string errno_text() {
    return std::strerror(errno);
}

struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

// Absolute, lexically normal ("/a/./b/../c" -> "/a/c"; ".." at the root stays at the root).
std::string normal_absolute(const std::string& path) {
    stdfs::path p = path;
    if (p.is_relative()) p = stdfs::current_path() / p;
    std::string normal = p.lexically_normal().string();
    while (normal.size() > 1 && normal.back() == '/')
        normal.pop_back();
    return normal;
}

// A guest path: absolute (relative ones are taken from /), normalized, every name short enough.
std::string guest_path(const std::string& guest, const std::string& host) {
    if (guest.empty()) throw UserError("--file " + host + ": empty guest path (use HOST:/path)");
    std::string normal = (stdfs::path("/") / guest).lexically_normal().string();
    while (normal.size() > 1 && normal.back() == '/')
        normal.pop_back();
    return normal;
}

void check_name_lengths(const std::string& guest) {
    size_t start = 0;
    while (start < guest.size()) {
        size_t end = guest.find('/', start);
        if (end == std::string::npos) end = guest.size();
        if (end - start > kMaxNameLength)
            throw UserError("file name too long for the image (" + std::to_string(end - start) +
                            " bytes, mkfs.erofs takes at most 254): " + guest);
        start = end + 1;
    }
}

void check_no_nul(const std::string& text, const char* what) {
    if (text.find('\0') != std::string::npos)
        throw UserError(std::string(what) + " contains a NUL byte, which a command line cannot "
                                            "carry: remove it");
}

// --- the cache key -----------------------------------------------------------------------

// Every field is length-prefixed so that no two different inputs hash the same byte stream.
void hash_field(Sha256& sha, std::string_view bytes) {
    uint64_t length = bytes.size();
    sha.update(&length, sizeof length);
    sha.update(bytes);
}

void hash_file_bytes(Sha256& sha, const std::string& path, uint64_t expected_size) {
    Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.fd < 0) throw UserError("cannot read " + path + ": " + errno_text());
    sha.update(&expected_size, sizeof expected_size);
    static thread_local std::vector<uint8_t> buffer(1 << 20);
    uint64_t total = 0;
    while (true) {
        ssize_t n = ::read(file.fd, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw UserError("cannot read " + path + ": " + errno_text());
        }
        if (n == 0) break;
        sha.update(buffer.data(), size_t(n));
        total += uint64_t(n);
    }
    if (total != expected_size)
        throw UserError(path + " changed while it was read: try again when it is stable");
}

// The kinds of host entries an image takes. Other kinds (fifos, sockets, devices) inside a
// --file directory are left out.
enum class Kind : char { File = 'f', Directory = 'd', Symlink = 'l', Other = '?' };

Kind kind_of(const struct stat& st) {
    if (S_ISREG(st.st_mode)) return Kind::File;
    if (S_ISDIR(st.st_mode)) return Kind::Directory;
    if (S_ISLNK(st.st_mode)) return Kind::Symlink;
    return Kind::Other;
}

std::vector<std::string> sorted_names(const std::string& dir) {
    std::vector<std::string> names;
    std::error_code error;
    stdfs::directory_iterator it(dir, error);
    if (error) throw UserError("cannot read directory " + dir + ": " + error.message());
    for (const auto& entry : it)
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::string read_link(const std::string& path) {
    std::error_code error;
    auto target = stdfs::read_symlink(path, error);
    if (error) throw UserError("cannot read symlink " + path + ": " + error.message());
    return target.string();
}

// Hashes one host entry (st from stat for the top level, lstat inside directories) as it will
// be staged at `guest`.
void hash_entry(Sha256& sha, const std::string& host, const struct stat& st,
                const std::string& guest) {
    const Kind kind = kind_of(st);
    if (kind == Kind::Other) return;
    check_name_lengths(guest);
    hash_field(sha, guest);
    const char tag = char(kind);
    sha.update(&tag, 1);
    const uint32_t mode = st.st_mode & 07777;
    sha.update(&mode, sizeof mode);
    switch (kind) {
    case Kind::File:
        hash_file_bytes(sha, host, uint64_t(st.st_size));
        break;
    case Kind::Symlink:
        hash_field(sha, read_link(host));
        break;
    case Kind::Directory:
        for (const auto& name : sorted_names(host)) {
            std::string child = host + "/" + name;
            struct stat child_st;
            if (::lstat(child.c_str(), &child_st) != 0)
                throw UserError("cannot read " + child + ": " + errno_text());
            hash_entry(sha, child, child_st, guest == "/" ? "/" + name : guest + "/" + name);
        }
        break;
    case Kind::Other:
        break;
    }
}

// --- inputs ---------------------------------------------------------------------------------

struct ExtraFile {
    std::string host;
    std::string guest;
    struct stat st;
};

struct Inputs {
    std::string program; // absolute host path, also its guest path
    struct stat program_st;
    Closure closure; // the program and what it needs from the host, at the same paths
    std::vector<ExtraFile> files;
    std::string cmdline; // the contents of /.wisp/cmdline
};

Inputs check_inputs(const ImageSpec& spec) {
    Inputs in;
    if (spec.program.empty()) throw UserError("no program given: name the executable to run");
    in.program = normal_absolute(spec.program);
    if (::stat(in.program.c_str(), &in.program_st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            throw UserError("program not found: " + spec.program + " (check the path)");
        throw UserError("cannot read program " + spec.program + ": " + errno_text());
    }
    if (!S_ISREG(in.program_st.st_mode))
        throw UserError(spec.program + " is not a regular file: give the path of an executable");
    check_name_lengths(in.program);

    for (const auto& [host, guest] : spec.files) {
        ExtraFile file;
        file.host = normal_absolute(host);
        if (::stat(file.host.c_str(), &file.st) != 0)
            throw UserError(
                "--file " + host + ": " +
                (errno == ENOENT ? std::string("no such file or directory") : errno_text()) +
                " (check the host path)");
        file.guest = guest_path(guest, host);
        if (file.guest == "/" && !S_ISDIR(file.st.st_mode))
            throw UserError("--file " + host + ":/ : only a directory can be placed at /");
        if (kind_of(file.st) == Kind::Other)
            throw UserError("--file " + host + ": not a regular file or directory");
        check_name_lengths(file.guest);
        in.files.push_back(std::move(file));
    }

    std::vector<std::string> options;
    for (const auto& env : spec.env) {
        check_no_nul(env, "an environment variable");
        if (env.find('=') == std::string::npos)
            throw UserError("environment variable '" + env + "' has no value: write KEY=VALUE");
        options.push_back("env=" + env);
    }
    std::vector<std::string> argv = spec.argv;
    if (argv.empty()) argv.push_back(in.program);
    for (const auto& arg : argv)
        check_no_nul(arg, "an argument");
    in.cmdline = cmdline::build_cmdline(options, argv) + "\n";

    ResolveOptions resolve;
    resolve.env = spec.env;
    in.closure = resolve_closure(in.program, resolve);
    return in;
}

// One resolved host entry, hashed as it will be staged at the same path. A file's bytes enter
// through their digest, which `digests` remembers between runs (file_digests.h).
void hash_host_entry(Sha256& sha, const std::string& path, const HostEntry& entry,
                     FileDigests& digests) {
    check_name_lengths(path);
    hash_field(sha, path);
    const char tag = char(entry.kind);
    sha.update(&tag, 1);
    sha.update(&entry.mode, sizeof entry.mode);
    switch (entry.kind) {
    case HostEntry::Kind::File: {
        struct stat st;
        if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
            uint64_t(st.st_size) != entry.size)
            throw UserError(path + " changed while it was read: try again when it is stable");
        const Sha256::Digest digest = digests.digest(path, st, [&] {
            Sha256 bytes;
            hash_file_bytes(bytes, path, entry.size);
            return bytes.finish();
        });
        sha.update(digest.data(), digest.size());
        break;
    }
    case HostEntry::Kind::Symlink:
        hash_field(sha, entry.target);
        break;
    case HostEntry::Kind::Directory:
        break;
    }
}

std::string cache_dir();

Sha256::Digest cache_key(const Inputs& in) {
    Sha256 sha;
    hash_field(sha, kBuilderVersion);
    hash_field(sha, in.program);
    const uint64_t entries = in.closure.entries.size();
    sha.update(&entries, sizeof entries);
    FileDigests digests(stdfs::path(cache_dir()).parent_path().string() + "/file-digests");
    for (const auto& [path, entry] : in.closure.entries)
        hash_host_entry(sha, path, entry, digests);
    digests.save();
    const uint64_t count = in.files.size();
    sha.update(&count, sizeof count);
    for (const auto& file : in.files)
        hash_entry(sha, file.host, file.st, file.guest);
    hash_field(sha, in.cmdline);
    return sha.finish();
}

// --- staging --------------------------------------------------------------------------------

// A temporary directory, removed with everything in it when this goes out of scope.
class TempDir {
  public:
    explicit TempDir(const std::string& parent) {
        std::string pattern = parent + "/stage-XXXXXX";
        if (!::mkdtemp(pattern.data()))
            throw UserError("cannot create a staging directory in " + parent + ": " + errno_text());
        m_path = pattern;
    }
    TempDir(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        // Directories staged without write permission must be made writable to empty them.
        for (auto it = stdfs::recursive_directory_iterator(m_path, ignored);
             it != stdfs::recursive_directory_iterator(); it.increment(ignored)) {
            if (it->is_directory(ignored) && !it->is_symlink(ignored))
                ::chmod(it->path().c_str(), 0700);
        }
        stdfs::remove_all(m_path, ignored);
    }
    const std::string& path() const { return m_path; }

  private:
    std::string m_path;
};

void make_directory(const std::string& path, mode_t mode) {
    if (::mkdir(path.c_str(), 0700) != 0) {
        struct stat st;
        if (errno == EEXIST && ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
        if (errno == EEXIST) {
            // A file or symlink staged earlier is replaced by the directory.
            ::unlink(path.c_str());
            if (::mkdir(path.c_str(), 0700) == 0) {
                ::chmod(path.c_str(), mode);
                return;
            }
        }
        throw UserError("cannot create " + path + ": " + errno_text());
    }
    ::chmod(path.c_str(), mode); // explicit: the umask must not change the image
}

// Creates the staged parents of `guest` (mode 0755 where they do not exist yet) and returns
// the staging path of `guest` itself (which is left alone). Symlinks staged earlier among the
// parents (a program's /lib -> usr/lib) are followed inside the root, as the guest's path walk
// will follow them, so a --file placed at /lib/x lands beside the libraries in /usr/lib.
std::string make_parents(const std::string& root, const std::string& guest) {
    std::string_view parent(guest);
    parent = parent.substr(0, parent.rfind('/'));
    std::vector<std::string> pending; // a stack of the components still to walk
    auto push_components = [&](std::string_view path) {
        std::vector<std::string> parts;
        size_t start = 0;
        while (start <= path.size()) {
            size_t end = std::min(path.find('/', start), path.size());
            if (end > start) parts.emplace_back(path.substr(start, end - start));
            start = end + 1;
        }
        pending.insert(pending.end(), parts.rbegin(), parts.rend());
    };
    push_components(parent);
    std::string current; // the resolved guest path so far ("" is the root)
    int follows = 0;
    while (!pending.empty()) {
        std::string name = std::move(pending.back());
        pending.pop_back();
        if (name == ".") continue;
        if (name == "..") {
            current = current.substr(0, current.empty() ? 0 : current.rfind('/'));
            continue;
        }
        const std::string candidate = current + "/" + name;
        const std::string staged = root + candidate;
        struct stat st;
        const bool exists = ::lstat(staged.c_str(), &st) == 0;
        if (exists && S_ISLNK(st.st_mode) && follows < 40) { // Linux MAXSYMLINKS
            follows++;
            const std::string target = read_link(staged);
            if (target.starts_with("/")) current.clear();
            push_components(target);
            continue;
        }
        // A missing directory is made; a file (or a symlink loop) in the way is replaced.
        if (!exists || !S_ISDIR(st.st_mode)) make_directory(staged, 0755);
        current = candidate;
    }
    return root + current + guest.substr(parent.size());
}

void remove_existing(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return;
    std::error_code ignored;
    if (S_ISDIR(st.st_mode)) ::chmod(path.c_str(), 0700);
    stdfs::remove_all(path, ignored);
}

void copy_file(const std::string& from, const std::string& to, mode_t mode) {
    Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.fd < 0) throw UserError("cannot read " + from + ": " + errno_text());
    Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (out.fd < 0) throw UserError("cannot write " + to + ": " + errno_text());
    while (true) {
        ssize_t n = ::copy_file_range(in.fd, nullptr, out.fd, nullptr, 1 << 30, 0);
        if (n == 0) break;
        if (n > 0) continue;
        if (errno == EINTR) continue;
        if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
            throw UserError("cannot copy " + from + ": " + errno_text());
        // No copy_file_range between these file systems: plain read/write.
        std::vector<char> buffer(1 << 20);
        while (true) {
            ssize_t got = ::read(in.fd, buffer.data(), buffer.size());
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) throw UserError("cannot read " + from + ": " + errno_text());
            if (got == 0) break;
            for (ssize_t done = 0; done < got;) {
                ssize_t put = ::write(out.fd, buffer.data() + done, size_t(got - done));
                if (put < 0 && errno == EINTR) continue;
                if (put < 0) throw UserError("cannot write " + to + ": " + errno_text());
                done += put;
            }
        }
        break;
    }
    ::fchmod(out.fd, mode);
}

// CPython's cached bytecode (PEP 3147 __pycache__/*.pyc): a timestamp-based .pyc records its
// source's mtime (PEP 552: header = magic, flags, mtime, size; flags 0 = timestamp-based) and is
// recompiled — every run, in a read-only image — when it differs from what stat() reports. The
// image gives every file mtime 0 (-T0), so the staged copy records 0 as well.
bool is_timestamp_pyc(const std::string& path) {
    return path.size() > 4 && path.compare(path.size() - 4, 4, ".pyc") == 0 &&
           path.find("/__pycache__/") != std::string::npos;
}

void stage_pyc(const std::string& host, const std::string& staged, mode_t mode) {
    std::ifstream in(host, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) throw UserError("cannot read " + host + ": " + errno_text());
    if (bytes.size() >= 16 && bytes[4] == 0 && bytes[5] == 0 && bytes[6] == 0 && bytes[7] == 0)
        std::memset(bytes.data() + 8, 0, 4);
    Fd out(::open(staged.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (out.fd < 0) throw UserError("cannot write " + staged + ": " + errno_text());
    for (size_t done = 0; done < bytes.size();) {
        ssize_t put = ::write(out.fd, bytes.data() + done, bytes.size() - done);
        if (put < 0 && errno == EINTR) continue;
        if (put < 0) throw UserError("cannot write " + staged + ": " + errno_text());
        done += size_t(put);
    }
    ::fchmod(out.fd, mode);
}

// A hard link when the file system allows it (no copy at all), else a copy with the same mode.
// The staged file is never modified: it may be the user's own file.
void stage_file(const std::string& host, const std::string& staged, mode_t mode) {
    remove_existing(staged);
    if (is_timestamp_pyc(staged)) return stage_pyc(host, staged, mode);
    if (::linkat(AT_FDCWD, host.c_str(), AT_FDCWD, staged.c_str(), AT_SYMLINK_FOLLOW) == 0) return;
    copy_file(host, staged, mode);
}

// Stages one host entry at `staged` (the root itself when at_root), recursively.
void stage_entry(const std::string& host, const struct stat& st, const std::string& staged,
                 bool at_root) {
    switch (kind_of(st)) {
    case Kind::File:
        stage_file(host, staged, st.st_mode & 07777);
        break;
    case Kind::Symlink:
        remove_existing(staged);
        if (::symlink(read_link(host).c_str(), staged.c_str()) != 0)
            throw UserError("cannot create symlink " + staged + ": " + errno_text());
        break;
    case Kind::Directory: {
        if (!at_root) make_directory(staged, 0700);
        for (const auto& name : sorted_names(host)) {
            std::string child = host + "/" + name;
            struct stat child_st;
            if (::lstat(child.c_str(), &child_st) != 0)
                throw UserError("cannot read " + child + ": " + errno_text());
            stage_entry(child, child_st, staged + "/" + name, false);
        }
        // Set last: a read-only directory could not have been filled.
        if (!at_root) ::chmod(staged.c_str(), st.st_mode & 07777);
        break;
    }
    case Kind::Other:
        break; // fifos, sockets, devices: FIXME: not staged
    }
}

void write_text(const std::string& path, std::string_view text, mode_t mode) {
    Fd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (out.fd < 0) throw UserError("cannot write " + path + ": " + errno_text());
    if (::write(out.fd, text.data(), text.size()) != ssize_t(text.size()))
        throw UserError("cannot write " + path + ": " + errno_text());
    ::fchmod(out.fd, mode);
}

// The /etc files libc looks for, each only if the user did not supply one.
void stage_etc(const std::string& root) {
    struct Generated {
        const char* path;
        const char* text;
    };
    static const Generated kEtc[] = {
        {"/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"},
        {"/etc/group", "root:x:0:\n"},
        {"/etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"},
        {"/etc/resolv.conf", "# generated by wisp\n"},
        {"/etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
                               "networks: files\nprotocols: files\nservices: files\n"},
    };
    struct stat st;
    // A user's /etc that is not a plain directory (a symlink, say) is theirs to fill.
    if (::lstat((root + "/etc").c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
    for (const auto& file : kEtc) {
        const std::string staged = root + file.path;
        if (::lstat(staged.c_str(), &st) == 0) continue;
        write_text(staged, file.text, 0644);
    }
}

// Directories the kernel and applications expect, made before anything else is staged so that
// their modes hold when a program or file lives below them (a --file directory placed there
// still brings its own mode).
void stage_base_directories(const std::string& root) {
    struct Dir {
        const char* path;
        mode_t mode;
    };
    for (const Dir& dir : {Dir{"/etc", 0755}, Dir{"/tmp", 01777}, Dir{"/root", 0700}})
        make_directory(root + dir.path, dir.mode);
}

// Stages the resolved host entries at their own paths. Their paths have no symlinks among
// their parents (the resolver adds canonical paths and symlinks at the place they live), and a
// directory comes before what it holds. Returns the staged directories for set_directory_modes.
std::vector<std::pair<std::string, mode_t>> stage_closure(const Closure& closure,
                                                          const std::string& root) {
    std::vector<std::pair<std::string, mode_t>> directories;
    for (const auto& [path, entry] : closure.entries) {
        const std::string staged = make_parents(root, path);
        switch (entry.kind) {
        case HostEntry::Kind::File:
            stage_file(path, staged, entry.mode);
            break;
        case HostEntry::Kind::Symlink:
            remove_existing(staged);
            if (::symlink(entry.target.c_str(), staged.c_str()) != 0)
                throw UserError("cannot create symlink " + staged + ": " + errno_text());
            break;
        case HostEntry::Kind::Directory:
            if (path == "/") break;
            make_directory(staged, 0755);
            directories.emplace_back(staged, entry.mode);
            break;
        }
    }
    return directories;
}

// Host directory modes, set once everything is staged (a read-only one could not be filled),
// deepest first. A directory the user's --file replaced keeps the user's mode.
void set_directory_modes(const std::vector<std::pair<std::string, mode_t>>& directories,
                         const std::set<std::string>& user_staged) {
    for (auto it = directories.rbegin(); it != directories.rend(); ++it) {
        if (!user_staged.count(it->first)) ::chmod(it->first.c_str(), it->second);
    }
}

void stage(const Inputs& in, const std::string& root) {
    ::chmod(root.c_str(), 0755); // mkdtemp made it 0700; it becomes the image's /
    stage_base_directories(root);
    const auto directories = stage_closure(in.closure, root);
    std::set<std::string> user_staged;
    for (const auto& file : in.files) {
        const bool at_root = file.guest == "/";
        const std::string staged = at_root ? root : make_parents(root, file.guest);
        stage_entry(file.host, file.st, staged, at_root);
        user_staged.insert(staged);
    }
    stage_etc(root);
    const std::string cmdline = make_parents(root, "/.wisp/cmdline");
    remove_existing(cmdline);
    write_text(cmdline, in.cmdline, 0444);
    set_directory_modes(directories, user_staged);
}

// --- mkfs.erofs -----------------------------------------------------------------------------

std::string find_mkfs() {
    // An explicit choice (tests, unusual installs) wins.
    if (const char* chosen = ::getenv("WISP_MKFS_EROFS"); chosen && chosen[0] != '\0') {
        if (::access(chosen, X_OK) == 0) return chosen;
        throw UserError(std::string("mkfs.erofs not found at ") + chosen +
                        " (WISP_MKFS_EROFS): install erofs-utils (scripts/setup.sh)");
    }
    std::vector<std::string> dirs;
    if (const char* path = ::getenv("PATH")) {
        std::string_view rest = path;
        while (!rest.empty()) {
            size_t colon = rest.find(':');
            dirs.emplace_back(rest.substr(0, colon));
            if (colon == std::string_view::npos) break;
            rest.remove_prefix(colon + 1);
        }
    }
    // Debian keeps mkfs tools in sbin, which a normal user's PATH lacks.
    for (const char* dir : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"})
        dirs.emplace_back(dir);
    for (const auto& dir : dirs) {
        if (dir.empty()) continue;
        std::string candidate = dir + "/mkfs.erofs";
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    throw UserError("mkfs.erofs not found: install erofs-utils (scripts/setup.sh)");
}

std::string uuid_from(const Sha256::Digest& key) {
    std::string hex = Sha256::hex(key).substr(0, 32);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

// Runs mkfs.erofs without a shell; on failure throws with the last line it printed.
void run_mkfs(const std::string& output, const std::string& dir, const std::string& uuid) {
    const std::string mkfs = find_mkfs();
    std::vector<std::string> args = {
        mkfs, "--quiet", "-Enoinline_data", "-T0", "--all-root", "-x-1", "-U" + uuid, output, dir};
    std::vector<char*> argv;
    for (auto& arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw UserError("pipe: " + errno_text());
    Fd read_end(pipe_fds[0]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
    pid_t pid;
    int spawned = posix_spawn(&pid, mkfs.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    if (spawned != 0)
        throw UserError("cannot run " + mkfs + ": " + std::strerror(spawned) +
                        " (reinstall erofs-utils: scripts/setup.sh)");
    std::string errors;
    char buffer[4096];
    while (true) {
        ssize_t n = ::read(read_end.fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        errors.append(buffer, size_t(n));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    // The last meaningful line, without mkfs's "<E> erofs:" prefix and control characters.
    std::string last;
    size_t end = errors.size();
    while (last.empty() && end > 0) {
        size_t start = errors.rfind('\n', end - 1);
        start = start == std::string::npos ? 0 : start + 1;
        for (char c : errors.substr(start, end - start))
            if (c == '\t' || (c >= 0x20 && c != 0x7f)) last += c == '\t' ? ' ' : c;
        end = start == 0 ? 0 : start - 1;
    }
    const std::string prefix = "<E> erofs:";
    if (last.starts_with(prefix)) last = last.substr(prefix.size());
    last.erase(0, last.find_first_not_of(' '));
    std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                        : "signal " + std::to_string(WTERMSIG(status));
    throw UserError("mkfs.erofs failed (" + how + ")" + (last.empty() ? "" : ": " + last) +
                    " (check the --file paths and free disk space)");
}

std::string cache_dir() {
    std::string base;
    if (const char* xdg = ::getenv("XDG_CACHE_HOME"); xdg && xdg[0] == '/') {
        base = xdg;
    } else if (const char* home = ::getenv("HOME"); home && home[0] != '\0') {
        base = std::string(home) + "/.cache";
    } else {
        throw UserError("no cache directory: set HOME or XDG_CACHE_HOME");
    }
    std::string dir = base + "/wisp/images";
    std::error_code error;
    stdfs::create_directories(dir, error);
    if (error) throw UserError("cannot create the image cache " + dir + ": " + error.message());
    return dir;
}

std::string unique_suffix() {
    std::random_device device;
    return std::to_string(::getpid()) + "-" + std::to_string(device());
}

// Stages, runs mkfs into a temporary file beside `output`, and renames it into place.
void build(const ImageSpec& spec, const Inputs& in, const Sha256::Digest& key,
           const std::string& output, const std::string& staging_parent) {
    if (spec.on_note) {
        for (const auto& note : in.closure.notes)
            spec.on_note(note);
    }
    TempDir staging(staging_parent);
    const std::string root = staging.path() + "/root";
    make_directory(root, 0755);
    stage(in, root);
    const std::string temp = output + ".tmp-" + unique_suffix();
    try {
        run_mkfs(temp, root, uuid_from(key));
    } catch (...) {
        ::unlink(temp.c_str());
        throw;
    }
    if (::rename(temp.c_str(), output.c_str()) != 0) {
        int saved = errno;
        ::unlink(temp.c_str());
        throw UserError("cannot write " + output + ": " + std::strerror(saved));
    }
}

} // namespace

std::string build_image(const ImageSpec& spec) {
    const Inputs in = check_inputs(spec);
    const Sha256::Digest key = cache_key(in);
    const std::string dir = cache_dir();
    const std::string path = dir + "/" + Sha256::hex(key) + ".erofs";
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) return path;
    build(spec, in, key, path, dir);
    return path;
}

void build_image_to(const ImageSpec& spec, const std::string& output) {
    const Inputs in = check_inputs(spec);
    const std::string path = normal_absolute(output);
    const std::string parent = stdfs::path(path).parent_path().string();
    struct stat st;
    if (::stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw UserError("cannot write " + output + ": directory " + parent +
                        " does not exist (create it first)");
    const Sha256::Digest key = cache_key(in);
    build(spec, in, key, path, cache_dir());
}

} // namespace wisp::cli
