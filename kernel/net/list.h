// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>

#include "lib/list.h"
#include "lib/verify.h"

namespace wisp::net {

using wisp::IntrusiveList;
using wisp::ListLink;

// A fixed array of buckets, each an intrusive list; the caller picks the bucket (by a keyed
// hash) and compares keys. The bucket array comes from the caller, so the table never grows.
template<typename T, ListLink<T> T::*Link>
class HashBuckets {
public:
    using Bucket = IntrusiveList<T, Link>;
    void init(Bucket* buckets, size_t count) {
        VERIFY(count > 0 && (count & (count - 1)) == 0);
        m_buckets = buckets;
        m_mask = count - 1;
    }
    Bucket& bucket(size_t hash) { return m_buckets[hash & m_mask]; }
    size_t bucket_count() const { return m_mask + 1; }
    Bucket& bucket_at(size_t index) { return m_buckets[index]; }

private:
    Bucket* m_buckets = nullptr;
    size_t m_mask = 0;
};

} // namespace wisp::net
