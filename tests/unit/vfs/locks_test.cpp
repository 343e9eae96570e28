// SPDX-License-Identifier: MIT
// flock(2) and fcntl record locks (fs/flock.h, fs/record_locks.h): owners, conflicts, ranges
// split and merged, dropped at close.
#include "fs/flock.h"
#include "fs/pipe.h"
#include "fs/record_locks.h"
#include "vfs_fixture.h"

namespace vfs_test {
namespace {

class LocksTest : public VfsTest {
  protected:
    RefPtr<OpenFile> open_of(RefPtr<Pipe> file) {
        auto f = OpenFile::create(nullptr, nullptr, RefPtr<Vnode>(file.ptr()), kOpenReadWrite);
        EXPECT_FALSE(f.is_error());
        return f.is_error() ? nullptr : f.release_value();
    }
    // The owner's ranges on `file`, "start-end:R|W" in list order, sorted.
    std::string ranges(const Vnode& file, LockOwner owner) {
        std::vector<std::string> out;
        for (uint64_t at = 0; at <= 200; at++) {
            // Probe one offset with a write lock of a stranger: a conflict tells the range.
            int stranger;
            const RangeLock* lock = find_lock_conflict(file, LockOwner{&stranger}, RangeLockType::Write, at, at);
            if (lock == nullptr || !(lock->owner == owner) || lock->start != at) continue;
            out.push_back(std::to_string(lock->start) + "-" +
                          (lock->end == kLockToEnd ? std::string("end") : std::to_string(lock->end)) +
                          (lock->type == RangeLockType::Read ? ":R" : ":W"));
        }
        std::string joined;
        for (auto& s : out) joined += (joined.empty() ? "" : " ") + s;
        return joined;
    }
    RefPtr<Pipe> file_a{new Pipe(vfs.anon())};
    RefPtr<Pipe> file_b{new Pipe(vfs.anon())};
};

TEST_F(LocksTest, FlockOwnersAreDescriptions) {
    auto one = open_of(file_a), two = open_of(file_a), other = open_of(file_b);
    EXPECT_TRUE(try_flock(*one, FlockKind::Shared).value());
    EXPECT_TRUE(try_flock(*two, FlockKind::Shared).value());
    EXPECT_TRUE(try_flock(*other, FlockKind::Exclusive).value()); // another file
    EXPECT_FALSE(try_flock(*one, FlockKind::Exclusive).value());  // two shares
    // The failed conversion dropped one's shared lock: two can take it exclusively now.
    EXPECT_TRUE(try_flock(*two, FlockKind::Exclusive).value());
    EXPECT_FALSE(try_flock(*one, FlockKind::Shared).value());
    int woken = 0;
    Waiter w;
    w.context = &woken;
    w.wake = [](Waiter& w) { ++*static_cast<int*>(w.context); };
    flock_waiters().add(w);
    two = nullptr; // the last close drops the lock and wakes the waiters
    EXPECT_EQ(woken, 1);
    EXPECT_TRUE(try_flock(*one, FlockKind::Exclusive).value());
    unlock_flock(*one);
    unlock_flock(*other);
}

TEST_F(LocksTest, RangesSplitMergeAndConflict) {
    const Vnode& f = *file_a;
    LockOwner process{}, description{&f};
    ASSERT_FALSE(set_range_lock(f, process, RangeLockType::Write, 10, 49).is_error());
    EXPECT_EQ(ranges(f, process), "10-49:W");
    // A read lock in the middle splits the write lock in three.
    ASSERT_FALSE(set_range_lock(f, process, RangeLockType::Read, 20, 29).is_error());
    EXPECT_EQ(ranges(f, process), "10-19:W 20-29:R 30-49:W");
    // Writing over it again merges back into one range, and touching ranges of a type join.
    ASSERT_FALSE(set_range_lock(f, process, RangeLockType::Write, 20, 29).is_error());
    ASSERT_FALSE(set_range_lock(f, process, RangeLockType::Write, 50, 59).is_error());
    EXPECT_EQ(ranges(f, process), "10-59:W");
    // Unlocking a hole, and the start.
    ASSERT_FALSE(set_range_lock(f, process, RangeLockType::Unlock, 30, 39).is_error());
    ASSERT_FALSE(set_range_lock(f, process, RangeLockType::Unlock, 0, 14).is_error());
    EXPECT_EQ(ranges(f, process), "15-29:W 40-59:W");
    // One owner never conflicts with itself; another conflicts where they overlap and one writes.
    EXPECT_EQ(find_lock_conflict(f, process, RangeLockType::Write, 0, kLockToEnd), nullptr);
    EXPECT_EQ(find_lock_conflict(f, description, RangeLockType::Read, 30, 39), nullptr);
    const RangeLock* c = find_lock_conflict(f, description, RangeLockType::Read, 35, 45);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->start, 40u);
    ASSERT_FALSE(set_range_lock(f, process, RangeLockType::Read, 40, 59).is_error());
    EXPECT_EQ(find_lock_conflict(f, description, RangeLockType::Read, 35, 45), nullptr);
    EXPECT_NE(find_lock_conflict(f, description, RangeLockType::Write, 35, 45), nullptr);
    // To the end of the file.
    ASSERT_FALSE(set_range_lock(f, description, RangeLockType::Write, 100, kLockToEnd).is_error());
    EXPECT_EQ(ranges(f, description), "100-end:W");
    EXPECT_NE(find_lock_conflict(f, process, RangeLockType::Read, 1u << 30, 1u << 30), nullptr);
    drop_range_locks(f, process);
    drop_range_locks(f, description);
    EXPECT_EQ(find_lock_conflict(f, LockOwner{&c}, RangeLockType::Write, 0, kLockToEnd), nullptr);
}

TEST_F(LocksTest, DescriptionLocksGoWithTheLastClose) {
    auto one = open_of(file_a), two = open_of(file_a);
    const Vnode& f = *file_a;
    ASSERT_FALSE(set_range_lock(f, LockOwner{one.ptr()}, RangeLockType::Write, 0, 9).is_error());
    one->note_range_locks();
    EXPECT_NE(find_lock_conflict(f, LockOwner{two.ptr()}, RangeLockType::Read, 5, 5), nullptr);
    one = nullptr;
    EXPECT_EQ(find_lock_conflict(f, LockOwner{two.ptr()}, RangeLockType::Read, 5, 5), nullptr);
}

} // namespace
} // namespace vfs_test
