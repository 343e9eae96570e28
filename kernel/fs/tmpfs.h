// SPDX-License-Identifier: MIT
#pragma once

// tmpfs: files in memory. File data lives in whole pages (fs/page_tree.h) taken from the
// machine as written and given back on truncate and delete; directories are tables of entries
// with cookies that stay valid while the directory changes, so a readdir loop that unlinks as it
// goes (rm -r) sees every entry once. Also the upper layer of the root overlay, for which a node
// can be a whiteout (a 0:0 character device, as Linux overlayfs) and a directory can be opaque.
#include <stddef.h>
#include <stdint.h>

#include "fs/page_tree.h"
#include "fs/vnode.h"

namespace wisp::fs {

class Tmpfs;

class TmpfsNode final : public Vnode {
  public:
    TmpfsNode(Tmpfs& fs, uint32_t mode, uint64_t ino);
    ~TmpfsNode() override;

    Result<void> getattr(Attributes& out) override;
    Result<void> setattr(const AttributeChange& change) override;
    Result<RefPtr<Vnode>> lookup(std::string_view name) override;
    Result<RefPtr<Vnode>> create(std::string_view name, const NewNode& node) override;
    Result<void> link(std::string_view name, Vnode& target) override;
    Result<void> unlink(std::string_view name, Vnode& victim) override;
    Result<void> rmdir(std::string_view name, Vnode& victim) override;
    Result<void> rename(std::string_view old_name, Vnode& moved, Vnode& new_dir,
                        std::string_view new_name, Vnode* replaced, unsigned flags) override;
    Result<uint64_t> readdir(uint64_t cookie, DirSink& sink) override;
    Result<LinkTarget> readlink(char* scratch) override;
    Result<size_t> read(OpenFile& file, uint64_t offset, IoBuffer& buffer) override;
    Result<size_t> write(OpenFile& file, uint64_t offset, IoBuffer& buffer) override;
    Result<uint64_t> seek_data(uint64_t offset, uint64_t size, bool hole) override;
    Result<void> allocate(uint64_t offset, uint64_t length) override;
    void* shared_page(uint64_t offset, bool write) override;

    // ---- for the overlay (its upper layer) and copy-up ----
    bool is_whiteout() const { return type() == kTypeChar && m_rdev == 0; }
    bool opaque() const { return m_opaque; }
    void set_opaque(bool opaque) { m_opaque = opaque; }
    // Entries other than whiteouts.
    size_t visible_entries() const;
    // Removes every whiteout entry (before the directory is removed or made opaque).
    void remove_whiteouts();
    // Copy-up: page `index` of this file is the image page `page` until written.
    Result<void> borrow_page(uint64_t index, const void* page);
    // Sets the attributes a copied-up file keeps (inode number, times, owner, mode).
    void copy_attributes(const Attributes& from, bool keep_ino = false);
    // Raw write from kernel memory (copy-up of data that cannot be borrowed).
    Result<size_t> write_bytes(uint64_t offset, const void* data, size_t length);
    uint64_t size() const { return m_size; }

  private:
    friend class Tmpfs;
    struct Entry {
        uint64_t cookie;
        TmpfsNode* node; // holds a reference
        char* name;
        uint32_t hash;
        uint16_t length;
    };

    Tmpfs& tmpfs() const;
    Result<void> check_live_directory() const;
    Entry* find(std::string_view name);
    size_t index_of(const Entry* e) const { return static_cast<size_t>(e - m_entries); }
    Result<void> reserve(size_t count);
    // Adds an entry (capacity reserved beforehand, name copied here).
    Result<void> add_entry(std::string_view name, TmpfsNode& node);
    void remove_entry(size_t index);
    Result<void> truncate(uint64_t size);
    Result<size_t> write_at(uint64_t offset, IoBuffer& buffer);
    Result<uintptr_t*> writable_page(uint64_t index, bool whole);
    void touch_modified();
    void touch_changed();

    uint64_t m_ino;
    uint32_t m_mode;
    uint32_t m_nlink = 0;
    uint32_t m_uid = 0, m_gid = 0;
    uint64_t m_rdev = 0;
    Timestamp m_atime, m_mtime, m_ctime, m_btime;
    // regular files
    PageTree m_pages;
    uint64_t m_size = 0;
    uint64_t m_present_pages = 0; // owned and borrowed (st_blocks)
    // directories: entries sorted by cookie (insertion order)
    Entry* m_entries = nullptr;
    size_t m_entry_count = 0, m_entry_capacity = 0;
    uint64_t m_next_cookie = 0;
    bool m_dead = false; // removed directory: no new entries
    bool m_opaque = false;
    // symlinks
    char* m_target = nullptr;
    size_t m_target_length = 0;
};

class Tmpfs final : public FileSystem {
  public:
    struct Options {
        uint64_t max_pages = 0; // data pages this instance may use; 0 = half the machine
        uint64_t first_ino = 2; // inode numbers count up from here (the root takes it)
        uint32_t root_mode = 01777;
        const char* name = "tmpfs";
    };
    static Result<Own<Tmpfs>> create(const Options& options);
    ~Tmpfs() override;

    const char* type_name() const override { return m_name; }

    bool names_are_stable() const override { return true; }
    Result<RefPtr<Vnode>> root() override { return RefPtr<Vnode>(m_root.ptr()); }
    Result<void> statfs(FsStats& out) override;
    TmpfsNode& root_node() { return *m_root; }

    // A node not linked anywhere yet (copy-up builds it before naming it).
    Result<RefPtr<TmpfsNode>> make_node(const NewNode& node);

  private:
    friend class TmpfsNode;
    explicit Tmpfs(const Options& options);
    bool charge_page() {
        if (m_used_pages >= m_max_pages) return false;
        m_used_pages++;
        return true;
    }
    void uncharge_pages(uint64_t n) { m_used_pages -= n; }

    RefPtr<TmpfsNode> m_root;
    const char* m_name;
    uint64_t m_max_pages;
    uint64_t m_used_pages = 0;
    uint64_t m_next_ino;
    uint64_t m_node_count = 0;
};

} // namespace wisp::fs
