// SPDX-License-Identifier: MIT
/* kernel/logring.c: the hypervisor's log ring and its lapping readers. */
#include "unit.h"

#include <raum/logring.h>

/* Reads everything available from *seq into a NUL-terminated string. */
static size_t read_all(const struct logring *r, u64 *seq, char *out, size_t max, u64 *lost)
{
	size_t n = logring_read(r, seq, out, max - 1, lost);
	out[n] = '\0';
	return n;
}

static void test_init_rejects_bad_sizes(void **state)
{
	(void)state;
	static char buf[64];
	struct logring r;

	assert_false(logring_init(&r, buf, 0));
	assert_false(logring_init(&r, buf, 3));
	assert_false(logring_init(&r, buf, 48));
	assert_false(logring_init(&r, buf, 63));
	assert_false(logring_init(&r, NULL, 64));
	assert_true(logring_init(&r, buf, 1));
	assert_true(logring_init(&r, buf, 64));
	assert_int_equal(r.size, 64);
	assert_int_equal(r.head, 0);
	assert_int_equal(logring_tail(&r), 0);
}

static void test_write_read(void **state)
{
	(void)state;
	char buf[16], out[64];
	struct logring r;
	u64 seq = 0, lost = 99;

	assert_true(logring_init(&r, buf, sizeof(buf)));
	/* empty ring: nothing to read */
	assert_int_equal(read_all(&r, &seq, out, sizeof(out), &lost), 0);
	assert_int_equal(lost, 0);
	assert_int_equal(seq, 0);

	logring_write(&r, "hello ", 6);
	logring_write(&r, "world", 5);
	assert_int_equal(r.head, 11);
	assert_int_equal(read_all(&r, &seq, out, sizeof(out), &lost), 11);
	assert_string_equal(out, "hello world");
	assert_int_equal(seq, 11);
	assert_int_equal(lost, 0);
	/* up to date now */
	assert_int_equal(read_all(&r, &seq, out, sizeof(out), &lost), 0);
	assert_int_equal(seq, 11);

	/* 'max' bounds one read; the next read goes on where it stopped */
	logring_write(&r, "abcd", 4);
	assert_int_equal(logring_read(&r, &seq, out, 3, &lost), 3);
	assert_memory_equal(out, "abc", 3);
	assert_int_equal(seq, 14);
	assert_int_equal(logring_read(&r, &seq, out, 3, &lost), 1);
	assert_int_equal(out[0], 'd');
	assert_int_equal(seq, 15);
	assert_int_equal(logring_read(&r, &seq, out, 0, &lost), 0);

	/* two readers keep their own positions */
	u64 other = 6;
	assert_int_equal(read_all(&r, &other, out, sizeof(out), &lost), 9);
	assert_string_equal(out, "worldabcd");
}

static void test_wraps_in_place(void **state)
{
	(void)state;
	char buf[8], out[32];
	struct logring r;
	u64 seq, lost;

	assert_true(logring_init(&r, buf, sizeof(buf)));
	logring_write(&r, "012345", 6);
	seq = 6;
	logring_write(&r, "ABCD", 4); /* wraps around the end of buf */
	assert_int_equal(r.head, 10);
	assert_int_equal(logring_tail(&r), 2);
	assert_int_equal(read_all(&r, &seq, out, sizeof(out), &lost), 4);
	assert_string_equal(out, "ABCD");
	assert_int_equal(lost, 0);
	/* the buffer holds the last 8 bytes, wrapped */
	assert_memory_equal(buf, "CD2345AB", 8);
	seq = 2;
	assert_int_equal(read_all(&r, &seq, out, sizeof(out), &lost), 8);
	assert_string_equal(out, "2345ABCD");
	assert_int_equal(lost, 0);
}

