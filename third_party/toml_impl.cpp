// toml++'s compiled part (what its src/toml.cpp is), for a supd linked without
// libtomlplusplus.so (docs/design-decisions.md, "supd's memory"). The consumers see the
// same TOML_HEADER_ONLY=0 as with Debian's shared library.
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
