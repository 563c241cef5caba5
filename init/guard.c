/* See guard.h. */
#define _GNU_SOURCE
#include "guard.h"
