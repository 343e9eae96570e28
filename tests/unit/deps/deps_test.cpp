// SPDX-License-Identifier: MIT
// The dependency resolver against the host's own dynamic linker: `ldd` (which runs ld.so in
// trace mode) is the oracle for which libraries a program loads and where they are found.
#include <gtest/gtest.h>

#include <algorithm>

#include "deps.h"
#include "helpers.h"
#include "vmm.h"

namespace {

using namespace deps_test;
using wisp::cli::Closure;
using wisp::cli::HostEntry;
using wisp::cli::resolve_closure;
using wisp::cli::ResolveOptions;
using wisp::vmm::UserError;

std::set<std::string> library_paths(const Closure& closure) {
    std::set<std::string> paths;
    for (const auto& library : closure.libraries)
        paths.insert(library.path);
    return paths;
}

// The closure holds `path` so that it resolves in the image as on the host: every symlink on
// the way is an entry with the host's contents, and the file it ends at is an entry.
void expect_resolvable(const Closure& closure, const std::string& path) {
    std::string current = path;
    for (int follows = 0; follows < 40; follows++) {
        // Find the first prefix of `current` that is a symlink on the host.
        std::string prefix;
        size_t start = 1;
        bool redirected = false;
        while (start <= current.size()) {
            size_t end = std::min(current.find('/', start), current.size());
            prefix = current.substr(0, end);
            struct stat st;
            ASSERT_EQ(::lstat(prefix.c_str(), &st), 0) << prefix;
            if (S_ISLNK(st.st_mode)) {
                auto it = closure.entries.find(prefix);
                ASSERT_NE(it, closure.entries.end()) << "symlink " << prefix << " of " << path;
                ASSERT_EQ(it->second.kind, HostEntry::Kind::Symlink) << prefix;
                std::string target = it->second.target;
                std::string base = std::filesystem::path(prefix).parent_path().string();
                std::string rest = current.substr(end);
                current = std::filesystem::path(target[0] == '/' ? target : base + "/" + target)
                              .lexically_normal()
                              .string() +
                          rest;
                redirected = true;
                break;
            }
            start = end + 1;
        }
        if (!redirected) {
            auto it = closure.entries.find(current);
            ASSERT_NE(it, closure.entries.end()) << current << " (for " << path << ")";
            EXPECT_EQ(it->second.kind, HostEntry::Kind::File) << current;
            return;
        }
    }
    FAIL() << "symlink loop at " << path;
}

bool has_entry(const Closure& closure, const std::string& path) {
    return closure.entries.count(path) != 0;
}

bool any_entry_under(const Closure& closure, const std::string& dir) {
    auto it = closure.entries.lower_bound(dir + "/");
    return it != closure.entries.end() && it->first.starts_with(dir + "/");
}

// --- Debian programs, compared with ldd -------------------------------------------------------

void expect_same_as_ldd(const std::string& program) {
    if (!have(program)) GTEST_SKIP() << program << " is not installed";
    Closure closure = resolve_closure(program);
    std::set<std::string> missing;
    std::set<std::string> expected = ldd_paths(program, &missing);
    ASSERT_TRUE(missing.empty());
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(library_paths(closure), expected);
    EXPECT_FALSE(closure.interpreter.empty());
    EXPECT_EQ(closure.libraries.front().path, closure.interpreter);
    for (const auto& path : expected)
        expect_resolvable(closure, path);
    expect_resolvable(closure, program);
}

TEST(Deps, LsMatchesLdd) {
    expect_same_as_ldd("/bin/ls");
    if (HasFatalFailure() || IsSkipped()) return;
    // /bin is a symlink on a merged-/usr system: the image keeps it, so /bin/ls works.
    Closure closure = resolve_closure("/bin/ls");
    struct stat st;
    if (::lstat("/bin", &st) == 0 && S_ISLNK(st.st_mode)) {
        ASSERT_TRUE(has_entry(closure, "/bin"));
        EXPECT_EQ(closure.entries.at("/bin").kind, HostEntry::Kind::Symlink);
    }
    // glibc programs get the cache their ld.so reads, and no Python.
    EXPECT_TRUE(has_entry(closure, "/etc/ld.so.cache"));
    EXPECT_FALSE(any_entry_under(closure, "/usr/lib/python3"));
    EXPECT_TRUE(closure.notes.empty());
}

// ldd lists linux-vdso.so.1, which the kernel maps into every program (wisp's too): the
// resolver neither looks for it on the host nor puts it in the image.
TEST(Deps, TheVdsoIsNotLookedFor) {
    if (!have("/bin/ls")) GTEST_SKIP() << "/bin/ls is not installed";
    ASSERT_NE(run("ldd /bin/ls 2>/dev/null").find("linux-vdso.so.1"), std::string::npos);
    Closure closure = resolve_closure("/bin/ls");
    for (const auto& [path, entry] : closure.entries)
        EXPECT_EQ(path.find("vdso"), std::string::npos) << path;
    for (const auto& library : closure.libraries)
        EXPECT_EQ(library.path.find("vdso"), std::string::npos) << library.path;
    EXPECT_TRUE(closure.notes.empty());
}

TEST(Deps, Python3MatchesLdd) {
    expect_same_as_ldd("/usr/bin/python3");
}

TEST(Deps, Lua54MatchesLdd) {
    expect_same_as_ldd("/usr/bin/lua5.4");
}

TEST(Deps, Sqlite3MatchesLdd) {
    expect_same_as_ldd("/usr/bin/sqlite3");
}

TEST(Deps, StaticAndNonElfProgramsNeedOnlyThemselves) {
    Scratch dir;
    std::string script = dir.write("script.sh", "#!/bin/sh\necho hi\n");
    Closure closure = resolve_closure(script);
    EXPECT_EQ(closure.entries.size(), 1u);
    EXPECT_TRUE(closure.libraries.empty());
    EXPECT_TRUE(closure.interpreter.empty());

    std::string hello = dir / "hello";
    ASSERT_TRUE(compile(dir, "gcc", "int main(void){return 0;}\n", hello, "-static"));
    closure = resolve_closure(hello);
    EXPECT_EQ(closure.entries.size(), 1u);
    EXPECT_TRUE(closure.libraries.empty());
}

// --- Test programs with their own libraries ---------------------------------------------------

// lib/libtiny.so.1 needs lib/libdeep.so.1 and carries no search path of its own, so where
// libdeep is found depends on the program's: DT_RPATH applies to the whole loader chain,
// DT_RUNPATH only to the object that has it.
class OwnLibraries : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(compile(m_dir, "gcc", "int deep(void){return 42;}\n",
                            m_dir / "lib/libdeep.so.1", "-shared -fPIC -Wl,-soname,libdeep.so.1"));
        ASSERT_TRUE(compile(m_dir, "gcc", "int deep(void);\nint tiny(void){return deep();}\n",
                            m_dir / "lib/libtiny.so.1",
                            "-shared -fPIC -Wl,-soname,libtiny.so.1 -L" + m_dir / "lib" +
                                " -l:libdeep.so.1"));
    }
    // A program in bin/ that calls tiny(), linked with `search` as its search path.
    std::string program(const std::string& name, const std::string& search,
                        const std::string& tags) {
        std::string path = m_dir / ("bin/" + name);
        compile(m_dir, "gcc", "int tiny(void);\nint main(void){return tiny() != 42;}\n", path,
                "-L" + m_dir / "lib" + " -l:libtiny.so.1 -Wl,-rpath-link," + m_dir / "lib" +
                    " -Wl,-rpath," + shell_quote(search) + " " + tags);
        return path;
    }
    Scratch m_dir;
};

