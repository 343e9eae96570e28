// SPDX-License-Identifier: MIT
#pragma once

// The image builder: packs a program, the shared libraries and runtime files it needs (deps.h)
// and the user's files into an EROFS image (DESIGN.md §4).
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace wisp::cli {

struct ImageSpec {
    std::string program;                 // host path of the executable (made absolute)
    std::vector<std::string> argv;       // default argv stored in /.wisp/cmdline (argv[0] first)
    std::vector<std::string> env;        // KEY=VAL stored in /.wisp/cmdline as kernel options
    std::vector<std::pair<std::string, std::string>> files; // extra HOST -> GUEST paths
    // Called with each one-line remark about what was left out of the image and why (a large
    // site-packages directory, say) when an image is built; not on a cache hit.
    std::function<void(const std::string&)> on_note;
};

// Builds (or finds in the cache) the image for spec and returns its path. The cache key is the
// content of everything that goes in, so a second run with the same inputs does not rebuild.
// Throws vmm::UserError with a one-line message on user errors (missing program, a shared
// library that cannot be found, mkfs failure).
std::string build_image(const ImageSpec& spec);

// Builds the image at exactly `output` (for `wisp build -o`).
void build_image_to(const ImageSpec& spec, const std::string& output);

} // namespace wisp::cli
