// SPDX-License-Identifier: MIT
#pragma once

// A memo of host files' SHA-256 digests for the image cache key, so that a cache hit for a
// program with a large closure (Python's standard library: ~1900 files, ~50 MiB) costs a stat
// per file instead of reading and hashing every byte again.
//
// A digest is reused only while the file's identity and change times are what they were when
// it was computed: device, inode, size, mtime and ctime (nanoseconds). ctime cannot be set from
// user space and changes with every write, so a changed file is always noticed — except within
// one timestamp tick of its last change (file systems stamp times with a coarse clock), which is
// why a digest is remembered only for files unchanged for at least kSettleSeconds: git's index
// handles "racily clean" files the same way. Staging an image hard-links the host files, which
// changes their ctime: the first cache hit after a build hashes them once more.
#include <sys/stat.h>

#include <functional>
#include <map>
#include <string>

#include "sha256.h"

namespace wisp::cli {

class FileDigests {
  public:
    static constexpr int64_t kSettleSeconds = 2;
    // Past this many remembered files the memo starts over (a bound, not an eviction policy).
    static constexpr size_t kMaxEntries = 200000;

    // Loads the memo from `path`; a missing or malformed file gives an empty memo. Tests pass
    // a shorter settle time.
    explicit FileDigests(std::string path, int64_t settle_seconds = kSettleSeconds);

    // The digest of the file `path`, whose lstat is `st`: remembered, or computed by `compute`
    // (which must hash the file's bytes) and remembered when the file is settled and did not
    // change while it was read.
    Sha256::Digest digest(const std::string& path, const struct stat& st,
                          const std::function<Sha256::Digest()>& compute);

    // Writes the memo back (to a temporary file renamed into place) if it learned anything.
    // Failures are ignored: the memo only saves time.
    void save();

  private:
    struct Stamp {
        uint64_t dev, ino, size;
        int64_t mtime_ns, ctime_ns;
        bool operator==(const Stamp&) const = default;
    };
    struct Remembered {
        Stamp stamp;
        Sha256::Digest digest;
    };
    static Stamp stamp_of(const struct stat& st);

    std::string m_path;
    int64_t m_settle_seconds;
    std::map<std::string, Remembered> m_entries;
    bool m_changed = false;
};

} // namespace wisp::cli
