#include "daemon/process/http_probe.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>
#include <type_traits>

#include <curl/curl.h>

#include "common/sys_error.hpp"

namespace supd::daemon {
namespace {

constexpr std::size_t kBodyCap = 64 * 1024;  // a health page is small; a larger one is cut, its status stands

// The libcurl calls the probe makes, resolved from the library loaded at run time.
struct Curl {
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
};

struct Loaded {
  std::optional<Curl> curl;
  std::string error;  // why it could not be loaded
};

Loaded load_curl() {
  // libcurl4's soname (the OpenSSL build); kept loaded for the process's life.
  void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    return {std::nullopt,
            std::string("cannot load libcurl.so.4 (install libcurl4): ") + (why != nullptr ? why : "unknown error")};
  }
  Curl c;
  bool all = true;
  const auto resolve = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
    all = all && fn != nullptr;
  };
  resolve(c.global_init, "curl_global_init");
  resolve(c.easy_init, "curl_easy_init");
  resolve(c.easy_setopt, "curl_easy_setopt");
  resolve(c.easy_perform, "curl_easy_perform");
  resolve(c.easy_getinfo, "curl_easy_getinfo");
  resolve(c.easy_cleanup, "curl_easy_cleanup");
  resolve(c.easy_strerror, "curl_easy_strerror");
  if (!all) return {std::nullopt, "libcurl.so.4 lacks a curl_easy_* function"};
  if (const CURLcode rc = c.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK)
    return {std::nullopt, std::string("curl_global_init failed: ") + c.easy_strerror(rc)};
  return {c, {}};
}

// Loaded once per process: the probe process makes one check, the tests several.
const Loaded& curl_library() {
  static const Loaded loaded = load_curl();
  return loaded;
}

struct Body {
  std::size_t seen = 0;
  bool cut = false;  // the transfer was stopped at kBodyCap on purpose
};

// Counts the body and drops it; past kBodyCap it stops the transfer (curl reports a write error).
std::size_t discard(char*, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<Body*>(user);
  body->seen += size * count;
  if (body->seen > kBodyCap) {
    body->cut = true;
    return 0;
  }
  return size * count;
}

bool http_or_https(std::string_view url) {
  const auto starts = [&](std::string_view scheme) {
    return url.size() >= scheme.size() &&
           std::equal(scheme.begin(), scheme.end(), url.begin(),
                      [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
  };
  return starts("http://") || starts("https://");
}

// A message as one line that reads as part of a sentence: "Could not ..." -> "could not ...",
// but "URL using bad/illegal format" keeps its acronym.
std::string one_line(std::string text) {
  text.erase(std::find(text.begin(), text.end(), '\n'), text.end());
  if (text.size() > 1 && std::islower(static_cast<unsigned char>(text[1])))
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

class EasyHandle {
public:
  explicit EasyHandle(const Curl& curl) : curl_(curl), handle_(curl.easy_init()) {}
  ~EasyHandle() {
    if (handle_ != nullptr) curl_.easy_cleanup(handle_);
  }
  EasyHandle(const EasyHandle&) = delete;
  EasyHandle& operator=(const EasyHandle&) = delete;
  CURL* get() const { return handle_; }

private:
  const Curl& curl_;
  CURL* handle_;
};

}  // namespace

int http_probe(const std::string& url, std::chrono::milliseconds timeout, std::ostream& out) {
  if (!http_or_https(url)) {
    out << "not an http or https URL: '" << url << "'\n";
    return 2;
  }
  const Loaded& loaded = curl_library();
  if (!loaded.curl) {
    out << loaded.error << '\n';
    return 2;
  }
  const Curl& curl = *loaded.curl;
  EasyHandle easy(curl);
  if (easy.get() == nullptr) {
    out << "curl_easy_init failed\n";
    return 2;
  }
  char error[CURL_ERROR_SIZE] = {};
  Body body;
  const long timeout_ms = std::max<long>(1, static_cast<long>(timeout.count()));  // 0 would mean no timeout
  CURLcode rc = CURLE_OK;
  const auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl.easy_setopt(easy.get(), option, value);
  };
  set(CURLOPT_ERRORBUFFER, static_cast<char*>(error));
  set(CURLOPT_URL, url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_PROXY, "");  // the job's own service, not through a proxy http_proxy may name
  set(CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for DNS timeouts
  set(CURLOPT_TIMEOUT_MS, timeout_ms);
  set(CURLOPT_USERAGENT, "supd-health");
  set(CURLOPT_WRITEFUNCTION, &discard);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&body));
  if (rc != CURLE_OK) {
    out << "cannot set up curl: " << one_line(curl.easy_strerror(rc)) << '\n';
    return 2;
  }

  rc = curl.easy_perform(easy.get());
  if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && body.cut)) {
    long status = 0;
    curl.easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
    out << "HTTP " << status << '\n';
    return status >= 200 && status < 400 ? 0 : 1;
  }
  const std::string curl_words = one_line(error[0] != '\0' ? error : curl.easy_strerror(rc));
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      out << "timed out after " << timeout_ms << " ms\n";
      return 1;
    case CURLE_COULDNT_CONNECT: {  // the system's words: "connection refused", "no route to host"
      long os_errno = 0;
      curl.easy_getinfo(easy.get(), CURLINFO_OS_ERRNO, &os_errno);
      out << (os_errno != 0 ? one_line(common::errno_message(static_cast<int>(os_errno))) : curl_words) << '\n';
      return 1;
    }
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      out << curl_words << '\n';
      return 2;
    default:
      out << curl_words << '\n';
      return 1;
  }
}

}  // namespace supd::daemon
