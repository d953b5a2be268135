// CE2SQLite: the system SQLite 3 library (Debian's libsqlite3-dev), as a Swift module.
// A module map only: SQLite's C API is callable from Swift as it is.
#include <sqlite3.h>
