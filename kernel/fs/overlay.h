// SPDX-License-Identifier: MIT
#pragma once

// The overlay that makes the read-only image writable in memory (the semantics of Linux
// overlayfs, Documentation/filesystems/overlayfs.rst): a lower layer (the image) under an upper
// tmpfs. A name is looked up in the upper directory first; directories present in both are
// merged; a whiteout (a 0:0 character device) in the upper layer hides a lower name, and an
// opaque upper directory hides the whole lower one. Changing anything that exists only below
// first copies it up — with its parent directories — into the upper layer; a regular file's
// image pages are lent to the copy instead of copied, so opening a large image file for
// writing costs a pointer per page until a page is actually written.
//
// As overlayfs without redirect_dir, renaming a directory that exists in the lower layer fails
// with EXDEV (mv then copies).
#include "fs/tmpfs.h"
#include "fs/vnode.h"

namespace wisp::fs {

class OverlayNode;

class OverlayFs final : public FileSystem {
  public:
    static Result<Own<OverlayFs>> create(Own<Tmpfs> upper, Own<FileSystem> lower);
    ~OverlayFs() override;

    const char* type_name() const override { return "overlay"; }

    bool names_are_stable() const override { return true; }
    Result<RefPtr<Vnode>> root() override;
    Result<void> statfs(FsStats& out) override;
    Tmpfs& upper() { return *m_upper; }
    FileSystem& lower() { return *m_lower; }

  private:
    OverlayFs(Own<Tmpfs> upper, Own<FileSystem> lower);
    Own<Tmpfs> m_upper;
    Own<FileSystem> m_lower;
    RefPtr<OverlayNode> m_root;
};

class OverlayNode final : public Vnode {
  public:
    OverlayNode(OverlayFs& fs, uint32_t type, RefPtr<TmpfsNode> upper, RefPtr<Vnode> lower,
                OverlayNode* parent);
    ~OverlayNode() override;
    Result<void> set_name(std::string_view name);

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
    Result<void> allocate(uint64_t offset, uint64_t length) override;
    const void* direct_page(uint64_t offset) override;
    const void* direct_range(uint64_t offset, uint64_t length) override;
    void* shared_page(uint64_t offset, bool write) override;
    const Vnode* page_owner() const override {
        return m_upper ? static_cast<const Vnode*>(m_upper.ptr()) : this;
    }

    Result<void> open(OpenFile& file) override;
    Result<size_t> read(OpenFile& file, uint64_t offset, IoBuffer& buffer) override;
    Result<size_t> write(OpenFile& file, uint64_t offset, IoBuffer& buffer) override;
    Result<uint64_t> seek_data(uint64_t offset, uint64_t size, bool hole) override;

    // Makes this node exist in the upper layer (and its parents).
    Result<void> copy_up();
    bool has_upper() const { return static_cast<bool>(m_upper); }
    bool has_lower() const { return static_cast<bool>(m_lower); }

  private:
    OverlayFs& overlay() const { return static_cast<OverlayFs&>(fs()); }
    bool lower_visible() const { return m_lower && !(m_upper && m_upper->opaque()); }
    bool lower_has(std::string_view name);
    Result<void> make_whiteout(std::string_view name);
    Result<bool> remove_whiteout(std::string_view name); // true when there was one
    Result<bool> is_empty();
    void orphan();

    RefPtr<TmpfsNode> m_upper;
    RefPtr<Vnode> m_lower;
    RefPtr<OverlayNode> m_parent; // null for the root and for removed nodes
    // The name in the parent (for copy-up): inline when short, else on the heap.
    char* m_name = m_inline_name;
    size_t m_name_length = 0;
    char m_inline_name[32];
};

} // namespace wisp::fs
