/* SPDX-License-Identifier: MIT */
/*
 * Ticket spinlock: FIFO, so no CPU starves while others keep taking the lock
 * (Linux's x86 ticket lock before queued locks). The lock word is one u32:
 *
 *   31            16 15             0
 *  +----------------+----------------+
 *  |      next      |     owner      |
 *  +----------------+----------------+
 *
 * A CPU takes a ticket with one LOCK XADD on 'next' and spins, with PAUSE,
 * until 'owner' equals it; unlock is a plain release store of owner + 1
 * (only the holder writes 'owner'; x86 stores are not reordered with older
 * loads and stores, SDM vol. 3A "Memory Ordering in P6 and More Recent
 * Processor Families", so the release costs no fence). 65,536
 * waiters would wrap the ticket: far above RAUM_MAX_CPUS.
 *
 * Context rules (docs/locking.md has the lock order):
 * - Raum runs with interrupts off (RFLAGS.IF = 0 in Raum's own code: a VM
 *   exit loads RFLAGS = 0x2 on VT-x, SDM vol. 3C "Loading Host RIP, RSP and
 *   RFLAGS"; GIF is 0 after #VMEXIT on AMD-V, APM vol. 2 15.17; and the entry
 *   path runs cli), so no interrupt handler can take a lock its CPU already
 *   holds: there are no irqsave variants. NMI, #MC and exception handlers
 *   run anyway: they take no lock (the panic path uses spin_trylock).
 * - Raum has no preemption: a CPU holds a lock until it releases it. A lock
 *   must never be held across a VM entry (the guest would run, perhaps for
 *   ever, with every other CPU spinning on it).
 * - Locks do not nest unless docs/locking.md orders them, and none is
 *   recursive: taking a lock this CPU holds spins for ever.
 *
 * The same header builds into the host unit tests (tests/unit/test_locks.c
 * runs it under pthreads): only GCC / Clang __atomic builtins and PAUSE.
 */
#ifndef RAUM_SPINLOCK_H
#define RAUM_SPINLOCK_H

#include <raum/types.h>

struct spinlock {
	union {
		u32 word;
		struct {
			u16 owner; /* ticket now served */
			u16 next;  /* next ticket to hand out */
		};
	};
};
_Static_assert(sizeof(struct spinlock) == 4, "ticket lock is one u32");

#define SPINLOCK_INIT ((struct spinlock){ .word = 0 })

#define SPIN_OWNER(w) ((u16)(w))
#define SPIN_NEXT(w) ((u16)((w) >> 16))

static inline void spin_init(struct spinlock *l) { __atomic_store_n(&l->word, 0, __ATOMIC_RELAXED); }

#if __STDC_HOSTED__
/*
 * Host unit tests only (Raum is built -ffreestanding): test threads may
 * outnumber the cores, and a ticket lock whose next holder is descheduled
 * stalls every waiter until the scheduler runs it: waiters yield instead.
 */
#include <sched.h>
static inline void spin_pause(void) { sched_yield(); }
#else
static inline void spin_pause(void) { __asm__ volatile("pause" ::: "memory"); }
#endif

static inline void spin_lock(struct spinlock *l)
{
	u16 ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_ACQUIRE);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket)
		spin_pause();
}

/* Takes the lock only if it is free now; true when taken. Never waits. */
static inline bool spin_trylock(struct spinlock *l)
{
	u32 old = __atomic_load_n(&l->word, __ATOMIC_RELAXED);

	if (SPIN_OWNER(old) != SPIN_NEXT(old))
		return false;
	/* the same word with next + 1: the ticket equal to owner is ours */
	return __atomic_compare_exchange_n(&l->word, &old, old + (1u << 16), false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static inline void spin_unlock(struct spinlock *l)
{
	/* only the holder writes owner: reading it needs no atomic RMW */
	u16 owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);

	__atomic_store_n(&l->owner, (u16)(owner + 1), __ATOMIC_RELEASE);
}

/* True while some CPU holds the lock (a snapshot: for assertions and the panic path). */
static inline bool spin_is_locked(const struct spinlock *l)
{
	u32 w = __atomic_load_n(&l->word, __ATOMIC_RELAXED);

	return SPIN_OWNER(w) != SPIN_NEXT(w);
}

#endif
