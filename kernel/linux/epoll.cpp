// SPDX-License-Identifier: MIT
// epoll(7): an instance watches open files' wait queues. A file's queue waking an item puts it
// on the instance's ready list; epoll_wait asks each ready item's file what it reports now,
// returns those that match, keeps level-triggered ones on the list (they are asked again next
// time), drops edge-triggered ones (until their queue wakes again) and disables EPOLLONESHOT
// ones. Items are re-armed (their waiters put back on the files' queues) whenever they are
// looked at, so no wake is missed between two calls.
//
// An item belongs to its (file description, descriptor number) pair as in Linux: it goes away
// with EPOLL_CTL_DEL or when the description itself is released (OpenFile::release_queue),
// not when one of several descriptors for it is closed.
#include "lib/list.h"
#include "linux/anon_inode.h"
#include "linux/blocking.h"
#include "linux/files.h"
#include "linux/interval_timer.h"
#include "linux/signals.h"
#include "linux/syscalls.h"

namespace wisp::linux {
namespace {

constexpr uint32_t kEpollIn = 0x1, kEpollPri = 0x2, kEpollOut = 0x4, kEpollErr = 0x8,
                   kEpollHup = 0x10, kEpollRdNorm = 0x40, kEpollRdBand = 0x80,
                   kEpollWrNorm = 0x100, kEpollWrBand = 0x200, kEpollMsg = 0x400,
                   kEpollRdHup = 0x2000;
constexpr uint32_t kEpollExclusive = 1u << 28, kEpollWakeUp = 1u << 29,
                   kEpollOneShot = 1u << 30, kEpollEt = 1u << 31;
// What EPOLLEXCLUSIVE may be combined with (Linux EPOLLEXCLUSIVE_OK_BITS).
constexpr uint32_t kExclusiveOk =
    kEpollIn | kEpollOut | kEpollErr | kEpollHup | kEpollWakeUp | kEpollEt | kEpollExclusive;
constexpr uint32_t kInputEvents = kEpollIn | kEpollPri | kEpollRdNorm | kEpollRdBand | kEpollRdHup;
constexpr uint32_t kOutputEvents = kEpollOut | kEpollWrNorm | kEpollWrBand;
constexpr uint32_t kFlagBits = kEpollExclusive | kEpollWakeUp | kEpollOneShot | kEpollEt;
constexpr int kCtlAdd = 1, kCtlDel = 2, kCtlMod = 3;
constexpr int kMaxNesting = 4; // EP_MAX_NESTS
constexpr int kMaxEvents = 0x7fffffff / 12;

struct __attribute__((packed)) EpollEvent {
    uint32_t events;
    uint64_t data;
};
static_assert(sizeof(EpollEvent) == 12);

class Epoll;

struct EpollItem {
    Epoll* owner = nullptr;
    fs::OpenFile* file = nullptr; // not held: the item goes when the description does
    int fd = -1;
    uint32_t events = 0; // interest and flags, EPOLLERR | EPOLLHUP always included
    uint64_t data = 0;
    bool disabled = false; // EPOLLONESHOT fired; EPOLL_CTL_MOD enables it again
    fs::Waiter read_waiter, write_waiter, release_waiter;
    ListLink<EpollItem> items_link, ready_link;
};

class Epoll final : public AnonInode {
  public:
    static constexpr Kind kKind = Kind::Epoll;
    Epoll() : AnonInode(kKind) {}
    ~Epoll() override {
        while (EpollItem* item = m_items.front())
            forget(item);
    }

    EpollItem* find(fs::OpenFile* file, int fd) {
        for (EpollItem* i = m_items.front(); i; i = Items::next(i))
            if (i->file == file && i->fd == fd) return i;
        return nullptr;
    }

    Result<void> add(fs::OpenFile& file, int fd, const EpollEvent& event) {
        auto* item = new (std::nothrow) EpollItem;
        if (!item) return Errno::NOMEM;
        item->owner = this;
        item->file = &file;
        item->fd = fd;
        item->events = event.events | kEpollErr | kEpollHup;
        item->data = event.data;
        for (fs::Waiter* w : {&item->read_waiter, &item->write_waiter, &item->release_waiter})
            w->context = item;
        item->read_waiter.wake = item->write_waiter.wake = &queue_woke;
        item->release_waiter.wake = &file_released;
        file.release_queue().add(item->release_waiter);
        m_items.push_back(item);
        arm(item);
        if (ready_now(item)) make_ready(item);
        return {};
    }

    void modify(EpollItem* item, const EpollEvent& event) {
        disarm(item);
        item->events = event.events | kEpollErr | kEpollHup;
        item->data = event.data;
        item->disabled = false;
        arm(item);
        if (ready_now(item)) make_ready(item);
    }

    void forget(EpollItem* item) {
        disarm(item);
        if (item->release_waiter.queued) item->file->release_queue().remove(item->release_waiter);
        if (Ready::is_linked(item)) m_ready.remove(item);
        m_items.remove(item);
        delete item;
    }

