// Every helper of this shim is static inline in include/ce2_openssl.h; this file only gives
// SwiftPM a source to compile the target from.
#include "ce2_openssl.h"
