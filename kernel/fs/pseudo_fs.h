// SPDX-License-Identifier: MIT
#pragma once

// Pseudo file systems (procfs, sysfs): trees described by static tables, whose files are
// generated when opened (a snapshot, as Linux's seq_file gives one read(2) after another) and
// whose symlinks are computed when followed. The tables and generators live with what they
// describe (the Linux personality fills /proc); this is only the machinery.
#include <stddef.h>
#include <stdint.h>

#include "fs/text_buffer.h"
#include "fs/vnode.h"

namespace wisp::fs {

struct PseudoEntry;

// Directories whose children are numbered (/proc/self/fd): names are decimal numbers.
struct PseudoNumbered {
    // The first existing number >= from, or ~0 when none.
    uint64_t (*next)(uint64_t from);
    const PseudoEntry* child; // what each child is; its generator gets the number
};

struct PseudoEntry {
    const char* name;
    uint32_t mode; // type and permission bits
    // Regular files: the contents. `arg` is the number of a numbered directory's child.
    Result<void> (*generate)(TextBuffer& out, uint64_t arg) = nullptr;
    // Regular files that accept writes (the whole write at once); EINVAL without one.
    Result<size_t> (*store)(const char* data, size_t length, uint64_t arg) = nullptr;
    // Symlinks: the target (text or a jump, see LinkTarget).
    Result<LinkTarget> (*link)(char* scratch, uint64_t arg) = nullptr;
    // Directories: fixed children, or numbered ones.
    const PseudoEntry* children = nullptr;
    size_t child_count = 0;
    const PseudoNumbered* numbered = nullptr;
};

class PseudoFs final : public FileSystem {
  public:
    // `root` describes the root directory; `magic` is the statfs f_type; regular files report
    // `file_size` as st_size (0 in procfs, 4096 in sysfs). `lookups_fail`: a missing name is an
    // error even for creating it (procfs), not a place for a new file (EACCES/EPERM then).
    static Result<Own<PseudoFs>> create(const char* type_name, const PseudoEntry& root,
                                        uint64_t magic, uint64_t file_size,
                                        bool lookups_fail = false);

    const char* type_name() const override { return m_type_name; }
    Result<RefPtr<Vnode>> root() override;
    Result<void> statfs(FsStats& out) override;
    uint64_t file_size() const { return m_file_size; }
    bool lookups_fail() const { return m_lookups_fail; }
    Result<RefPtr<Vnode>> vnode_for(const PseudoEntry& entry, uint64_t arg);

  private:
    PseudoFs(const char* type_name, const PseudoEntry& root, uint64_t magic, uint64_t file_size)
        : FileSystem(false), m_type_name(type_name), m_root(root), m_magic(magic),
          m_file_size(file_size) {}
    const char* m_type_name;
    const PseudoEntry& m_root;
    uint64_t m_magic;
    uint64_t m_file_size;
    bool m_lookups_fail = false;
};

class PseudoNode final : public Vnode {
  public:
    PseudoNode(PseudoFs& fs, const PseudoEntry& entry, uint64_t arg)
        : Vnode(fs, entry.mode), m_entry(entry), m_arg(arg) {}

    Result<void> getattr(Attributes& out) override;
    Result<void> setattr(const AttributeChange& change) override;
    Result<RefPtr<Vnode>> lookup(std::string_view name) override;
    Result<RefPtr<Vnode>> create(std::string_view name, const NewNode& node) override;
    Result<uint64_t> readdir(uint64_t cookie, DirSink& sink) override;
    Result<LinkTarget> readlink(char* scratch) override;
    Result<void> open(OpenFile& file) override;
    Result<size_t> read(OpenFile& file, uint64_t offset, IoBuffer& buffer) override;
    Result<size_t> write(OpenFile& file, uint64_t offset, IoBuffer& buffer) override;

  private:
    PseudoFs& pseudo() const { return static_cast<PseudoFs&>(fs()); }
    uint64_t ino() const;
    const PseudoEntry& m_entry;
    uint64_t m_arg;
};

} // namespace wisp::fs
