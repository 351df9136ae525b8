// Replays the in-tree fuzz corpus (fuzz/corpus/<target>/) through a fuzz target's
// LLVMFuzzerTestOneInput in the ordinary build, so `ctest -L unit` runs every seed without
// clang or libFuzzer. A broken invariant aborts (FUZZ_CHECK), which fails the test.
//   fuzz_replay_<target> DIR...   (every regular file under each DIR, and each prefix of it)
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::size_t inputs = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& entry : fs::recursive_directory_iterator(argv[i])) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), {});
      // Every prefix too: a seed cut anywhere is what a chunked client or a torn file gives.
      for (std::size_t n = 0; n <= bytes.size(); n += 1 + bytes.size() / 64) {
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), n);
        ++inputs;
      }
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
  }
  std::printf("replayed %zu inputs\n", inputs);
  return inputs > 0 ? 0 : 1;
}
