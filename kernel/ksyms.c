// SPDX-License-Identifier: MIT
/*
 * Symbolization for backtraces. The table (ksym_count, ksym_addr[],
 * ksym_name_off[], ksym_names[]) is generated from the linked image by
 * tools/gen-ksyms.py and linked in a second pass (as Linux's kallsyms):
 * text symbols sorted by address.
 */
#include <raum/trap.h>

extern const u64 ksym_count;
extern const u64 ksym_addr[];
extern const u32 ksym_name_off[];
extern const char ksym_names[];
extern char __text_end[];

const char *ksym_lookup(u64 addr, u64 *offset)
{
	u64 lo = 0, hi = ksym_count;

	if (hi == 0 || addr < ksym_addr[0] || addr >= (u64)__text_end)
		return NULL;
	/* the last symbol whose address is <= addr */
	while (hi - lo > 1) {
		u64 mid = lo + (hi - lo) / 2;
		if (ksym_addr[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksym_addr[lo];
	return &ksym_names[ksym_name_off[lo]];
}
