// SPDX-License-Identifier: MIT
/*
 * include/raum/spinlock.h and the structures it guards (mm/palloc.c,
 * kernel/logring.c, kernel/log.c) under a randomized concurrent model:
 * pthreads stand for CPUs, each drives a seeded PRNG, and the checks run
 * after they join (cmocka's asserts are not for threads). Every check here
 * fails when spin_lock / spin_unlock are no-ops: pages handed out twice,
 * free counts off, torn ring records and interleaved serial lines.
 *
 * RAUM_TEST_SEED=n repeats a run with another seed. The panic-path tests
 * run under alarm(): a deadlock there ends the binary instead of hanging.
 */
#include "unit.h"

#include <pthread.h>
#include <unistd.h>

#include <raum/log.h>
#include <raum/logring.h>
#include <raum/palloc.h>
#include <raum/serial.h>
#include <raum/spinlock.h>

#define NTHREADS 4

static u64 seed = 0x5eed0f10c5ULL;

static void start_threads(pthread_t *t, void *(*fn)(void *), uintptr_t n)
{
	for (uintptr_t i = 0; i < n; i++)
		assert_int_equal(pthread_create(&t[i], NULL, fn, (void *)i), 0);
}

static void join_threads(pthread_t *t, uintptr_t n)
{
	for (uintptr_t i = 0; i < n; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
}

/* ---- the ticket lock itself ------------------------------------------------ */

static void test_spin_basic(void **state)
{
	(void)state;
	struct spinlock l = SPINLOCK_INIT;

	assert_false(spin_is_locked(&l));
	assert_true(spin_trylock(&l));
	assert_true(spin_is_locked(&l));
	assert_false(spin_trylock(&l)); /* held: refused, and no ticket taken */
	assert_int_equal(l.next, 1);
	spin_unlock(&l);
	assert_false(spin_is_locked(&l));
	spin_lock(&l);
	assert_int_equal(l.owner, 1);
	assert_int_equal(l.next, 2);
	spin_unlock(&l);

	/* the 16-bit tickets wrap */
	l.owner = l.next = 0xffff;
	spin_lock(&l);
	assert_true(spin_is_locked(&l));
	assert_false(spin_trylock(&l));
	spin_unlock(&l);
	assert_int_equal(l.word, 0);
	assert_true(spin_trylock(&l));
	spin_unlock(&l);
	assert_false(spin_is_locked(&l));
}

#define EXCL_ROUNDS 50000
static struct spinlock excl_lock;
static u64 excl_counter; /* plain: only the lock makes the increments add up */
static int excl_inside;
static u64 excl_overlaps;

static void *excl_thread(void *arg)
{
	u64 rng = seed + (uintptr_t)arg;

	for (int i = 0; i < EXCL_ROUNDS; i++) {
		bool try = unit_rand(&rng) % 4 == 0;
		if (try) {
			if (!spin_trylock(&excl_lock))
				continue;
		} else {
			spin_lock(&excl_lock);
		}
		if (__atomic_fetch_add(&excl_inside, 1, __ATOMIC_RELAXED) != 0)
			__atomic_fetch_add(&excl_overlaps, 1, __ATOMIC_RELAXED);
		excl_counter++;
		__atomic_fetch_sub(&excl_inside, 1, __ATOMIC_RELAXED);
		spin_unlock(&excl_lock);
	}
	return NULL;
}

/* Mutual exclusion: no two threads inside at once, no increment lost. */
static void test_spin_mutual_exclusion(void **state)
{
	(void)state;
	pthread_t t[NTHREADS];
	u64 expect;

	spin_init(&excl_lock);
	excl_counter = excl_overlaps = 0;
	start_threads(t, excl_thread, NTHREADS);
	join_threads(t, NTHREADS);
	assert_int_equal(excl_overlaps, 0);
	/* every taken lock (all spin_locks, the trylocks that won) counted once */
	expect = excl_lock.owner; /* tickets served, mod 2^16 */
	assert_int_equal(excl_counter & 0xffff, expect);
	assert_true(excl_counter > EXCL_ROUNDS); /* more than one thread got in */
	assert_false(spin_is_locked(&excl_lock));
}

/*
 * FIFO: with the lock held, threads 0..N-1 each take a ticket, one after the
 * other (the next starts once the previous one's ticket shows in 'next');
 * released, they get the lock in that order. A test-and-set lock hands it
 * out in whatever order the threads win the race.
 */
#define FIFO_THREADS 6
static struct spinlock fifo_lock;
static int fifo_order[FIFO_THREADS];
static int fifo_pos;

static void *fifo_thread(void *arg)
{
	spin_lock(&fifo_lock);
	fifo_order[fifo_pos++] = (int)(uintptr_t)arg;
	spin_unlock(&fifo_lock);
	return NULL;
}

static void test_spin_fifo(void **state)
{
	(void)state;
	pthread_t t[FIFO_THREADS];

	for (int round = 0; round < 20; round++) {
		spin_init(&fifo_lock);
		fifo_pos = 0;
		spin_lock(&fifo_lock);
		for (uintptr_t i = 0; i < FIFO_THREADS; i++) {
			assert_int_equal(pthread_create(&t[i], NULL, fifo_thread, (void *)i), 0);
			/* wait until it holds ticket i + 1 (ours is 0) */
			while (__atomic_load_n(&fifo_lock.next, __ATOMIC_ACQUIRE) != i + 2)
				usleep(50);
		}
		usleep(1000);
		assert_int_equal(fifo_pos, 0); /* nobody got in while we held it */
		spin_unlock(&fifo_lock);
		join_threads(t, FIFO_THREADS);
		for (int i = 0; i < FIFO_THREADS; i++)
			assert_int_equal(fifo_order[i], i);
	}
}

/* ---- the page allocator ------------------------------------------------------ */

#define POOL_PAGES 256
#define POOL_BASE 0x40000000ULL
#define PALLOC_OPS 20000
#define HOLD_MAX 32

static struct palloc pool;
static u64 pool_bitmap[POOL_PAGES / 64];
static int page_owner[POOL_PAGES]; /* the model: who holds each page, 0 = free */

struct holder {
	u64 phys[HOLD_MAX], n[HOLD_MAX];
	int count;
	u64 pages;     /* pages held at the end */
	u64 twice;     /* pages handed out that another thread held */
	u64 misaligned;
	u64 bad_free;  /* palloc_free refused a range this thread held */
	u64 not_used;  /* palloc_is_used said free for a page this thread held */
	u64 allocs, enomem;
};
static struct holder holders[NTHREADS];

static u64 page_index(u64 phys) { return (phys - POOL_BASE) / PAGE_SIZE; }

static void give_back(struct holder *h, int tid, int k)
{
	for (u64 p = 0; p < h->n[k]; p++) {
		u64 i = page_index(h->phys[k]) + p;
		/* the model first: once palloc has it back, another thread may take it */
		if (__atomic_exchange_n(&page_owner[i], 0, __ATOMIC_RELAXED) != tid + 1)
			h->twice++;
	}
	if (palloc_free(&pool, h->phys[k], h->n[k]) != 0)
		h->bad_free++;
	h->phys[k] = h->phys[h->count - 1];
	h->n[k] = h->n[h->count - 1];
	h->count--;
}

static void *palloc_thread(void *arg)
{
	int tid = (int)(uintptr_t)arg;
	struct holder *h = &holders[tid];
	u64 rng = seed * 31 + (u64)tid;
	static const u64 aligns[] = { 0, 1, 2, 4 };

	for (int op = 0; op < PALLOC_OPS; op++) {
		u64 r = unit_rand(&rng);
		if (h->count == HOLD_MAX || (h->count > 0 && r % 3 == 0)) {
			give_back(h, tid, (int)((r >> 8) % (u64)h->count));
			continue;
		}
		u64 n = 1 + (r >> 8) % 4, align = aligns[(r >> 16) % 4], phys;
		int rc = palloc_alloc(&pool, n, align, &phys);
		if (rc == -RAUM_ENOMEM) {
			h->enomem++;
			continue;
		}
		if (rc != 0) {
			h->bad_free++;
			continue;
		}
		h->allocs++;
		if (align > 1 && !IS_ALIGNED(phys, align * PAGE_SIZE))
			h->misaligned++;
		for (u64 p = 0; p < n; p++) {
			u64 i = page_index(phys) + p;
			if (__atomic_exchange_n(&page_owner[i], tid + 1, __ATOMIC_RELAXED) != 0)
				h->twice++;
			if (!palloc_is_used(&pool, phys + p * PAGE_SIZE))
				h->not_used++;
		}
		h->phys[h->count] = phys;
		h->n[h->count] = n;
		h->count++;
	}
	for (int k = 0; k < h->count; k++)
		h->pages += h->n[k];
	return NULL;
}

static void test_palloc_concurrent(void **state)
{
	(void)state;
	pthread_t t[NTHREADS];
	u64 held = 0, bits = 0, allocs = 0;

	memset(holders, 0, sizeof(holders));
	memset(page_owner, 0, sizeof(page_owner));
	assert_rc(palloc_init(&pool, POOL_BASE, POOL_PAGES, pool_bitmap, ARRAY_SIZE(pool_bitmap)), 0);
	start_threads(t, palloc_thread, NTHREADS);
	join_threads(t, NTHREADS);

	for (int i = 0; i < NTHREADS; i++) {
		struct holder *h = &holders[i];
		assert_int_equal(h->twice, 0);
		assert_int_equal(h->misaligned, 0);
		assert_int_equal(h->bad_free, 0);
		assert_int_equal(h->not_used, 0);
		held += h->pages;
		allocs += h->allocs;
	}
	assert_true(allocs > NTHREADS * PALLOC_OPS / 4); /* the run did work */
	/* the counts add up: free + held = the pool, and the bitmap agrees */
	for (u64 i = 0; i < POOL_PAGES; i++) {
		bool used = palloc_is_used(&pool, POOL_BASE + i * PAGE_SIZE);
		bits += used;
		assert_int_equal(used, page_owner[i] != 0);
	}
	assert_int_equal(pool.nfree + held, POOL_PAGES);
	assert_int_equal(bits, held);
	/* and everything comes back */
	for (int i = 0; i < NTHREADS; i++)
		while (holders[i].count)
			give_back(&holders[i], i, 0);
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(holders[i].bad_free + holders[i].twice, 0);
	assert_int_equal(pool.nfree, POOL_PAGES);
	for (u64 w = 0; w < ARRAY_SIZE(pool_bitmap); w++)
		assert_int_equal(pool_bitmap[w], 0);
}

/* ---- the log ring ------------------------------------------------------------ */

/*
 * Records of REC bytes: "w<writer> <serial> <body> <sum>\n", the body random
 * letters, sum a checksum of the rest. Every write is one whole record, so
 * head stays a multiple of REC and so does every position a reader can be
 * given: a record read back is either whole and intact or the ring is broken.
 */
#define REC 64 /* divides RING_SIZE: the tail stays on a record boundary too */
#define RING_SIZE 4096
#define RING_RECS 20000

static char ring_buf[RING_SIZE];
static struct logring ring;
static int writers_done;

struct ring_reader {
	u64 seen, lost_bytes, torn, reorder, misaligned;
};
static struct ring_reader reader_stats;

static u32 rec_sum(const char *rec)
{
	u32 s = 2166136261u;
	for (int i = 0; i < REC - 10; i++)
		s = (s ^ (u8)rec[i]) * 16777619u;
	return s;
}

static void make_rec(char *rec, int writer, u32 serial, u64 *rng)
{
	char sum[9];
	int n = snprintf(rec, REC, "w%d %06u ", writer, serial);

	for (int i = n; i < REC - 10; i++)
		rec[i] = (char)('a' + unit_rand(rng) % 26);
	rec[REC - 10] = ' ';
	snprintf(sum, sizeof(sum), "%08x", rec_sum(rec));
	memcpy(rec + REC - 9, sum, 8);
	rec[REC - 1] = '\n';
}

/* True when rec is intact; *writer and *serial from it. */
static bool check_rec(const char *rec, int *writer, u32 *serial)
{
	char tmp[REC + 1], sum[9];

	if (rec[REC - 1] != '\n' || rec[REC - 10] != ' ')
		return false;
	memcpy(tmp, rec, REC);
	tmp[REC] = '\0';
	if (sscanf(tmp, "w%d %u ", writer, serial) != 2 || *writer < 0 || *writer >= NTHREADS)
		return false;
	snprintf(sum, sizeof(sum), "%08x", rec_sum(rec));
	return memcmp(rec + REC - 9, sum, 8) == 0;
}

static void *ring_writer(void *arg)
{
	int w = (int)(uintptr_t)arg;
	u64 rng = seed * 17 + (u64)w;
	char rec[REC + 1];

	for (u32 i = 0; i < RING_RECS; i++) {
		make_rec(rec, w, i, &rng);
		logring_write(&ring, rec, REC);
		if (unit_rand(&rng) % 64 == 0)
			sched_yield();
	}
	__atomic_fetch_add(&writers_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *ring_reader(void *arg)
{
	(void)arg;
	static char out[REC * 40];
	u32 last[NTHREADS];
	u64 seq = 0, lost;
	bool first[NTHREADS];

	for (int i = 0; i < NTHREADS; i++)
		first[i] = true;
	for (;;) {
		bool done = __atomic_load_n(&writers_done, __ATOMIC_ACQUIRE) == NTHREADS;
		u64 before = seq;
		size_t n = logring_read(&ring, &seq, out, sizeof(out), &lost);

		reader_stats.lost_bytes += lost;
		if ((before + lost) % REC || n % REC)
			reader_stats.misaligned++;
		for (size_t off = 0; off + REC <= n; off += REC) {
			int w;
			u32 s;
			if (!check_rec(out + off, &w, &s)) {
				reader_stats.torn++;
				continue;
			}
			/* each writer's records come out in its order */
			if (!first[w] && s <= last[w])
				reader_stats.reorder++;
			first[w] = false;
			last[w] = s;
			reader_stats.seen++;
		}
		if (done && n == 0)
			break;
	}
	return NULL;
}

static void test_logring_concurrent(void **state)
{
	(void)state;
	pthread_t t[NTHREADS], rd;
	static char out[RING_SIZE];
	u64 seq = 0, lost, total = (u64)NTHREADS * RING_RECS;

	assert_true(logring_init(&ring, ring_buf, sizeof(ring_buf)));
	writers_done = 0;
	memset(&reader_stats, 0, sizeof(reader_stats));
	assert_int_equal(pthread_create(&rd, NULL, ring_reader, NULL), 0);
	start_threads(t, ring_writer, NTHREADS);
	join_threads(t, NTHREADS);
	assert_int_equal(pthread_join(rd, NULL), 0);

	/* head counts every byte, the reader saw or was told it lost every record */
	assert_int_equal(ring.head, total * REC);
	assert_int_equal(reader_stats.torn, 0);
	assert_int_equal(reader_stats.reorder, 0);
	assert_int_equal(reader_stats.misaligned, 0);
	assert_int_equal(reader_stats.lost_bytes % REC, 0);
	assert_int_equal(reader_stats.seen + reader_stats.lost_bytes / REC, total);
	assert_true(reader_stats.seen > 0);

	/* what the ring holds at the end: whole records, the last one of each writer among them */
	size_t n = logring_read(&ring, &seq, out, sizeof(out), &lost);
	assert_int_equal(n, RING_SIZE / REC * REC);
	assert_int_equal(seq, total * REC);
	for (size_t off = 0; off < n; off += REC) {
		int w;
		u32 s;
		assert_true(check_rec(out + off, &w, &s));
	}
}

/* ---- the log: lines whole on serial and in the ring; the panic path --------- */

/*
 * The serial stub appends without any locking of its own: only the log's
 * console lock keeps two lines from interleaving here. reenter, when set,
 * runs once from inside serial_write, as a fault inside the UART code would
 * run the panic path while this CPU holds the console lock.
 */
static char serial_out[1 << 20];
static size_t serial_len;
static void (*serial_reenter)(void);

bool serial_init(u16 port, u32 baud)
{
	(void)port;
	(void)baud;
	return true;
}

bool serial_present(void) { return true; }

void serial_write(const char *s, size_t n)
{
	size_t at = serial_len;

	if (serial_reenter) {
		void (*fn)(void) = serial_reenter;
		serial_reenter = NULL;
		fn();
		at = serial_len;
	}
	for (size_t i = 0; i < n && at + i < sizeof(serial_out); i++) {
		serial_out[at + i] = s[i];
		if (i % 16 == 0)
			sched_yield(); /* give a racing writer its chance */
	}
	serial_len = at + n < sizeof(serial_out) ? at + n : sizeof(serial_out);
}

static void log_reset(void)
{
	log_init(0x3f8, 115200, RAUM_LOG_INFO);
	serial_len = 0;
	serial_reenter = NULL;
}

#define LOG_LINES 250

static void *log_thread(void *arg)
{
	int tid = (int)(uintptr_t)arg;

	for (int i = 0; i < LOG_LINES; i++)
		pr_info("t%d line %04d %s", tid, i, "............................");
	return NULL;
}

/* Checks that text[0, n) is whole log lines from log_thread; counts them per thread. */
static void check_lines(const char *text, size_t n, int *count)
{
	const char *p = text, *end = text + n;
	int next[NTHREADS] = { 0 };

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		int tid, line;
		char dots[64];

		assert_non_null(nl);
		assert_int_equal(sscanf(p, "[cpu0] I t%d line %d %63s", &tid, &line, dots), 3);
		assert_true(tid >= 0 && tid < NTHREADS);
		assert_int_equal(line, next[tid]); /* in order, none missing, none doubled */
		next[tid]++;
		assert_int_equal(nl - p, (long)strlen("[cpu0] I t0 line 0000 ............................"));
		p = nl + 1;
	}
	for (int i = 0; i < NTHREADS; i++)
		count[i] = next[i];
}

static void test_log_lines_concurrent(void **state)
{
	(void)state;
	pthread_t t[NTHREADS];
	static char ringtext[64 * 1024];
	int count[NTHREADS];
	u64 seq = 0, lost;

	log_reset();
	start_threads(t, log_thread, NTHREADS);
	join_threads(t, NTHREADS);

	check_lines(serial_out, serial_len, count);
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(count[i], LOG_LINES);
	size_t n = logring_read(log_ring(), &seq, ringtext, sizeof(ringtext), &lost);
	assert_int_equal(lost, 0);
	assert_int_equal(n, serial_len); /* the same lines: the ring holds them all */
	check_lines(ringtext, n, count);
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(count[i], LOG_LINES);
}

static bool serial_has(const char *s)
{
	serial_out[serial_len < sizeof(serial_out) ? serial_len : sizeof(serial_out) - 1] = '\0';
	return strstr(serial_out, s) != NULL;
}

/* A panic while the ring lock is held (by a dead CPU, or this one faulting inside a write). */
static void test_emergency_ring_lock_held(void **state)
{
	(void)state;
	struct logring *r = log_ring();

	log_reset();
	pr_info("before");
	u64 head = r->head;
	spin_lock(&r->lock);
	log_emergency("RAUM PANIC on cpu0: test\n");
	assert_true(serial_has("RAUM PANIC on cpu0: test\n")); /* serial got it */
	assert_int_equal(r->head, head);                       /* the ring was skipped */
	spin_unlock(&r->lock);
	log_emergency("RAUM PANIC: cpu0 halted\n");
	assert_int_equal(r->head, head + strlen("RAUM PANIC: cpu0 halted\n"));
	assert_false(spin_is_locked(&r->lock));
}

static void panic_inside_serial(void) { log_emergency("RAUM PANIC from inside serial_write\n"); }

/* A fault in the UART code, which runs with the console lock held, panics. */
static void test_emergency_console_lock_held(void **state)
{
	(void)state;
	u64 seq = 0, lost;
	char text[512];

	log_reset();
	serial_reenter = panic_inside_serial;
	pr_info("the line being written");
	assert_null(serial_reenter);
	assert_true(serial_has("RAUM PANIC from inside serial_write\n"));
	assert_true(serial_has("[cpu0] I the line being written\n"));
	size_t n = logring_read(log_ring(), &seq, text, sizeof(text) - 1, &lost);
	text[n] = '\0';
	/* the line went to the ring before the console, the panic after it */
	assert_string_equal(text, "[cpu0] I the line being written\nRAUM PANIC from inside serial_write\n");
	/* the console lock is free again: the next line does not wait */
	pr_info("after");
	assert_true(serial_has("[cpu0] I after\n"));
}

static void nmi_inside_serial(void) { log_nmi_printf(RAUM_LOG_WARN, "NMI while in the hypervisor"); }

/* An NMI while this CPU holds a log lock: the NMI's line is dropped where the lock is busy. */
static void test_nmi_takes_no_lock(void **state)
{
	(void)state;
	struct logring *r = log_ring();
	u64 seq = 0, lost;
	char text[512];

	log_reset();
	spin_lock(&r->lock);
	log_nmi_printf(RAUM_LOG_WARN, "NMI one");
	spin_unlock(&r->lock);
	assert_true(serial_has("[cpu0] W NMI one\n"));
	assert_int_equal(r->head, 0);

	serial_reenter = nmi_inside_serial;
	pr_info("interrupted");
	assert_false(serial_has("NMI while in the hypervisor"));
	size_t n = logring_read(r, &seq, text, sizeof(text) - 1, &lost);
	text[n] = '\0';
	assert_string_equal(text, "[cpu0] I interrupted\n[cpu0] W NMI while in the hypervisor\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spin_basic),
		cmocka_unit_test(test_spin_mutual_exclusion),
		cmocka_unit_test(test_spin_fifo),
		cmocka_unit_test(test_palloc_concurrent),
		cmocka_unit_test(test_logring_concurrent),
		cmocka_unit_test(test_log_lines_concurrent),
		cmocka_unit_test(test_emergency_ring_lock_held),
		cmocka_unit_test(test_emergency_console_lock_held),
		cmocka_unit_test(test_nmi_takes_no_lock),
	};
	const char *s = getenv("RAUM_TEST_SEED");

	if (s)
		seed = strtoull(s, NULL, 0);
	printf("test_locks: seed %#llx\n", (unsigned long long)seed);
	alarm(60);  /* a deadlock fails the run instead of hanging it */
	return cmocka_run_group_tests_name("locks", tests, NULL, NULL) ? 1 : 0;
}
