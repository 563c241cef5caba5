/* See cgroup.h. */
#define _GNU_SOURCE
#include "cgroup.h"
