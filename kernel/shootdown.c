// SPDX-License-Identifier: MIT
/* TLB shootdown after a SLAT change: the protocol is in include/raum/shootdown.h. */
#include <raum/errno.h>
#include <raum/shootdown.h>

static bool vp_stale(const struct vp *v, u64 gen)
{
	return __atomic_load_n(&v->in_guest, __ATOMIC_SEQ_CST) &&
	       __atomic_load_n(&v->slat_generation, __ATOMIC_ACQUIRE) < gen;
}

int slat_shootdown(struct partition *p, const struct vp *self, void (*kick)(u32 cpu), u64 spins)
{
	u64 gen = __atomic_add_fetch(&p->slat_generation, 1, __ATOMIC_SEQ_CST);
	u64 waiting[(PARTITION_MAX_VPS + 63) / 64] = { 0 };
	int rc = 0;

	for (u32 i = 0; i < PARTITION_MAX_VPS; i++) {
		struct vp *v = __atomic_load_n(&p->vps[i], __ATOMIC_ACQUIRE);
		if (!v || v == self || !vp_stale(v, gen))
			continue;
		waiting[i / 64] |= 1ULL << (i % 64);
		kick(__atomic_load_n(&v->life.cpu, __ATOMIC_RELAXED));
	}
	for (u32 i = 0; i < PARTITION_MAX_VPS; i++) {
		if (!(waiting[i / 64] & (1ULL << (i % 64))))
			continue;
		const struct vp *v = __atomic_load_n(&p->vps[i], __ATOMIC_ACQUIRE);
		if (!v)
			continue; /* deleted meanwhile (a child's DeleteVp): it is in no guest */
		/* once seen out of the guest or flushed it is done: a new entry reads the new generation
		 * (looking again could catch it between in_guest = 1 and its read, and wait for nothing) */
		u64 n = 0;
		while (vp_stale(v, gen)) {
			if (n++ >= spins) {
				rc = -RAUM_EBUSY;
				break;
			}
			__builtin_ia32_pause();
		}
	}
	return rc;
}
