/* /proc/meminfo and /proc/pressure/memory, parsed without allocating. */
#ifndef LIFELINE_MEMINFO_H
#define LIFELINE_MEMINFO_H
#include <stdint.h>

struct meminfo {
	uint64_t total_kb, avail_kb, swap_total_kb, swap_free_kb;
	uint64_t shmem_kb;      /* Shmem (tmpfs): reclaimed only to swap */
};

/* Parse the text of /proc/meminfo.  0 if MemTotal and MemAvailable were
 * found, else -1 (*m then holds what was found, the rest 0). */
int meminfo_parse(const char *buf, int len, struct meminfo *m);
/* Read /proc/meminfo (proc_root "/proc", or a snapshot directory). */
int meminfo_read(const char *proc_root, struct meminfo *m);

/* Averages in hundredths of a percent (avg10 "1.23" is 123). */
struct psi {
	uint32_t some_avg10, some_avg60, some_avg300;
	uint32_t full_avg10, full_avg60, full_avg300;
	uint64_t some_total_us, full_total_us;
};
/* Parse the text of /proc/pressure/memory; 0 if the "some" line was found
 * ("full" is optional: absent lines leave 0). */
int psi_parse(const char *buf, int len, struct psi *p);
int psi_read(const char *proc_root, struct psi *p);

#endif
