// SPDX-License-Identifier: MIT
/*
 * kernel/fmt.c against the C library: every case is formatted by both
 * raum_vsnprintf and vsnprintf, for every buffer size from 0 to one past the
 * full length, and the bytes written (sentinels beyond the size included)
 * and the return values must match.
 */
#include "unit.h"

#include <limits.h>
#include <raum/fmt.h>

#define BUFSZ 600

static int ncompared;

static void vsame(const char *file, int line, const char *fmt, va_list ap)
{
	static char want[BUFSZ], got[BUFSZ];
	va_list a;

	va_copy(a, ap);
	int full = vsnprintf(want, sizeof(want), fmt, a);
	va_end(a);
	if (full < 0 || full + 2 > BUFSZ)
		fail_msg("%s:%d: bad test case '%s'", file, line, fmt);

	for (size_t size = 0; size <= (size_t)full + 1; size++) {
		memset(want, 0x55, sizeof(want));
		memset(got, 0x55, sizeof(got));
		va_copy(a, ap);
		int wn = vsnprintf(want, size, fmt, a);
		va_end(a);
		va_copy(a, ap);
		int gn = raum_vsnprintf(got, size, fmt, a);
		va_end(a);
		if (wn != gn || memcmp(want, got, sizeof(want)) != 0)
			fail_msg("%s:%d: format '%s' size %zu: libc \"%.*s\" (%d), raum \"%.*s\" (%d)",
				 file, line, fmt, size, (int)MIN(size, (size_t)full), want, wn,
				 (int)MIN(size, (size_t)full), got, gn);
		ncompared++;
	}
}

static void same_at(const char *file, int line, const char *fmt, ...) __printf(3, 4);
static void same_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsame(file, line, fmt, ap);
	va_end(ap);
}
#define SAME(...) same_at(__FILE__, __LINE__, __VA_ARGS__)

/* Same, without the compiler's format check: for defined cases gcc warns about. */
static void same_unchecked(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsame(file, line, fmt, ap);
	va_end(ap);
}
#define SAME_UNCHECKED(...) same_unchecked(__FILE__, __LINE__, __VA_ARGS__)

/* Raum's output alone, for the cases where it differs from glibc on purpose. */
static void expect_at(const char *file, int line, const char *want, const char *fmt, ...)
	__printf(4, 5);
static void expect_at(const char *file, int line, const char *want, const char *fmt, ...)
{
	char got[BUFSZ];
	va_list ap;

	va_start(ap, fmt);
	int n = raum_vsnprintf(got, sizeof(got), fmt, ap);
	va_end(ap);
	if (n != (int)strlen(want) || strcmp(got, want) != 0)
		fail_msg("%s:%d: format '%s': want \"%s\", got \"%s\" (%d)", file, line, fmt, want, got, n);
}
#define EXPECT(...) expect_at(__FILE__, __LINE__, __VA_ARGS__)

static void test_plain_text(void **state)
{
	(void)state;
	SAME("%s", "");
	SAME("hello, world");
	SAME("100%% sure %%");
	SAME("%%d");
	SAME("a\tb\nc");
}

static void test_signed(void **state)
{
	(void)state;
	const int ints[] = { 0, 1, -1, 7, -7, 42, 1000, -1000, 123456789, INT_MAX, INT_MIN };
	for (size_t i = 0; i < ARRAY_SIZE(ints); i++) {
		SAME("%d", ints[i]);
		SAME("%i", ints[i]);
		SAME("[%5d]", ints[i]);
		SAME("[%-5d]", ints[i]);
		SAME("[%05d]", ints[i]);
		SAME("[%+d]", ints[i]);
		SAME("[% d]", ints[i]);
		SAME("[%+05d]", ints[i]);
		SAME("[% 05d]", ints[i]);
		SAME("[%-+8d]", ints[i]);
		SAME("[%.3d]", ints[i]);
		SAME("[%8.3d]", ints[i]);
		SAME("[%-8.3d]", ints[i]);
		SAME_UNCHECKED("[%08.3d]", ints[i]); /* 0 flag ignored with a precision */
		SAME("[%+.0d]", ints[i]);
		SAME("[%.0d]", ints[i]);
		SAME("[%5.0d]", ints[i]);
		SAME("[%.12i]", ints[i]);
		SAME("[%- 12i]", ints[i]);
	}
}