static void test_lapped_reader_counts_lost(void **state)
{
	(void)state;
	char buf[8], out[32];
	struct logring r;
	u64 seq = 0, lost = 0;

	assert_true(logring_init(&r, buf, sizeof(buf)));
	logring_write(&r, "abcdefghijklm", 13); /* 13 bytes through an 8-byte ring */
	assert_int_equal(logring_tail(&r), 5);
	assert_int_equal(read_all(&r, &seq, out, sizeof(out), &lost), 8);
	assert_int_equal(lost, 5);
	assert_string_equal(out, "fghijklm");
	assert_int_equal(seq, 13);

	/* a reader that had read part of it and was then lapped */
	seq = 10;
	logring_write(&r, "0123456789", 10); /* head 23, tail 15 */
	assert_int_equal(read_all(&r, &seq, out, sizeof(out), &lost), 8);
	assert_int_equal(lost, 5);
	assert_string_equal(out, "23456789");
	/* and the next read loses nothing */
	logring_write(&r, "Z", 1);
	assert_int_equal(read_all(&r, &seq, out, sizeof(out), &lost), 1);
	assert_int_equal(lost, 0);
	assert_string_equal(out, "Z");
}

static void test_huge_write(void **state)
{
	(void)state;
	char buf[16], out[64], big[1000];
	struct logring r;
	u64 seq = 0, lost;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	assert_true(logring_init(&r, buf, sizeof(buf)));
	logring_write(&r, "xy", 2);
	logring_write(&r, big, sizeof(big));
	/* the sequence counts every byte; the ring keeps the last 16 */
	assert_int_equal(r.head, 1002);
	assert_int_equal(logring_tail(&r), 1002 - 16);
	assert_int_equal(read_all(&r, &seq, out, sizeof(out), &lost), 16);
	assert_int_equal(lost, 1002 - 16);
	assert_memory_equal(out, big + sizeof(big) - 16, 16);

	/* a write of exactly the ring's size replaces everything */
	logring_write(&r, "0123456789ABCDEF", 16);
	assert_int_equal(read_all(&r, &seq, out, sizeof(out), &lost), 16);
	assert_int_equal(lost, 0);
	assert_string_equal(out, "0123456789ABCDEF");
	logring_write(&r, "", 0);
	assert_int_equal(r.head, 1018);
}

static void test_future_sequence(void **state)
{
	(void)state;
	char buf[8], out[16];
	struct logring r;
	u64 seq = 1000, lost = 7;

	assert_true(logring_init(&r, buf, sizeof(buf)));
	logring_write(&r, "abc", 3);
	/* a sequence beyond head reads nothing and is pulled back to head */
	assert_int_equal(logring_read(&r, &seq, out, sizeof(out), &lost), 0);
	assert_int_equal(lost, 0);
	assert_int_equal(seq, 3);
	logring_write(&r, "de", 2);
	assert_int_equal(read_all(&r, &seq, out, sizeof(out), &lost), 2);
	assert_string_equal(out, "de");
	seq = UINT64_MAX;
	assert_int_equal(logring_read(&r, &seq, out, sizeof(out), &lost), 0);
	assert_int_equal(seq, 5);
}

static void test_random_against_model(void **state)
{
	(void)state;
	char buf[64], out[256], model[8192];
	struct logring r;
	u64 rng = 0x1234567, seq = 0, lost;
	size_t mlen = 0;

	assert_true(logring_init(&r, buf, sizeof(buf)));
	while (mlen + 200 < sizeof(model)) {
		size_t n = unit_rand(&rng) % 150;
		for (size_t i = 0; i < n; i++)
			model[mlen + i] = (char)(unit_rand(&rng) & 0x7f);
		logring_write(&r, model + mlen, n);
		mlen += n;
		assert_int_equal(r.head, mlen);
		if (unit_rand(&rng) % 2) {
			u64 before = seq;
			size_t max = unit_rand(&rng) % 100;
			size_t got = logring_read(&r, &seq, out, max, &lost);
			u64 oldest = mlen > sizeof(buf) ? mlen - sizeof(buf) : 0;
			u64 from = before < oldest ? oldest : before;
			assert_int_equal(lost, from - before);
			assert_int_equal(got, MIN(max, mlen - from));
			assert_memory_equal(out, model + from, got);
			assert_int_equal(seq, from + got);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_sizes),
		cmocka_unit_test(test_write_read),
		cmocka_unit_test(test_wraps_in_place),
		cmocka_unit_test(test_lapped_reader_counts_lost),
		cmocka_unit_test(test_huge_write),
		cmocka_unit_test(test_future_sequence),
		cmocka_unit_test(test_random_against_model),
	};
	return cmocka_run_group_tests_name("logring", tests, NULL, NULL) ? 1 : 0;
}
