// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "sha256.h"

namespace {

using wisp::cli::Sha256;

using Engine = Sha256::Engine;

class Sha256Engines : public ::testing::TestWithParam<Engine> {
  protected:
    std::string hex_of(std::string_view text) { return Sha256::hex(Sha256::of(text, GetParam())); }
};

// FIPS 180-4 / NIST CSRC example vectors, with both engines (the hardware one where the CPU has
// the SHA extensions).
TEST_P(Sha256Engines, KnownVectors) {
    EXPECT_EQ(hex_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(hex_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(
        hex_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
               "klmnopqrlmnopqrsmnopqrstnopqrstu"),
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    EXPECT_EQ(hex_of(std::string(1000000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Feeding the same bytes in pieces of every size gives the same digest (buffering is right at
// and around the 64-byte block and the 56-byte padding boundary).
TEST_P(Sha256Engines, PiecewiseUpdatesMatchOneShot) {
    std::string data;
    for (int i = 0; i < 300; i++)
        data += char(i * 7 + 3);
    for (size_t length : {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 300}) {
        std::string_view input(data.data(), length);
        auto whole = Sha256::of(input, Engine::Portable);
        for (size_t piece = 1; piece <= 70; piece++) {
            Sha256 sha(GetParam());
            for (size_t at = 0; at < input.size(); at += piece)
                sha.update(input.substr(at, piece));
            ASSERT_EQ(sha.finish(), whole) << length << "/" << piece;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Engines, Sha256Engines, ::testing::Values(Engine::Portable, Engine::Best),
                         [](const auto& info) {
                             return std::string(info.param == Engine::Portable ? "Portable"
                                                                               : "Best");
                         });

TEST(Sha256, EnginesAgreeOnRandomData) {
    if (!Sha256::has_hardware_support()) GTEST_SKIP() << "no SHA extensions on this CPU";
    std::mt19937 rng(5);
    for (int round = 0; round < 200; round++) {
        std::string data(rng() % 5000, '\0');
        for (auto& c : data)
            c = char(rng());
        EXPECT_EQ(Sha256::of(data, Sha256::Engine::Portable), Sha256::of(data)) << data.size();
    }
}

} // namespace
