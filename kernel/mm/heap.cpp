// SPDX-License-Identifier: MIT
#include "mm/heap.h"

#include <stdint.h>
#include <string.h>

#include "mm/frames.h"
#include "platform/platform.h"

namespace wisp::mm {
namespace {

constexpr uint32_t kSmallMagic = 0x5e11ab5e;
constexpr uint32_t kLargeMagic = 0x1a7e1a7e;
constexpr size_t kHeaderSize = 16;
constexpr int kClasses = 8; // 16 << 0 .. 16 << 7 = 2048

struct PageHeader {
    uint32_t magic;
    uint32_t size_class; // small: class index; large: number of pages
    uint64_t reserved;
};
static_assert(sizeof(PageHeader) == kHeaderSize);

struct FreeObject {
    FreeObject* next;
};

FreeObject* g_free_lists[kClasses];
// Per class, the unused tail of the page being carved: objects are cut from it one at a time
// (threading a whole page onto the free list up front cost ~1000 instructions per page).
uint8_t* g_carve_next[kClasses];
uint8_t* g_carve_end[kClasses];

int class_for(size_t size) {
    int c = 0;
    while ((16ul << c) < size) c++;
    return c;
}

bool refill(int c) {
    uint64_t frame = frames().allocate();
    if (frame == 0) return false;
    auto* page = static_cast<uint8_t*>(platform::phys_to_virt(frame));
    *reinterpret_cast<PageHeader*>(page) = {kSmallMagic, static_cast<uint32_t>(c), 0};
    g_carve_next[c] = page + kHeaderSize;
    g_carve_end[c] = page + kPageSize;
    return true;
}

} // namespace

void* kmalloc(size_t size) {
    if (size == 0) size = 1;
    if (size <= (16ul << (kClasses - 1))) {
        int c = class_for(size);
        if (FreeObject* o = g_free_lists[c]) {
            g_free_lists[c] = o->next;
            return o;
        }
        size_t object = 16ul << c;
        if (g_carve_next[c] == nullptr || g_carve_next[c] + object > g_carve_end[c]) {
            if (!refill(c)) return nullptr;
        }
        void* o = g_carve_next[c];
        g_carve_next[c] += object;
        return o;
    }
    size_t pages = (size + kHeaderSize + kPageSize - 1) / kPageSize;
    uint64_t frame = frames().allocate_contiguous(pages);
    if (frame == 0) return nullptr;
    auto* header = static_cast<PageHeader*>(platform::phys_to_virt(frame));
    *header = {kLargeMagic, static_cast<uint32_t>(pages), 0};
    return reinterpret_cast<uint8_t*>(header) + kHeaderSize;
}

void* kcalloc(size_t count, size_t size) {
    if (size != 0 && count > SIZE_MAX / size) return nullptr;
    void* p = kmalloc(count * size);
    if (p != nullptr) memset(p, 0, count * size);
    return p;
}

void kfree(void* pointer) {
    if (pointer == nullptr) return;
    auto address = reinterpret_cast<uintptr_t>(pointer);
    auto* header = reinterpret_cast<PageHeader*>(address & ~(kPageSize - 1));
    if (header->magic == kSmallMagic) {
        VERIFY(header->size_class < kClasses);
        auto* o = static_cast<FreeObject*>(pointer);
        o->next = g_free_lists[header->size_class];
        g_free_lists[header->size_class] = o;
        return;
    }
    VERIFY(header->magic == kLargeMagic && address == reinterpret_cast<uintptr_t>(header) + kHeaderSize);
    uint64_t frame = platform::virt_to_phys(header);
    for (uint32_t i = 0; i < header->size_class; i++) frames().free(frame + i * kPageSize);
}

} // namespace wisp::mm

// C++ allocation goes to the kernel heap. Plain `new` must not be used where failure matters:
// construction that can fail is `static Result<Own<T>> create(...)` with nothrow new.
void* operator new(size_t size) { return wisp::mm::kmalloc(size); }
void* operator new[](size_t size) { return wisp::mm::kmalloc(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept { return wisp::mm::kmalloc(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return wisp::mm::kmalloc(size); }
void operator delete(void* p) noexcept { wisp::mm::kfree(p); }
void operator delete[](void* p) noexcept { wisp::mm::kfree(p); }
void operator delete(void* p, size_t) noexcept { wisp::mm::kfree(p); }
void operator delete[](void* p, size_t) noexcept { wisp::mm::kfree(p); }
