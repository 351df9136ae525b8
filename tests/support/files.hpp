// Files in integration tests: a temp dir that removes itself, and small read/write helpers.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace supd::test {

namespace fs = std::filesystem;

// mkdtemp under /tmp with a short name (a socket path must fit sun_path's 108 bytes).
// Removed recursively on destruction unless SUPD_TEST_KEEP is set (for post-mortems).
class TempDir {
public:
  explicit TempDir(std::string_view prefix = "supd-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

std::string read_file(const fs::path& file);  // "" when missing or unreadable
void write_file(const fs::path& file, std::string_view text, fs::perms mode = fs::perms(0644));
bool file_contains(const fs::path& file, std::string_view needle);
// A log and its rotated files (<live>.<keep> ... <live>.1, then <live>) concatenated, oldest first,
// read once their numbering has settled: rotation renames the live file to a hidden pending
// name first and numbers it later (off the loop, on a worker, when log_keep > 16), so a read
// at once could miss a piece. Waits up to 30 s for that.
std::string read_rotated_logs(const fs::path& live, int keep);
// True when no rotated piece of `live` waits to be numbered (.<name>.pending.<seq>).
bool rotation_settled(const fs::path& live);

std::vector<std::string> split_lines(std::string_view text);  // without the '\n's
std::vector<std::string> split_words(std::string_view text);  // on runs of blanks
std::size_t count_occurrences(std::string_view text, std::string_view needle);
std::string replace_all(std::string text, std::string_view from, std::string_view to);
std::string trim(std::string_view text);
bool contains(std::string_view text, std::string_view needle);

}  // namespace supd::test
