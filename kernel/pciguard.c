// SPDX-License-Identifier: MIT
/* PCI configuration space the root may not touch: see include/raum/pciguard.h. */
#include <raum/errno.h>
#include <raum/pciguard.h>

int pciguard_hide(struct pciguard *g, u16 bdf)
{
	for (unsigned i = 0; i < g->nr_hidden; i++)
		if (g->hidden[i] == bdf)
			return 0;
	if (g->nr_hidden == PCIGUARD_MAX_HIDDEN)
		return -RAUM_ERANGE;
	g->hidden[g->nr_hidden++] = bdf;
	return 0;
}

enum pciguard_action pciguard_check(const struct pciguard *g, u16 bdf, u32 off, unsigned size, bool write)
{
	for (unsigned i = 0; i < g->nr_hidden; i++)
		if (g->hidden[i] == bdf)
			return PCIGUARD_ABSENT;
	/* any byte of the access at or above the first locked offset */
	if (write && g->lock_host_bridge && bdf == PCIGUARD_HOST_BRIDGE && off + size > PCIGUARD_HOST_FIRST_LOCKED)
		return PCIGUARD_DROP;
	return PCIGUARD_PASS;
}

enum pciguard_action pciguard_check_cf8(const struct pciguard *g, u32 cf8, u16 port, unsigned size, bool write)
{
	if (!(cf8 & BIT(31)) || port < 0xcfc || port > 0xcff)
		return PCIGUARD_PASS;
	u16 bdf = (u16)((cf8 >> 8) & 0xffff);
	u32 off = ((cf8 >> 16) & 0xf00) | (cf8 & 0xfc) | (port & 3u);
	return pciguard_check(g, bdf, off, size, write);
}
