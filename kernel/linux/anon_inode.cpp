// SPDX-License-Identifier: MIT
#include "linux/anon_inode.h"

#include "fs/dentry.h"
#include "fs/system.h"
#include "linux/files.h"

namespace wisp::linux {
namespace {

constexpr uint32_t kAnonInodeFsMagic = 0x09041934;

class AnonInodeFs final : public fs::FileSystem {
  public:
    constexpr AnonInodeFs() : FileSystem(false) { set_dev(fs::make_dev(0, 13)); }
    const char* type_name() const override { return "anon_inodefs"; }
    Result<fs::RefPtr<fs::Vnode>> root() override { return Errno::NOTDIR; }
    Result<void> statfs(fs::FsStats& out) override {
        out = {};
        out.type = kAnonInodeFsMagic;
        out.block_size = fs::kPageSize;
        out.name_max = fs::kNameMax;
        return {};
    }
    uint64_t next_ino() { return m_next_ino++; }

  private:
    uint64_t m_next_ino = 20000;
};
// Never destroyed (no exit-time destructor in the kernel).
union AnonInodeFsStorage {
    AnonInodeFs fs;
    constexpr AnonInodeFsStorage() : fs() {}
    ~AnonInodeFsStorage() {}
};
constinit AnonInodeFsStorage g_storage;
AnonInodeFs& g_anon_inode_fs = g_storage.fs;

} // namespace

AnonInode::AnonInode(Kind kind)
    : Vnode(g_anon_inode_fs, 0), m_kind(kind), m_ino(g_anon_inode_fs.next_ino()) {}

Result<void> AnonInode::getattr(fs::Attributes& out) {
    out = {};
    out.dev = g_anon_inode_fs.dev();
    out.ino = m_ino;
    out.mode = 0600; // no type bits, as Linux's alloc_anon_inode()
    out.nlink = 1;
    out.blksize = fs::kPageSize;
    return {};
}

bool is_anon_inode(const fs::Vnode& vnode) { return &vnode.fs() == &g_anon_inode_fs; }

Result<long> install_anon_file(fs::RefPtr<AnonInode> inode, const char* name, int flags,
                               bool cloexec) {
    char full[48] = "anon_inode:";
    size_t n = 11;
    for (const char* p = name; *p && n < sizeof(full) - 1; p++)
        full[n++] = *p;
    fs::RefPtr<fs::Dentry> dentry =
        fs::Dentry::create(nullptr, {full, n}, fs::RefPtr<fs::Vnode>(inode.ptr()));
    if (!dentry) return Errno::NOMEM;
    auto file = TRY(fs::OpenFile::create(nullptr, dentry, fs::RefPtr<fs::Vnode>(inode.ptr()), flags));
    return TRY(files().fds.allocate(file, cloexec));
}

} // namespace wisp::linux
