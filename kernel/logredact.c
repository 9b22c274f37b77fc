// SPDX-License-Identifier: MIT
/* Hex numbers out of a log line: see include/raum/logredact.h. */
#include <raum/logredact.h>

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

size_t log_redact_hex(char *out, size_t size, const char *in, size_t n)
{
	size_t o = 0;

	if (!size)
		return 0;
	for (size_t i = 0; i < n && o + 1 < size;) {
		if (i + 2 < n && in[i] == '0' && (in[i + 1] == 'x' || in[i + 1] == 'X') && is_hex(in[i + 2])) {
			for (const char *r = LOG_REDACTED; *r && o + 1 < size; r++)
				out[o++] = *r;
			for (i += 2; i < n && is_hex(in[i]); i++)
				;
			continue;
		}
		out[o++] = in[i++];
	}
	out[o] = '\0';
	return o;
}
