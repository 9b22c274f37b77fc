// SPDX-License-Identifier: MIT
/* The intercept suite (intercepts.c): AMD: every SVM instruction raises #UD. */
#include "intercepts.h"

static UINT64 svm_page;
static volatile UINT64 svm_after; /* set when execution went past the instruction */

static void do_vmrun(void *a __attribute__((unused)))
{
	__asm__ volatile("vmrun %%rax" ::"a"(svm_page) : "memory");
	svm_after = 1;
}
static void do_vmload(void *a __attribute__((unused)))
{
	__asm__ volatile("vmload %%rax" ::"a"(svm_page) : "memory");
	svm_after = 1;
}
static void do_vmsave(void *a __attribute__((unused)))
{
	__asm__ volatile("vmsave %%rax" ::"a"(svm_page) : "memory");
	svm_after = 1;
}
static void do_stgi(void *a __attribute__((unused)))
{
	__asm__ volatile("stgi" ::: "memory");
	svm_after = 1;
}
static void do_clgi(void *a __attribute__((unused)))
{
	__asm__ volatile("clgi" ::: "memory");
	svm_after = 1;
}
static void do_skinit(void *a __attribute__((unused)))
{
	__asm__ volatile("skinit %%eax" ::"a"(svm_page) : "memory");
	svm_after = 1;
}
static void do_invlpga(void *a __attribute__((unused)))
{
	__asm__ volatile("invlpga %%rax, %%ecx" ::"a"(svm_page), "c"(1) : "memory");
	svm_after = 1;
}

void check_svm_insns(void)
{
	static const struct {
		const char *name;
		void (*fn)(void *);
	} insns[] = {
		{ "svm.vmrun_ud", do_vmrun },	{ "svm.vmload_ud", do_vmload }, { "svm.vmsave_ud", do_vmsave },
		{ "svm.stgi_ud", do_stgi },	{ "svm.clgi_ud", do_clgi },	{ "svm.skinit_ud", do_skinit },
		{ "svm.invlpga_ud", do_invlpga },
	};

	svm_page = alloc_pages(1);
	for (unsigned i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		svm_after = 0;
		long v = guarded(insns[i].fn, NULL);
		if (v == 6 && !svm_after)
			pass(insns[i].name);
		else
			fail(insns[i].name, L"%a at rip %lx (went on: %d), expected #UD", vec_name(v),
			     v == NO_TRAP ? 0 : trap_rip, (int)svm_after);
	}
}
