// SPDX-License-Identifier: MIT
// A main() for the fuzz targets when clang's libFuzzer is not available: runs every file
// named on the command line (or every file in named directories) through the target once.
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static void run_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
}

int main(int argc, char** argv) {
    size_t runs = 0;
    for (int i = 1; i < argc; i++) {
        std::string arg = argv[i];
        if (arg.rfind("-", 0) == 0) continue; // libFuzzer-style flags are ignored
        struct stat st;
        if (stat(arg.c_str(), &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            DIR* d = opendir(arg.c_str());
            while (dirent* e = d ? readdir(d) : nullptr) {
                if (e->d_name[0] == '.') continue;
                run_file(arg + "/" + e->d_name);
                runs++;
            }
            if (d) closedir(d);
        } else {
            run_file(arg);
            runs++;
        }
    }
    printf("standalone fuzz driver: %zu inputs ran without a crash\n", runs);
    return 0;
}