TEST_F(OwnLibraries, RpathOriginReachesTheWholeChain) {
    std::string app = program("app", "$ORIGIN/../lib", "-Wl,--disable-new-dtags");
    ASSERT_EQ(run(shell_quote(app) + " && echo ok"), "ok\n");
    Closure closure = resolve_closure(app);
    EXPECT_EQ(library_paths(closure), ldd_paths(app));
    // As ld.so names them: $ORIGIN of the program is its directory.
    std::set<std::string> paths = library_paths(closure);
    EXPECT_TRUE(paths.count(m_dir / "bin/../lib/libtiny.so.1"));
    EXPECT_TRUE(paths.count(m_dir / "bin/../lib/libdeep.so.1"));
    EXPECT_TRUE(has_entry(closure, m_dir / "lib/libtiny.so.1"));
    EXPECT_TRUE(has_entry(closure, m_dir / "lib/libdeep.so.1"));
}

TEST_F(OwnLibraries, RunpathIsNotInherited) {
    std::string app = program("app", "${ORIGIN}/../lib", "-Wl,--enable-new-dtags");
    std::set<std::string> missing;
    ldd_paths(app, &missing);
    ASSERT_EQ(missing, std::set<std::string>{"libdeep.so.1"}); // ld.so agrees
    try {
        resolve_closure(app);
        FAIL() << "no error";
    } catch (const UserError& e) {
        EXPECT_EQ(std::string(e.what()), app + ": cannot find libdeep.so.1 (needed by " +
                                             m_dir / "bin/../lib/libtiny.so.1" + ")");
    }
}