    // Moves up to `max` ready events to `out` (application memory). Returns how many.
    Result<int> collect(UserPtr<EpollEvent> out, int max) {
        int n = 0;
        size_t looked = 0, to_look = m_ready.size();
        while (n < max && looked++ < to_look) {
            EpollItem* item = m_ready.pop_front();
            uint32_t revents = ready_now(item);
            arm(item);
            if (!revents) continue;
            if (out.offset(n).write(EpollEvent{revents, item->data}).is_error()) {
                m_ready.push_front(item);
                if (n == 0) return Errno::FAULT;
                break;
            }
            n++;
            if (item->events & kEpollOneShot) {
                item->disabled = true;
                disarm(item);
            } else if (!(item->events & kEpollEt)) {
                m_ready.push_back(item); // level-triggered: asked again next time
            }
        }
        return n;
    }

    // Whether this instance would report anything (nesting, poll of an epoll descriptor).
    bool has_ready_events() {
        for (EpollItem* i = m_ready.front(); i; i = Ready::next(i))
            if (ready_now(i)) return true;
        return false;
    }
    uint32_t poll_events(fs::OpenFile&) override { return has_ready_events() ? kEpollIn | kEpollRdNorm : 0; }
    fs::WaitQueue* read_queue() override { return &m_waiters; }
    fs::WaitQueue& waiters() { return m_waiters; }
    // Some watched file is woken from outside the VM (console input): not a deadlock.
    bool watches_external() {
        for (EpollItem* i = m_items.front(); i; i = Items::next(i)) {
            fs::FileOps& ops = i->file->ops();
            if (ops.read_queue() && ops.read_queue()->external()) return true;
            if (Epoll* inner = anon_inode_of<Epoll>(*i->file); inner && inner->watches_external())
                return true;
        }
        return false;
    }

    // How deep the instances below this one go (this one alone: 1), or more than `limit`
    // when `target` is among them (which would make a loop).
    int depth_below(Epoll* target, int limit) {
        if (this == target) return limit + 1;
        int deepest = 1;
        if (limit == 0) return 1;
        for (EpollItem* i = m_items.front(); i; i = Items::next(i)) {
            Epoll* inner = anon_inode_of<Epoll>(*i->file);
            if (!inner) continue;
            int d = 1 + inner->depth_below(target, limit - 1);
            if (d > deepest) deepest = d;
        }
        return deepest;
    }

  private:
    using Items = IntrusiveList<EpollItem, &EpollItem::items_link>;
    using Ready = IntrusiveList<EpollItem, &EpollItem::ready_link>;

    // The events the item's file reports now that the item asks for (0 when disabled).
    static uint32_t ready_now(EpollItem* item) {
        if (item->disabled) return 0;
        return item->file->ops().poll_events(*item->file) & (item->events & ~kFlagBits);
    }

    // Puts the item's waiters on the file's queues: the read queue for input events, the write
    // queue for output events (errors and hang-ups arrive through the queue of the end's own
    // direction), as Linux's keyed wake-ups filter them.
    static void arm(EpollItem* item) {
        if (item->disabled) return;
        fs::FileOps& ops = item->file->ops();
        bool input = (item->events & kInputEvents) || !item->file->can_write();
        bool output = (item->events & kOutputEvents) || !item->file->can_read();
        if (input && !item->read_waiter.queued)
            if (fs::WaitQueue* q = ops.read_queue()) q->add(item->read_waiter);
        if (output && !item->write_waiter.queued)
            if (fs::WaitQueue* q = ops.write_queue()) q->add(item->write_waiter);
    }
    static void disarm(EpollItem* item) {
        fs::FileOps& ops = item->file->ops();
        if (item->read_waiter.queued) ops.read_queue()->remove(item->read_waiter);
        if (item->write_waiter.queued) ops.write_queue()->remove(item->write_waiter);
    }

    void make_ready(EpollItem* item) {
        if (!Ready::is_linked(item)) m_ready.push_back(item);
        m_waiters.wake_all();
    }

    static void queue_woke(fs::Waiter& w) {
        auto* item = static_cast<EpollItem*>(w.context);
        item->owner->make_ready(item);
    }
    static void file_released(fs::Waiter& w) {
        auto* item = static_cast<EpollItem*>(w.context);
        item->owner->forget(item);
    }

