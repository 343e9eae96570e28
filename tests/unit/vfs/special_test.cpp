// SPDX-License-Identifier: MIT
// Pipes and fifos, device special files, pseudo file systems (the procfs/sysfs machinery).
#include <cstring>

#include "fs/devices.h"
#include "fs/pipe.h"
#include "fs/pseudo_fs.h"
#include "vfs_fixture.h"

namespace vfs_test {
namespace {

class SpecialTest : public VfsTest {
  protected:
    RefPtr<OpenFile> end_of(RefPtr<Pipe> pipe, int flags) {
        auto f = OpenFile::create(nullptr, nullptr, RefPtr<Vnode>(pipe.ptr()), flags);
        EXPECT_FALSE(f.is_error());
        return f.is_error() ? nullptr : f.release_value();
    }
};

TEST_F(SpecialTest, PipeDataEndOfFileAndBrokenPipe) {
    RefPtr<Pipe> pipe(new Pipe(vfs.anon()));
    auto reader = end_of(pipe, kOpenReadOnly);
    auto writer = end_of(pipe, kOpenWriteOnly);
    char buf[16] = {};
    MemoryBuffer into(buf, sizeof buf);
    EXPECT_EQ(error_of(reader->read(0, into)), Errno::AGAIN); // empty, a writer is open
    // A waiter on the read queue is woken by a write.
    Waiter w;
    int woken = 0;
    w.context = &woken;
    w.wake = [](Waiter& w) { ++*static_cast<int*>(w.context); };
    pipe->read_queue()->add(w);
    MemoryBuffer hello("hello", 5);
    EXPECT_EQ(writer->write(0, hello).value(), 5u);
    EXPECT_EQ(woken, 1);
    EXPECT_TRUE(w.woken);
    EXPECT_EQ(reader->read(0, into).value(), 5u);
    EXPECT_EQ(std::string(buf, 5), "hello");
    writer = nullptr; // the last writer goes: end of file
    EXPECT_EQ(reader->read(0, into).value(), 0u);
    writer = end_of(pipe, kOpenWriteOnly);
    reader = nullptr;
    EXPECT_EQ(error_of(writer->write(0, hello)), Errno::PIPE);
}

TEST_F(SpecialTest, PipeCapacityAndAtomicWrites) {
    RefPtr<Pipe> pipe(new Pipe(vfs.anon()));
    auto reader = end_of(pipe, kOpenReadOnly);
    auto writer = end_of(pipe, kOpenWriteOnly);
    std::vector<char> big(Pipe::kCapacity + 100, 'b');
    MemoryBuffer all(big.data(), big.size());
    EXPECT_EQ(writer->write(0, all).value(), Pipe::kCapacity); // partial: what fits
    MemoryBuffer small("x", 1);
    EXPECT_EQ(error_of(writer->write(0, small)), Errno::AGAIN);
    std::vector<char> out(100);
    MemoryBuffer some(out.data(), out.size());
    EXPECT_EQ(reader->read(0, some).value(), 100u);
    // Up to PIPE_BUF bytes go in whole or not at all.
    std::vector<char> page(4096, 'p');
    MemoryBuffer atomic(page.data(), page.size());
    EXPECT_EQ(error_of(writer->write(0, atomic)), Errno::AGAIN);
    EXPECT_EQ(writer->write(0, small).value(), 1u);
}

TEST_F(SpecialTest, FifoOpensReachOnePipe) {
    ASSERT_EQ(error_of(vfs.mknod(ctx, cwd(), "fifo", kTypeFifo | 0600, 0)), kOk);
    EXPECT_EQ(error_of(open("fifo", kOpenWriteOnly | kOpenNonBlock)), Errno::NXIO);
    EXPECT_EQ(error_of(open("fifo", kOpenReadOnly)), Errno::AGAIN); // would wait for a writer
    auto reader = open("fifo", kOpenReadOnly | kOpenNonBlock);
    ASSERT_FALSE(reader.is_error());
    auto writer = open("fifo", kOpenWriteOnly);
    ASSERT_FALSE(writer.is_error());
    MemoryBuffer data("fifo", 4);
    EXPECT_EQ(writer.value()->write(0, data).value(), 4u);
    char buf[8] = {};
    MemoryBuffer into(buf, sizeof buf);
    EXPECT_EQ(reader.value()->read(0, into).value(), 4u);
    EXPECT_EQ(std::string(buf), "fifo");
}

TEST_F(SpecialTest, DeviceNodesReachTheirDevices) {
    ASSERT_EQ(error_of(register_memory_devices(vfs)), kOk);
    ASSERT_EQ(error_of(vfs.mknod(ctx, cwd(), "zero", kTypeChar | 0666, kDevZero)), kOk);
    ASSERT_EQ(error_of(vfs.mknod(ctx, cwd(), "full", kTypeChar | 0666, kDevFull)), kOk);
    ASSERT_EQ(error_of(vfs.mknod(ctx, cwd(), "nothing", kTypeChar | 0666, make_dev(42, 42))), kOk);
    auto zero = open("zero", kOpenReadWrite);
    ASSERT_FALSE(zero.is_error());
    char buf[8];
    std::memset(buf, 'x', sizeof buf);
    MemoryBuffer into(buf, sizeof buf);
    EXPECT_EQ(zero.value()->read(0, into).value(), 8u);
    EXPECT_EQ(buf[7], 0);
    auto full = open("full", kOpenWriteOnly);
    ASSERT_FALSE(full.is_error());
    MemoryBuffer one("1", 1);
    EXPECT_EQ(error_of(full.value()->write(0, one)), Errno::NOSPC);
    EXPECT_EQ(error_of(open("nothing", kOpenReadOnly)), Errno::NXIO);
    // stat shows the node, not the device.
    EXPECT_EQ(stat("zero").rdev, kDevZero);
}

Result<void> generate_hello(TextBuffer& out, uint64_t arg) {
    return out.appendf("hello %lu\n", arg);
}
uint64_t next_even(uint64_t from) {
    uint64_t n = from + (from & 1);
    return n <= 6 ? n : ~0ull;
}
Result<LinkTarget> link_text(char*, uint64_t) {
    LinkTarget t;
    t.text = "hello";
    return t;
}
const PseudoEntry kItem = {"item", kTypeRegular | 0444, &generate_hello};
const PseudoNumbered kEvens = {&next_even, &kItem};
const PseudoEntry kChildren[] = {
    {"hello", kTypeRegular | 0444, &generate_hello},
    {"link", kTypeSymlink | 0777, nullptr, nullptr, &link_text},
    {"numbers", kTypeDirectory | 0555, nullptr, nullptr, nullptr, nullptr, 0, &kEvens},
};
const PseudoEntry kRoot = {"/", kTypeDirectory | 0555, nullptr, nullptr, nullptr, kChildren, 3};

TEST_F(SpecialTest, PseudoFileSystemTables) {
    ASSERT_EQ(mkdir("p"), kOk);
    auto fs = PseudoFs::create("test", kRoot, 0x1234, 0, true);
    ASSERT_FALSE(fs.is_error());
    {
        auto at = resolve("p");
        ASSERT_FALSE(at.is_error());
        ASSERT_FALSE(
            vfs.mount(Own<FileSystem>(fs.release_value().leak()), at.value(), 0, "t").is_error());
    }
    EXPECT_EQ(list("/p"), (std::vector<std::string>{".", "..", "hello", "link", "numbers"}));
    EXPECT_EQ(read_file("/p/hello"), "hello 0\n");
    EXPECT_EQ(read_file("/p/link"), "hello 0\n");
    EXPECT_EQ(list("/p/numbers"), (std::vector<std::string>{".", "..", "0", "2", "4", "6"}));
    EXPECT_EQ(read_file("/p/numbers/4"), "hello 4\n");
    EXPECT_EQ(read_file("/p/numbers/3"), "<error 2>");
    EXPECT_EQ(read_file("/p/numbers/04"), "<error 2>");
    EXPECT_EQ(create_file("/p/new"), Errno::NOENT); // procfs-like: missing names are errors
    EXPECT_EQ(mkdir("/p/dir"), Errno::NOENT);
    auto f = open("/p/hello", kOpenWriteOnly);
    ASSERT_FALSE(f.is_error());
    MemoryBuffer data("x", 1);
    EXPECT_EQ(error_of(f.value()->write(0, data)), Errno::IO);
}

TEST_F(SpecialTest, AutomountsOnFirstUse) {
    static int made = 0;
    Vfs::Automount a;
    a.name = "auto";
    a.make = []() -> Result<Own<FileSystem>> {
        made++;
        Tmpfs::Options options;
        options.max_pages = 4;
        return Own<FileSystem>(TRY(Tmpfs::create(options)).leak());
    };
    Vfs::Automount b = a;
    b.name = "full";
    b.only_if_empty = true;
    ASSERT_EQ(mkdir("full"), kOk);
    ASSERT_EQ(create_file("full/keep", "kept"), kOk);
    ASSERT_EQ(error_of(vfs.add_automount(a)), kOk);
    ASSERT_EQ(error_of(vfs.add_automount(b)), kOk);
    EXPECT_EQ(made, 0);
    ASSERT_EQ(create_file("/auto/x", "in tmpfs"), kOk);
    EXPECT_EQ(made, 1);
    EXPECT_EQ(read_file("/full/keep"), "kept"); // not hidden: the directory was not empty
    EXPECT_EQ(made, 1);
    EXPECT_EQ(list("/"), (std::vector<std::string>{".", "..", "auto", "full"}));
    EXPECT_EQ(error_of(vfs.rename(ctx, cwd(), "/auto/x", cwd(), "/y", 0)), Errno::XDEV);
}

} // namespace
} // namespace vfs_test