TEST_F(OwnLibraries, RunpathOfTheLibraryItself) {
    // libtiny with its own RUNPATH finds libdeep; the program's RUNPATH finds libtiny.
    ASSERT_TRUE(compile(m_dir, "gcc", "int deep(void);\nint tiny(void){return deep();}\n",
                        m_dir / "lib/libtiny.so.1",
                        "-shared -fPIC -Wl,-soname,libtiny.so.1 -L" + m_dir / "lib" +
                            " -l:libdeep.so.1 -Wl,--enable-new-dtags -Wl,-rpath,'$ORIGIN'"));
    std::string app = program("app", "$ORIGIN/../lib", "-Wl,--enable-new-dtags");
    Closure closure = resolve_closure(app);
    EXPECT_EQ(library_paths(closure), ldd_paths(app));
}

TEST_F(OwnLibraries, ProgramSymlinkChainAndCanonicalOrigin) {
    std::string app = program("app", "$ORIGIN/../lib", "-Wl,--disable-new-dtags");
    // A symlink to the program elsewhere: $ORIGIN is still bin/ (/proc/self/exe is canonical).
    std::filesystem::create_directories(m_dir / "links");
    std::filesystem::create_symlink("../bin/app", m_dir / "links/app");
    std::filesystem::create_symlink("links", m_dir / "shortcut");
    std::string via = m_dir / "shortcut/app";
    ASSERT_EQ(run(shell_quote(via) + " && echo ok"), "ok\n");
    Closure closure = resolve_closure(via);
    ASSERT_TRUE(has_entry(closure, m_dir / "shortcut"));
    EXPECT_EQ(closure.entries.at(m_dir / "shortcut").target, "links");
    ASSERT_TRUE(has_entry(closure, m_dir / "links/app"));
    EXPECT_EQ(closure.entries.at(m_dir / "links/app").target, "../bin/app");
    EXPECT_EQ(closure.entries.at(m_dir / "bin/app").kind, HostEntry::Kind::File);
    EXPECT_TRUE(has_entry(closure, m_dir / "lib/libtiny.so.1"));
}