    Items m_items;
    Ready m_ready;
    fs::WaitQueue m_waiters; // epoll_wait callers, and watchers of this instance
};

Result<long> create(int flags) {
    if (flags & ~fs::kOpenCloexec) return Errno::INVAL;
    fs::RefPtr<AnonInode> inode(new (std::nothrow) Epoll);
    if (!inode) return Errno::NOMEM;
    return install_anon_file(inode, "[eventpoll]", fs::kOpenReadWrite, flags & fs::kOpenCloexec);
}

// Files that can be watched: those that can wait (pipes, terminals, the event files, ...).
// Regular files and directories cannot (EPERM), as on Linux where they have no poll method.
bool can_watch(fs::OpenFile& file) {
    if (file.is_path_only()) return false;
    fs::FileOps& ops = file.ops();
    return is_anon_inode(file.vnode()) || ops.is_stream() || ops.is_terminal() || ops.read_queue() ||
           ops.write_queue();
}

Result<long> wait(int epfd, UserPtr<EpollEvent> events, int max, int64_t timeout_ns) {
    if (max <= 0 || max > kMaxEvents) return Errno::INVAL;
    if (!user_range_ok(events.address(), static_cast<uint64_t>(max) * sizeof(EpollEvent)))
        return Errno::FAULT;
    fs::RefPtr<fs::OpenFile> file = TRY(file_for(epfd));
    Epoll* ep = anon_inode_of<Epoll>(*file);
    if (!ep) return Errno::INVAL;
    uint64_t deadline = timeout_ns > 0 ? deadline_after(static_cast<uint64_t>(timeout_ns)) : 0;
    for (;;) {
        int n = TRY(ep->collect(events, max));
        if (n > 0 || timeout_ns == 0) return n;
        const char* deadlock =
            ep->watches_external() ? nullptr : "epoll_wait with nothing that could become ready";
        auto woken = wait_for(ep->waiters(), deadline, deadlock);
        // Linux ep_poll(): EINTR, never restarted (not even without a handler).
        if (woken.is_error()) return is_interruption(woken.error().code) ? Errno::INTR : woken.error();
        if (!woken.value()) return 0;
    }
}

Result<int64_t> timeout_from_timespec(UserPtr<const Timespec> timeout) {
    if (timeout.is_null()) return -1;
    Timespec ts = TRY(timeout.read());
    return static_cast<int64_t>(TRY(timespec_to_ns(ts)));
}

Result<long> wait_with_mask(int epfd, UserPtr<EpollEvent> events, int max, int64_t timeout_ns,
                            UserPtr<const uint64_t> mask, uint64_t mask_size) {
    TemporarySignalMask temporary;
    TRY(temporary.set(mask, mask_size));
    auto r = wait(epfd, events, max, timeout_ns);
    temporary.finish(r.is_error() && is_interruption(r.error().code));
    return r;
}

} // namespace

Result<long> sys_epoll_create(int size) {
    if (size <= 0) return Errno::INVAL;
    return create(0);
}

Result<long> sys_epoll_create1(int flags) { return create(flags); }

Result<long> sys_epoll_ctl(int epfd, int op, int fd, UserPtr<const char> event_user) {
    EpollEvent event{};
    if (op != kCtlDel) TRY(copy_from_user(&event, event_user.address(), sizeof(event)));
    fs::RefPtr<fs::OpenFile> ep_file = TRY(file_for(epfd));
    fs::RefPtr<fs::OpenFile> target = TRY(file_for(fd));
    if (!can_watch(*target)) return Errno::PERM;
    Epoll* ep = anon_inode_of<Epoll>(*ep_file);
    if (!ep || ep_file.ptr() == target.ptr()) return Errno::INVAL;
    Epoll* inner = anon_inode_of<Epoll>(*target);
    if (op != kCtlDel && (event.events & kEpollExclusive)) {
        if (op == kCtlMod) return Errno::INVAL;
        if (op == kCtlAdd && (inner || (event.events & ~kExclusiveOk))) return Errno::INVAL;
    }
    EpollItem* item = ep->find(target.ptr(), fd);
    switch (op) {
    case kCtlAdd:
        if (item) return Errno::EXIST;
        // No loops, and no more than EP_MAX_NESTS instances below one another.
        if (inner && inner->depth_below(ep, kMaxNesting) > kMaxNesting) return Errno::LOOP;
        TRY(ep->add(*target, fd, event));
        return 0;
    case kCtlDel:
        if (!item) return Errno::NOENT;
        ep->forget(item);
        return 0;
    case kCtlMod:
        if (!item) return Errno::NOENT;
        if (item->events & kEpollExclusive) return Errno::INVAL;
        ep->modify(item, event);
        return 0;
    default: return Errno::INVAL;
    }
}

Result<long> sys_epoll_wait(int epfd, UserPtr<char> events, int max, int timeout_ms) {
    int64_t ns = timeout_ms < 0 ? -1 : static_cast<int64_t>(timeout_ms) * 1'000'000;
    return wait(epfd, UserPtr<EpollEvent>(events.address()), max, ns);
}

Result<long> sys_epoll_pwait(int epfd, UserPtr<char> events, int max, int timeout_ms,
                             UserPtr<const uint64_t> mask, uint64_t mask_size) {
    int64_t ns = timeout_ms < 0 ? -1 : static_cast<int64_t>(timeout_ms) * 1'000'000;
    return wait_with_mask(epfd, UserPtr<EpollEvent>(events.address()), max, ns, mask, mask_size);
}

Result<long> sys_epoll_pwait2(int epfd, UserPtr<char> events, int max,
                              UserPtr<const Timespec> timeout, UserPtr<const uint64_t> mask,
                              uint64_t mask_size) {
    int64_t ns = TRY(timeout_from_timespec(timeout));
    return wait_with_mask(epfd, UserPtr<EpollEvent>(events.address()), max, ns, mask, mask_size);
}

} // namespace wisp::linux
