// SPDX-License-Identifier: MIT
// The descriptor table: lowest free number, limits, dup semantics, close_range.
#include "linux/fd_table.h"
#include "vfs_fixture.h"

namespace vfs_test {
namespace {

using wisp::linux::FdTable;

class FdTableTest : public VfsTest {
  protected:
    RefPtr<OpenFile> file() {
        auto f = open("/f", kOpenReadWrite | kOpenCreate);
        EXPECT_FALSE(f.is_error());
        return f.release_value();
    }
};

TEST_F(FdTableTest, LowestFreeDescriptorFirst) {
    FdTable t;
    auto f = file();
    EXPECT_EQ(t.allocate(f, false).value(), 0);
    EXPECT_EQ(t.allocate(f, false).value(), 1);
    EXPECT_EQ(t.allocate(f, true).value(), 2);
    EXPECT_TRUE(t.cloexec(2));
    EXPECT_FALSE(t.cloexec(1));
    ASSERT_FALSE(t.close(1).is_error());
    EXPECT_EQ(error_of(t.close(1)), Errno::BADF);
    EXPECT_EQ(t.allocate(f, false).value(), 1);
    EXPECT_EQ(t.allocate(f, false, 10).value(), 10);
    EXPECT_EQ(t.allocate(f, false).value(), 3);
    EXPECT_EQ(error_of(t.allocate(f, false, 1024)), Errno::INVAL);
    EXPECT_EQ(t.get(-1), nullptr);
    EXPECT_EQ(t.get(1000000), nullptr);
    // Shared description: dup'ed descriptors see one offset.
    t.get(0)->offset = 42;
    EXPECT_EQ(t.get(3)->offset, 42u);
}

TEST_F(FdTableTest, LimitGivesEmfileAndInstallReplaces) {
    FdTable t;
    auto f = file();
    for (int i = 0; i < FdTable::kLimit; i++)
        ASSERT_EQ(t.allocate(f, false).value(), i);
    EXPECT_EQ(error_of(t.allocate(f, false)), Errno::MFILE);
    EXPECT_EQ(error_of(t.install(FdTable::kLimit, f, false)), Errno::BADF);
    auto g = file();
    ASSERT_FALSE(t.install(5, g, true).is_error());
    EXPECT_EQ(t.get(5), g.ptr());
    EXPECT_TRUE(t.cloexec(5));
    t.close_range(10, ~0u, false);
    EXPECT_EQ(t.open_count(), 10);
    t.close_range(0, 3, true);
    EXPECT_TRUE(t.cloexec(3));
    EXPECT_EQ(t.allocate(f, false).value(), 10);
}

} // namespace
} // namespace vfs_test
