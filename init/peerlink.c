/* See peerlink.h.  SKELETON: filled in by the peerlink work. */
#define _GNU_SOURCE
#include "peerlink.h"

void peerlink_configure(const struct config *c, uint64_t now) { (void)c; (void)now; }
void peerlink_event(int idx, uint64_t now) { (void)idx; (void)now; }
void peerlink_tick(uint64_t now) { (void)now; }
uint64_t peerlink_next_deadline(void) { return 0; }
void peerlink_status_text(struct outbuf *o, uint64_t now) { (void)o; (void)now; }
void peerlink_status_json(struct outbuf *o, uint64_t now) { (void)o; (void)now; }
