// SPDX-License-Identifier: MIT
// The EROFS reader on damaged images: truncated at many lengths, bytes flipped in the superblock,
// inodes, directory blocks and symlink data. Every API must return (an error or some value),
// never read outside the image (ASan watches: each image lives in a heap block of its exact
// size) and never loop.
#include <gtest/gtest.h>

#include <set>

#include "fs/erofs.h"
#include "test_tree.h"

namespace {

using namespace erofs_test;
using wisp::fs::erofs::DirEntry;
using wisp::fs::erofs::Image;
using wisp::fs::erofs::Inode;

constexpr size_t kBlock = 4096;

struct Sample {
    std::string dir;
    Bytes plain;   // -E noinline_data, as the image builder makes
    Bytes chunked; // --chunksize: chunk index tables
    Sample() {
        dir = make_temp_dir("erofs-corrupt");
        const stdfs::path r = dir + "/tree";
        stdfs::create_directories(r / "d1/d2");
        write_file(r / "d1/d2/f", random_bytes(3 * kBlock + 5, 1));
        write_file(r / "small", random_bytes(30, 2));
        write_file(r / "empty", {});
        stdfs::create_symlink("d1/d2/f", r / "rel");
        stdfs::create_symlink("/d1/../small", r / "abs");
        stdfs::create_symlink("loop", r / "loop");
        stdfs::create_symlink("d1", r / "dirlink");
        stdfs::create_directories(r / "many");
        // Two directory blocks' worth of entries (120 * (12 + ~24) bytes).
        for (int i = 0; i < 120; i++)
            write_file(r / "many" / ("entry" + std::to_string(100 + i) + std::string(i % 37, 'z')),
                       {uint8_t(i)});
        EXPECT_EQ(run_mkfs("-E noinline_data", dir + "/plain.img", r.string()), 0);
        EXPECT_EQ(run_mkfs("-E noinline_data --chunksize=4096", dir + "/chunked.img", r.string()),
                  0);
        plain = load_image(dir + "/plain.img");
        chunked = load_image(dir + "/chunked.img");
    }
    ~Sample() {
        std::error_code ignored;
        if (!getenv("WISP_KEEP_TEST_FILES")) stdfs::remove_all(dir, ignored);
    }
};

Sample& sample() {
    static Sample s;
    return s;
}

// Uses every reader API on whatever the (possibly corrupt) image holds. Bounded: directory
// cycles in a corrupt image are cut by depth and by a total entry budget.
void exercise_dir(const Image& image, const Inode& dir, int depth, size_t& budget) {
    if (depth > 6) return;
    std::vector<uint8_t> buffer(3 * kBlock);
    auto r = image.for_each_entry(dir, 0, [&](const DirEntry& e) {
        if (budget == 0) return false;
        budget--;
        (void)image.lookup(dir, e.name);
        if (e.name == "." || e.name == "..") return true;
        auto child = image.inode(e.nid);
        if (child.is_error()) return true;
        const Inode& c = child.value();
        if (c.is_directory()) exercise_dir(image, c, depth + 1, budget);
        for (uint64_t offset : {uint64_t(0), uint64_t(kBlock - 7), c.size / 2, c.size - 1})
            (void)image.read(c, offset, buffer);
        (void)image.readlink(c);
        (void)image.map(c, 0);
        (void)image.contiguous_offset(c, 0, kBlock);
        (void)image.contiguous_offset(c, 0, (c.size + kBlock - 1) / kBlock * kBlock);
        return true;
    });
    // Resume from a cookie in the middle too.
    if (!r.is_error()) {
        (void)image.for_each_entry(dir, 24, [](const DirEntry&) { return true; });
    }
}

void exercise(std::span<const uint8_t> bytes) {
    auto opened = Image::open(bytes);
    if (opened.is_error()) return;
    const Image& image = opened.value();
    (void)image.verify_checksum();
    auto root = image.root();
    if (root.is_error()) return;
    size_t budget = 2000;
    exercise_dir(image, root.value(), 0, budget);
    for (const char* path : {"/d1/d2/f", "/rel", "/abs", "/loop", "/dirlink/d2/../d2/f",
                             "/many/entry150zzzzzzzzzzzzz", "/many/nope", "/small/", "/./d1/.."}) {
        (void)image.resolve(path, true);
        (void)image.resolve(path, false);
    }
    for (uint64_t nid = 0; nid < 200; nid += 7)
        (void)image.inode(nid);
    (void)image.inode(~0ull);
}

void exercise_copy(std::span<const uint8_t> bytes) {
    Bytes copy = exact_copy(bytes);
    exercise(copy.span());
}

void set32(uint8_t* p, uint32_t v) {
    std::memcpy(p, &v, 4);
}

// erofs iloc(): the superblock's meta_blkaddr * 4096 + nid * 32.
uint64_t inode_offset(const Bytes& bytes, uint64_t nid) {
    uint32_t meta_blkaddr;
    std::memcpy(&meta_blkaddr, bytes.data.get() + 1024 + 40, 4);
    return uint64_t(meta_blkaddr) * kBlock + nid * 32;
}

// Byte ranges that hold metadata: superblock, inodes (those of /many's files only for a few),
// directory blocks and symlink targets, chunk tables. Collected from the intact image. Within a
// directory block, the dirents come first and get every byte; names get a sample.
struct Range {
    uint64_t start, length, stride;
};
std::vector<Range> metadata_ranges(const Bytes& bytes) {
    std::vector<Range> ranges = {{1024, 128, 1}};
    auto opened = Image::open(bytes.span());
    EXPECT_FALSE(opened.is_error());
    const Image& image = opened.value();
    std::vector<Inode> queue = {image.root().value()};
    std::set<uint64_t> seen;
    while (!queue.empty()) {
        Inode inode = queue.back();
        queue.pop_back();
        if (!seen.insert(inode.nid).second) continue;
        // The inode itself plus what follows it (xattrs, inline data, chunk table).
        const uint64_t slot = inode_offset(bytes, inode.nid);
        ranges.push_back({slot, inode.meta_end - slot + 16, 1});
        if (inode.is_directory() || inode.is_symlink()) {
            for (uint64_t off = 0; off < inode.size;) {
                auto e = image.map(inode, off);
                if (e.is_error()) break;
                for (uint64_t b = 0; b < e.value().length; b += kBlock) {
                    uint64_t length = std::min<uint64_t>(kBlock, e.value().length - b);
                    uint64_t dense = std::min<uint64_t>(length, 400);
                    ranges.push_back({e.value().image_offset + b, dense, 1});
                    ranges.push_back({e.value().image_offset + b + dense, length - dense, 13});
                }
                off += e.value().length;
            }
        }
        if (inode.is_directory()) {
            int files = 0;
            (void)image.for_each_entry(inode, 0, [&](const DirEntry& e) {
                if (e.name == "." || e.name == "..") return true;
                if (e.type == wisp::fs::erofs::FileType::Regular && files++ > 4) return true;
                queue.push_back(image.inode(e.nid).value());
                return true;
            });
        }
    }
    return ranges;
}

TEST(ErofsCorruption, TruncatedAtManyLengths) {
    for (const Bytes* image : {&sample().plain, &sample().chunked}) {
        for (size_t length = 0; length < image->size; length += length < 2 * kBlock ? 61 : 509)
            exercise_copy(image->span().first(length));
    }
}

// Truncated, but with the superblock's block count lowered to match, so open() accepts it and
// the later bounds checks are what stand between the reader and the end of the buffer.
TEST(ErofsCorruption, TruncatedWithConsistentBlockCount) {
    for (const Bytes* image : {&sample().plain, &sample().chunked}) {
        for (size_t length = 2048; length < image->size; length += 997) {
            Bytes copy = exact_copy(image->span().first(length));
            set32(copy.data.get() + 1024 + 36, uint32_t(length / kBlock));
            exercise(copy.span());
        }
    }
}

TEST(ErofsCorruption, EverySuperblockByteFlipped) {
    for (const Bytes* image : {&sample().plain, &sample().chunked}) {
        for (size_t pos = 1024; pos < 1024 + 128; pos++) {
            for (uint8_t x : {0x01, 0x02, 0x10, 0x80, 0xff}) {
                Bytes copy = exact_copy(image->span());
                copy.data[pos] ^= x;
                exercise(copy.span());
            }
        }
    }
}

TEST(ErofsCorruption, EveryMetadataByteFlipped) {
    for (const Bytes* image : {&sample().plain, &sample().chunked}) {
        auto ranges = metadata_ranges(*image);
        size_t mutations = 0;
        Bytes copy = exact_copy(image->span());
        for (auto [start, length, stride] : ranges) {
            for (uint64_t pos = start; pos < start + length && pos < image->size; pos += stride) {
                for (uint8_t x : {0x01, 0x80, 0xff}) {
                    copy.data[pos] ^= x;
                    exercise(copy.span());
                    copy.data[pos] ^= x; // restore
                    mutations++;
                }
            }
        }
        EXPECT_GT(mutations, 5000u);
    }
}

TEST(ErofsCorruption, RandomOverwritesInMetadata) {
    std::mt19937 rng(1234);
    for (const Bytes* image : {&sample().plain, &sample().chunked}) {
        auto ranges = metadata_ranges(*image);
        for (int round = 0; round < 1000; round++) {
            Bytes copy = exact_copy(image->span());
            int writes = 1 + rng() % 6;
            for (int w = 0; w < writes; w++) {
                auto [start, length, stride] = ranges[rng() % ranges.size()];
                uint64_t pos = start + rng() % std::max<uint64_t>(length, 1);
                int n = 1 + rng() % 8;
                for (int i = 0; i < n && pos + i < copy.size; i++) {
                    // Favour values that make interesting lengths and offsets.
                    static const uint8_t kValues[] = {0x00, 0xff, 0x7f, 0x80, 0x01, 0x0c, 0x10};
                    copy.data[pos + i] = rng() % 2 ? uint8_t(rng()) : kValues[rng() % 7];
                }
            }
            exercise(copy.span());
        }
    }
}

// Specific damage with a specific answer.
TEST(ErofsCorruption, ClearErrors) {
    const Bytes& good = sample().plain;
    const char* reason = nullptr;
    {
        Bytes copy = exact_copy(good.span());
        copy.data[1024] ^= 1; // magic
        auto r = Image::open(copy.span(), &reason);
        ASSERT_TRUE(r.is_error());
        EXPECT_EQ(r.error().code, wisp::Errno::INVAL);
        EXPECT_STREQ(reason, "not an EROFS image (bad superblock magic)");
    }
    {
        Bytes copy = exact_copy(good.span());
        set32(copy.data.get() + 1024 + 80, 0x2); // feature_incompat: compression
        auto r = Image::open(copy.span(), &reason);
        ASSERT_TRUE(r.is_error());
        EXPECT_EQ(r.error().code, wisp::Errno::OPNOTSUPP);
        EXPECT_NE(std::string(reason).find("compressed"), std::string::npos);
    }
    {
        Bytes copy = exact_copy(good.span());
        set32(copy.data.get() + 1024 + 80, 0x200); // a feature from the future
        auto r = Image::open(copy.span(), &reason);
        ASSERT_TRUE(r.is_error());
        EXPECT_EQ(r.error().code, wisp::Errno::OPNOTSUPP);
    }
    {
        Bytes copy = exact_copy(good.span());
        copy.data[1024 + 12] = 9; // 512-byte blocks
        auto r = Image::open(copy.span(), &reason);
        ASSERT_TRUE(r.is_error());
        EXPECT_NE(std::string(reason).find("block size"), std::string::npos);
    }
    {
        auto r = Image::open(good.span().first(good.size - kBlock), &reason);
        ASSERT_TRUE(r.is_error());
        EXPECT_EQ(r.error().code, wisp::Errno::IO);
        EXPECT_NE(std::string(reason).find("truncated"), std::string::npos);
    }
    {
        // A superblock byte that the checksum covers: open() still works, verify_checksum fails.
        Bytes copy = exact_copy(good.span());
        copy.data[1024 + 64] ^= 0x20; // volume name
        auto r = Image::open(copy.span());
        ASSERT_FALSE(r.is_error());
        auto c = r.value().verify_checksum();
        ASSERT_TRUE(c.is_error());
        EXPECT_EQ(c.error().code, wisp::Errno::IO);
    }
    {
        // A compressed inode layout is refused by inode(), not misread.
        auto opened = Image::open(good.span());
        ASSERT_FALSE(opened.is_error());
        auto small = opened.value().resolve("/small", true);
        ASSERT_FALSE(small.is_error());
        Bytes copy = exact_copy(good.span());
        const uint64_t slot = inode_offset(good, small.value().nid);
        uint16_t format;
        std::memcpy(&format, copy.data.get() + slot, 2);
        format = uint16_t((format & 1) | (3 << 1)); // EROFS_INODE_COMPRESSED_COMPACT
        std::memcpy(copy.data.get() + slot, &format, 2);
        auto image = Image::open(copy.span());
        ASSERT_FALSE(image.is_error());
        auto r = image.value().resolve("/small", true);
        ASSERT_TRUE(r.is_error());
        EXPECT_EQ(r.error().code, wisp::Errno::OPNOTSUPP);
    }
}

} // namespace
