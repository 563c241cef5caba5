/* See meminfo.h. */
#define _GNU_SOURCE
#include "meminfo.h"
