// SPDX-License-Identifier: MIT
/*
 * The hostile-root suite: INVD. Run by the root it would throw away dirty
 * cache lines of Raum's memory too; Raum must do it as WBINVD (counted in
 * health.invd) and the root goes on without an exception. Both vendors.
 */
#include "hostile.h"

static void do_invd(void *a __attribute__((unused))) { __asm__ volatile(".byte 0x0f, 0x08" ::: "memory"); }

void hostile_invd(void)
{
	struct snap b, a;
	UINT64 f = irq_save();

	snap(&b);
	long v = guarded(do_invd, NULL);
	snap(&a);
	irq_restore(f);
	judge("invd.done_as_wbinvd", v == NO_TRAP && b.ok && a.h.invd - b.h.invd == 1, &a,
	      L"INVD: %a (expected none); health.invd %ld -> %ld (expected +1)", vec_name(v), b.h.invd, a.h.invd);
}