static void test_unsigned(void **state)
{
	(void)state;
	const unsigned uns[] = { 0, 1, 7, 8, 15, 16, 255, 256, 0777, 0xdeadbeef, UINT_MAX };
	for (size_t i = 0; i < ARRAY_SIZE(uns); i++) {
		unsigned v = uns[i];
		SAME("%u %x %X %o", v, v, v, v);
		SAME("[%12u] [%-12x] [%012X] [%12o]", v, v, v, v);
		SAME("[%#x] [%#X] [%#o]", v, v, v);
		SAME("[%#12x] [%#-12X] [%#012x] [%#012o]", v, v, v, v);
		SAME("[%.0u] [%.0x] [%.0o] [%#.0x] [%#.0o]", v, v, v, v, v);
		SAME("[%.5u] [%.5x] [%#.5x] [%#.5o] [%#.1o] [%#.2o]", v, v, v, v, v, v);
		SAME_UNCHECKED("[%#10.5x] [%-#10.5X] [%010.5o]", v, v, v);
	}
}

static void test_length_modifiers(void **state)
{
	(void)state;
	/* hh and h: the int argument is converted to char / short */
	SAME("%hhd %hhd %hhd %hhd", 127, 128, 200, -129);
	SAME("%hhu %hhx %hho %hhX", 255, 256 + 17, 0x1ff, -1);
	SAME("%hd %hd %hd", 32767, 32768, 70000);
	SAME("%hu %hx %ho", 65535, 65536 + 5, -1);
	SAME("%ld %li %lu %lx", LONG_MIN, LONG_MAX, ULONG_MAX, ULONG_MAX);
	SAME("%lld %lli", (long long)INT64_MIN, (long long)INT64_MAX);
	SAME("%llu %llx %llX %llo", (unsigned long long)UINT64_MAX, 0x0123456789abcdefULL,
	     0xfedcba9876543210ULL, (unsigned long long)UINT64_MAX);
	SAME("[%+25lld] [%-25lld] [%025lld]", (long long)INT64_MIN, (long long)INT64_MIN,
	     (long long)INT64_MIN);
	SAME("[%.22lld] [% lld] [%+lld]", (long long)INT64_MIN, -1LL, 0LL);
	SAME("%zu %zx %zd", (size_t)SIZE_MAX, (size_t)0x1000, (ssize_t)-5);
	SAME("%zu", sizeof(struct { char c[77]; }));
	SAME("%jd %ju %td", (intmax_t)INT64_MIN, (uintmax_t)UINT64_MAX, (ptrdiff_t)-3);
	SAME("%#llx %#llo", 1ULL << 63, 1ULL << 63);
}

static void test_chars_and_strings(void **state)
{
	(void)state;
	SAME("%c%c%c", 'a', 'B', '~');
	SAME("[%5c] [%-5c] [%1c]", 'x', 'y', 'z');
	SAME("[%c]", 256 + 'q'); /* converted to unsigned char */
	SAME("%s", "plain");
	SAME("[%10s] [%-10s] [%2s]", "right", "left", "wide");
	SAME("[%.3s] [%.0s] [%.10s]", "abcdef", "abcdef", "abc");
	SAME("[%8.3s] [%-8.3s]", "abcdef", "abcdef");
	SAME("%s=%s;%s", "key", "value", "");
	/* a precision bounds the read: the array needs no terminator */
	static const char unterminated[4] = { 'w', 'x', 'y', 'z' };
	SAME("[%.4s] [%.2s]", unterminated, unterminated);
}

static void test_star(void **state)
{
	(void)state;
	SAME("[%*d]", 6, 42);
	SAME("[%*d]", -6, 42); /* negative width: left-justified */
	SAME("[%-*d]", 6, 42);
	SAME("[%.*d]", 4, 42);
	SAME("[%.*d]", -4, 42); /* negative precision: as if omitted */
	SAME_UNCHECKED("[%0*.*d]", 8, -1, 42); /* omitted precision: 0 pads */
	SAME_UNCHECKED("[%0*.*d]", 8, 3, 42);  /* given precision: 0 ignored */
	SAME("[%*.*x]", 10, 6, 0xabc);
	SAME("[%*s] [%.*s] [%*.*s]", 7, "ab", 2, "abcdef", -7, 3, "abcdef");
	SAME("[%*c]", 3, 'k');
	SAME("[%*d|%*d]", 0, 5, 1, 5);
}