TEST_F(OwnLibraries, SkipsLibrariesForAnotherArchitecture) {
    // bin/../foreign/libtiny.so.1 is an aarch64 ELF: ld.so passes over it to ../lib.
    std::filesystem::create_directories(m_dir / "foreign");
    std::filesystem::copy_file(m_dir / "lib/libtiny.so.1", m_dir / "foreign/libtiny.so.1");
    {
        std::fstream file(m_dir / "foreign/libtiny.so.1",
                          std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(18);
        const char aarch64[2] = {char(183), 0};
        file.write(aarch64, 2);
    }
    std::string app =
        program("app", "$ORIGIN/../foreign:$ORIGIN/../lib", "-Wl,--disable-new-dtags");
    Closure closure = resolve_closure(app);
    EXPECT_EQ(library_paths(closure), ldd_paths(app));
    EXPECT_TRUE(library_paths(closure).count(m_dir / "bin/../lib/libtiny.so.1"));
    EXPECT_FALSE(has_entry(closure, m_dir / "foreign/libtiny.so.1"));

    // Only the foreign one: the error says so.
    std::filesystem::remove(m_dir / "lib/libtiny.so.1");
    try {
        resolve_closure(app);
        FAIL() << "no error";
    } catch (const UserError& e) {
        std::string message = e.what();
        EXPECT_TRUE(message.starts_with(app + ": cannot find libtiny.so.1 (needed by " + app + ")"))
            << message;
        EXPECT_NE(message.find("is for another architecture"), std::string::npos) << message;
    }
}

TEST_F(OwnLibraries, MissingLibraryIsOneClearLine) {
    std::string app = program("app", "$ORIGIN/../lib", "-Wl,--disable-new-dtags");
    std::filesystem::remove(m_dir / "lib/libdeep.so.1");
    try {
        resolve_closure(app);
        FAIL() << "no error";
    } catch (const UserError& e) {
        EXPECT_EQ(std::string(e.what()), app + ": cannot find libdeep.so.1 (needed by " +
                                             m_dir / "bin/../lib/libtiny.so.1" + ")");
    }
}

TEST_F(OwnLibraries, CorruptLibraryIsNamed) {
    std::string app = program("app", "$ORIGIN/../lib", "-Wl,--disable-new-dtags");
    m_dir.write("lib/libdeep.so.1", "not an ELF file at all");
    try {
        resolve_closure(app);
        FAIL() << "no error";
    } catch (const UserError& e) {
        EXPECT_EQ(std::string(e.what()),
                  app + ": cannot use " + m_dir / "bin/../lib/libdeep.so.1" + ": not an ELF file");
    }
}

TEST_F(OwnLibraries, UnreadableDynamicSectionOfTheProgram) {
    std::string app = program("app", "$ORIGIN/../lib", "-Wl,--disable-new-dtags");
    // PT_DYNAMIC's p_filesz made larger than the file (ELF-64: e_phoff at 32, e_phnum at 56,
    // 56-byte program headers with p_filesz at 32).
    std::fstream file(app, std::ios::in | std::ios::out | std::ios::binary);
    uint64_t phoff = 0;
    uint16_t phnum = 0;
    file.seekg(32);
    file.read(reinterpret_cast<char*>(&phoff), 8);
    file.seekg(56);
    file.read(reinterpret_cast<char*>(&phnum), 2);
    bool patched = false;
    for (uint16_t i = 0; i < phnum; i++) {
        uint32_t type = 0;
        file.seekg(std::streamoff(phoff + 56u * i));
        file.read(reinterpret_cast<char*>(&type), 4);
        if (type != 2) continue; // PT_DYNAMIC
        const uint64_t huge = uint64_t(1) << 40;
        file.seekp(std::streamoff(phoff + 56u * i + 32));
        file.write(reinterpret_cast<const char*>(&huge), 8);
        patched = true;
    }
    file.close();
    ASSERT_TRUE(patched);
    try {
        resolve_closure(app);
        FAIL() << "no error";
    } catch (const UserError& e) {
        EXPECT_EQ(std::string(e.what()), app + ": cannot be run: PT_DYNAMIC outside the file");
    }
}

TEST_F(OwnLibraries, WithoutTheCacheTheDefaultDirectoriesServe) {
    std::string app = program("app", "$ORIGIN/../lib", "-Wl,--disable-new-dtags");
    ResolveOptions options;
    options.ld_cache_path = m_dir / "no-cache";
    Closure closure = resolve_closure(app, options);
    // libc is found in the first default directory that has it instead of by the cache.
    bool libc = false;
    for (const auto& library : closure.libraries)
        libc |= library.name == "libc.so.6" && library.path.ends_with("/libc.so.6");
    EXPECT_TRUE(libc);
    EXPECT_FALSE(has_entry(closure, "/etc/ld.so.cache"));
}

TEST_F(OwnLibraries, MissingInterpreter) {
    std::string app = program("app", "$ORIGIN/../lib", "-Wl,--dynamic-linker=/no/such/ld.so");
    try {
        resolve_closure(app);
        FAIL() << "no error";
    } catch (const UserError& e) {
        EXPECT_EQ(std::string(e.what()), app + ": cannot find its dynamic linker /no/such/ld.so "
                                               "(install it, or build the program with -static)");
    }
}

// --- musl -------------------------------------------------------------------------------------

TEST(Deps, MuslDynamicProgram) {
    if (!have("/usr/bin/musl-gcc")) GTEST_SKIP() << "musl-gcc is not installed";
    Scratch dir;
    ASSERT_TRUE(compile(dir, "musl-gcc", "int helper(void){return 7;}\n", dir / "lib/libhelp.so",
                        "-shared -fPIC"));
    std::string app = dir / "bin/app";
    ASSERT_TRUE(compile(dir, "musl-gcc",
                        "#include <stdio.h>\nint helper(void);\n"
                        "int main(void){printf(\"%d\\n\", helper());return 0;}\n",
                        app, "-L" + dir / "lib" + " -lhelp -Wl,-rpath,'$ORIGIN/../lib'"));
    ASSERT_EQ(run(shell_quote(app)), "7\n");

    Closure closure = resolve_closure(app);
    EXPECT_EQ(closure.interpreter, "/lib/ld-musl-x86_64.so.1");
    // libc.so is musl's dynamic linker itself; libhelp.so through $ORIGIN.
    ASSERT_EQ(closure.libraries.size(), 2u);
    EXPECT_EQ(closure.libraries[0].path, "/lib/ld-musl-x86_64.so.1");
    EXPECT_EQ(closure.libraries[1].path, dir / "bin/../lib/libhelp.so");
    expect_resolvable(closure, "/lib/ld-musl-x86_64.so.1");
    expect_resolvable(closure, dir / "lib/libhelp.so");
    if (::access("/etc/ld-musl-x86_64.path", R_OK) == 0) {
        EXPECT_TRUE(has_entry(closure, "/etc/ld-musl-x86_64.path"));
    }
    EXPECT_FALSE(has_entry(closure, "/etc/ld.so.cache"));
    for (const auto& [path, entry] : closure.entries)
        EXPECT_FALSE(path.find("libc.so.6") != std::string::npos) << path;

    // A library only in musl's system path is found there (the path file or the defaults);
    // one nowhere is an error naming it.
    ASSERT_TRUE(compile(dir, "musl-gcc", "int helper(void);\nint main(void){return helper();}\n",
                        dir / "bin/lost", "-L" + dir / "lib" + " -lhelp"));
    try {
        resolve_closure(dir / "bin/lost");
        FAIL() << "no error";
    } catch (const UserError& e) {
        EXPECT_EQ(std::string(e.what()), dir / "bin/lost" + ": cannot find libhelp.so (needed by " +
                                             dir / "bin/lost" + ")");
    }
}

// --- runtime files ----------------------------------------------------------------------------

TEST(Deps, Python3HasItsStandardLibraryAndWhatItsModulesNeed) {
    const std::string python = "/usr/bin/python3";
    if (!have(python)) GTEST_SKIP() << "python3 is not installed";
    const std::string version =
        run(python + " -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'");
    ASSERT_FALSE(version.empty());
    const std::string stdlib = "/usr/lib/python" + version.substr(0, version.size() - 1);
    Closure closure = resolve_closure(python);

    expect_resolvable(closure, python);
    EXPECT_TRUE(has_entry(closure, stdlib + "/os.py"));
    EXPECT_TRUE(has_entry(closure, stdlib + "/json/__init__.py"));
    EXPECT_TRUE(has_entry(closure, stdlib + "/encodings/utf_8.py"));
    EXPECT_FALSE(any_entry_under(closure, stdlib + "/test"));
    EXPECT_FALSE(any_entry_under(closure, stdlib + "/idlelib"));
    for (const auto& [path, entry] : closure.entries)
        EXPECT_FALSE(path.starts_with(stdlib + "/config-")) << path;

    // Every extension module is in, with everything ldd says it loads.
    size_t modules = 0;
    for (const auto& entry : std::filesystem::directory_iterator(stdlib + "/lib-dynload")) {
        const std::string module = entry.path().string();
        if (!module.ends_with(".so")) continue;
        modules++;
        EXPECT_TRUE(has_entry(closure, module)) << module;
        for (const auto& path : ldd_paths(module))
            expect_resolvable(closure, path);
    }
    EXPECT_GT(modules, 10u);

    // _ssl links OpenSSL: the CA certificates come along; _curses links libtinfo: terminfo.
    if (std::filesystem::exists("/etc/ssl/certs/ca-certificates.crt"))
        expect_resolvable(closure, "/etc/ssl/certs/ca-certificates.crt");
    EXPECT_FALSE(any_entry_under(closure, "/etc/ssl/private"));
    if (std::filesystem::exists("/lib/terminfo/x/xterm"))
        expect_resolvable(closure, "/lib/terminfo/x/xterm");
    // PEP 538: Python asks for C.UTF-8.
    if (std::filesystem::exists("/usr/lib/locale/C.utf8/LC_CTYPE")) {
        EXPECT_TRUE(has_entry(closure, "/usr/lib/locale/C.utf8/LC_CTYPE"));
    }
    // glibc dlopens libgcc_s for pthread_exit.
    bool libgcc_s = false;
    for (const auto& [path, entry] : closure.entries)
        libgcc_s |= path.ends_with("/libgcc_s.so.1");
    EXPECT_TRUE(libgcc_s);
    // No locale archive or gconv unless asked for.
    EXPECT_FALSE(any_entry_under(closure, "/usr/lib/x86_64-linux-gnu/gconv"));
}

TEST(Deps, LuaAndSqliteNeedOnlyTerminfoBeyondTheirLibraries) {
    for (const std::string program : {"/usr/bin/lua5.4", "/usr/bin/sqlite3"}) {
        if (!have(program)) continue;
        Closure closure = resolve_closure(program);
        EXPECT_FALSE(any_entry_under(closure, "/usr/lib/python3")) << program;
        EXPECT_FALSE(any_entry_under(closure, "/etc/ssl")) << program;
        if (std::filesystem::exists("/lib/terminfo/x/xterm"))
            expect_resolvable(closure, "/lib/terminfo/x/xterm");
    }
}

TEST(Deps, LocaleFilesOnlyWhenAsked) {
    if (!std::filesystem::exists("/usr/lib/x86_64-linux-gnu/gconv")) GTEST_SKIP() << "no gconv";
    ResolveOptions options;
    options.env = {"PATH=/bin", "LANG=C"};
    EXPECT_FALSE(
        any_entry_under(resolve_closure("/bin/ls", options), "/usr/lib/x86_64-linux-gnu/gconv"));
    options.env = {"LC_ALL=C.UTF-8"};
    Closure c_utf8 = resolve_closure("/bin/ls", options);
    EXPECT_FALSE(any_entry_under(c_utf8, "/usr/lib/x86_64-linux-gnu/gconv"));
    if (std::filesystem::exists("/usr/lib/locale/C.utf8/LC_CTYPE")) {
        EXPECT_TRUE(has_entry(c_utf8, "/usr/lib/locale/C.utf8/LC_CTYPE"));
    }
    options.env = {"LANG=de_DE.UTF-8"};
    Closure german = resolve_closure("/bin/ls", options);
    EXPECT_TRUE(any_entry_under(german, "/usr/lib/x86_64-linux-gnu/gconv"));
    if (std::filesystem::exists("/usr/lib/locale/locale-archive")) {
        EXPECT_TRUE(has_entry(german, "/usr/lib/locale/locale-archive"));
    }
}

TEST(Deps, SameInputsSameClosure) {
    if (!have("/usr/bin/python3")) GTEST_SKIP();
    Closure a = resolve_closure("/usr/bin/python3");
    Closure b = resolve_closure("/usr/bin/python3");
    ASSERT_EQ(a.entries.size(), b.entries.size());
    EXPECT_TRUE(std::equal(
        a.entries.begin(), a.entries.end(), b.entries.begin(), [](const auto& x, const auto& y) {
            return x.first == y.first && x.second.kind == y.second.kind &&
                   x.second.mode == y.second.mode && x.second.target == y.second.target;
        }));
}

} // namespace
