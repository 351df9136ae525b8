// std::cin, std::cout, std::cerr and std::clog, declared without <iostream>. With libstdc++
// every file that includes <iostream> holds a static ios_base::Init, which builds the eight
// standard streams and the classic locale before main: 0.6 ms of CPU and 8 page faults of
// every supctl run here, which the plain path (ctl/plain_run.hpp) never uses. supctl's files
// include this instead (before CLI11, which includes <iostream>), and the code that uses the
// streams keeps a StandardStreams alive (docs/design-decisions.md, "supctl's plain path").
#pragma once
#include <istream>
#include <ostream>

#if defined(__GLIBCXX__) && !defined(_GLIBCXX_IOSTREAM)
#define _GLIBCXX_IOSTREAM 1  // <iostream>'s own guard: a later #include <iostream> adds nothing
namespace std _GLIBCXX_VISIBILITY(default) {
_GLIBCXX_BEGIN_NAMESPACE_VERSION
// What <iostream> declares, without its `static ios_base::Init __ioinit;`.
extern istream cin;
extern ostream cout;
extern ostream cerr;
extern ostream clog;
#ifdef _GLIBCXX_USE_WCHAR_T
extern wistream wcin;
extern wostream wcout;
extern wostream wcerr;
extern wostream wclog;
#endif
_GLIBCXX_END_NAMESPACE_VERSION
}  // namespace std
#else
#include <iostream>
#endif

namespace supd::ctl {

// While one lives the standard streams are built and usable, and the last one to go flushes
// them: ios_base::Init's own contract, which <iostream> would have kept from before main.
using StandardStreams = std::ios_base::Init;

}  // namespace supd::ctl