static void test_combinations(void **state)
{
	(void)state;
	static const char *const flagsets[] = { "", "-", "0", "+", " ", "-+", "0+", "0 ", "- ", "-0" };
	static const char *const widths[] = { "", "1", "4", "11", "23" };
	static const char *const precs[] = { "", ".0", ".1", ".4", ".15" };
	static const long long vals[] = { 0, 1, -1, 9, -10, 99999, -123456, INT32_MIN, INT64_MAX };
	char fmt[32];

	for (size_t f = 0; f < ARRAY_SIZE(flagsets); f++)
		for (size_t w = 0; w < ARRAY_SIZE(widths); w++)
			for (size_t p = 0; p < ARRAY_SIZE(precs); p++)
				for (size_t v = 0; v < ARRAY_SIZE(vals); v++) {
					snprintf(fmt, sizeof(fmt), "<%%%s%s%slld>", flagsets[f], widths[w], precs[p]);
					same_unchecked(__FILE__, __LINE__, fmt, vals[v]);
				}
	/* unsigned conversions with the flags that apply to them */
	static const char *const uflags[] = { "", "-", "0", "#", "-#", "0#" };
	static const char convs[] = { 'u', 'x', 'X', 'o' };
	static const unsigned long long uvals[] = { 0, 1, 8, 0x10, 0777, 0xffffffffULL, UINT64_MAX };
	for (size_t f = 0; f < ARRAY_SIZE(uflags); f++)
		for (size_t c = 0; c < ARRAY_SIZE(convs); c++)
			for (size_t w = 0; w < ARRAY_SIZE(widths); w++)
				for (size_t p = 0; p < ARRAY_SIZE(precs); p++)
					for (size_t v = 0; v < ARRAY_SIZE(uvals); v++) {
						if (strchr(uflags[f], '#') && convs[c] == 'u')
							continue; /* # is undefined for %u */
						snprintf(fmt, sizeof(fmt), "<%%%s%s%sll%c>", uflags[f], widths[w],
							 precs[p], convs[c]);
						same_unchecked(__FILE__, __LINE__, fmt, uvals[v]);
					}
	assert_true(ncompared > 10000);
}

static void test_truncation_and_return(void **state)
{
	(void)state;
	char buf[8];

	/* the return value is the full length, the buffer always terminated */
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(raum_snprintf(buf, sizeof(buf), "%s", "0123456789"), 10);
	assert_string_equal(buf, "0123456");
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(raum_snprintf(buf, 1, "%d", 12345), 5);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'X');
	/* size 0: nothing written at all, a NULL buffer is allowed */
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(raum_snprintf(buf, 0, "abc%d", 1), 4);
	assert_int_equal(buf[0], 'X');
	assert_int_equal(raum_snprintf(NULL, 0, "%s%llx", "long string", ~0ULL), 27);
	/* exactly fitting output */
	assert_int_equal(raum_snprintf(buf, sizeof(buf), "%07d", -5), 7);
	assert_string_equal(buf, "-000005");
	/* a width far beyond the buffer */
	assert_int_equal(raum_snprintf(buf, sizeof(buf), "%300d|", 1), 301);
	assert_string_equal(buf, "       ");
	/* every size, compared with libc, for long output */
	SAME("%-40s|%40s|%#40llx", "left", "right", 0x1234ULL);
	SAME("%s%s%s%s", "aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc", "dddddddddd");
}

static void test_pointer(void **state)
{
	(void)state;
	/* Raum: always 0x and 16 digits (glibc prints "(nil)" and no padding) */
	EXPECT("0x0000000000000000", "%p", (void *)0);
	EXPECT("0x0000000000001234", "%p", (void *)0x1234);
	EXPECT("0xffffffffffffffff", "%p", (void *)~(uintptr_t)0);
	EXPECT("0xffff800000000000", "%p", (void *)0xffff800000000000ULL);
	EXPECT("[0x00000000deadbeef]", "[%p]", (void *)0xdeadbeefULL);
	EXPECT("p=0x00000000000000ab q=0x00000000000000cd", "p=%p q=%p", (void *)0xab, (void *)0xcd);
	/* %p consumes exactly one argument */
	EXPECT("0x0000000000000001 7", "%p %d", (void *)1, 7);
	char buf[6];
	assert_int_equal(raum_snprintf(buf, sizeof(buf), "%p", (void *)0), 18);
	assert_string_equal(buf, "0x000");
}

static void test_null_string(void **state)
{
	(void)state;
	const char *volatile nul = NULL; /* hidden from -Wformat-overflow */
	EXPECT("(null)", "%s", nul);
	EXPECT("[  (null)]", "[%8s]", nul);
	EXPECT("[(null)  ]", "[%-8s]", nul);
	EXPECT("<(null)> 5", "<%s> %d", nul, 5);
}

static void test_malformed(void **state)
{
	(void)state;
	/* formats the compiler would reject: through a variable */
	const char *volatile unknown = "a%yb";
	const char *volatile trailing = "50%";
	char buf[16];

	assert_int_equal(raum_snprintf(buf, sizeof(buf), unknown, 0), 4);
	assert_string_equal(buf, "a%yb");
	assert_int_equal(raum_snprintf(buf, sizeof(buf), trailing, 0), 3);
	assert_string_equal(buf, "50%");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text),
		cmocka_unit_test(test_signed),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_length_modifiers),
		cmocka_unit_test(test_chars_and_strings),
		cmocka_unit_test(test_star),
		cmocka_unit_test(test_combinations),
		cmocka_unit_test(test_truncation_and_return),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_null_string),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests_name("fmt", tests, NULL, NULL) ? 1 : 0;
}
