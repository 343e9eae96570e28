// SPDX-License-Identifier: MIT
#pragma once

// The application image (EROFS, fs/erofs.h) as a read-only file system of the VFS. Reads copy
// straight from the image's bytes to the application; symlink targets and names are views into
// the image; whole image pages can be lent to the overlay's copy-up without copying.
#include "fs/erofs.h"
#include "fs/vnode.h"

namespace wisp::fs {

class ImageFs final : public FileSystem {
  public:
    // `image` must outlive the file system.
    static Result<Own<ImageFs>> create(const erofs::Image& image);

    const char* type_name() const override { return "erofs"; }

    bool names_are_stable() const override { return true; }
    Result<RefPtr<Vnode>> root() override;
    Result<void> statfs(FsStats& out) override;
    const erofs::Image& image() const { return m_image; }
    Result<RefPtr<Vnode>> vnode_for(const erofs::Inode& inode);

  private:
    explicit ImageFs(const erofs::Image& image) : FileSystem(true), m_image(image) {}
    const erofs::Image& m_image;
};

class ImageNode final : public Vnode {
  public:
    ImageNode(ImageFs& fs, const erofs::Inode& inode);

    Result<void> getattr(Attributes& out) override;
    Result<RefPtr<Vnode>> lookup(std::string_view name) override;
    Result<uint64_t> readdir(uint64_t cookie, DirSink& sink) override;
    Result<LinkTarget> readlink(char* scratch) override;
    Result<size_t> read(OpenFile& file, uint64_t offset, IoBuffer& buffer) override;
    Result<uint64_t> seek_data(uint64_t offset, uint64_t size, bool hole) override;
    const void* direct_page(uint64_t offset) override;
    const void* direct_range(uint64_t offset, uint64_t length) override;
    const erofs::Inode& inode() const { return m_inode; }

  private:
    const erofs::Image& image() const { return static_cast<ImageFs&>(fs()).image(); }
    erofs::Inode m_inode;
    // Where the data starts in the image when all of it is stored in one piece (most files of
    // an image built with -E noinline_data): reads then need no extent lookup. ~0 otherwise.
    uint64_t m_contiguous_at = ~0ull;
};

} // namespace wisp::fs
