/* See procev.h. */
#define _GNU_SOURCE
#include "procev.h"
