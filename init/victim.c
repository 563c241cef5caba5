/* See victim.h. */
#define _GNU_SOURCE
#include "victim.h"
