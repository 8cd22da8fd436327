/*
 * pricing_fuzz.c — libFuzzer harness for the rr.pricing text parser
 *
 * Feeds arbitrary bytes to pricing_parse_text (src/pricing_parse.c).  Whatever it
 * accepts must format, encode, decode and re-parse to the same canonical text, and
 * every refusal must come with a detail sentence.
 */
#include "pricing_parse.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	PricingSpec *spec = malloc(sizeof(PricingSpec));
	PricingSpec *again = malloc(sizeof(PricingSpec));
	char		detail[PRICING_DETAIL_SIZE];
	char	   *text;
	char	   *text2;
	unsigned char *enc;
	size_t		n;
	size_t		m;

	detail[0] = '\0';
	if (!pricing_parse_text((const char *) data, size, spec, detail))
	{
		/* a refusal always explains itself */
		if (detail[0] == '\0' || strlen(detail) >= PRICING_DETAIL_SIZE)
			abort();
		free(spec);
		free(again);
		return 0;
	}

	/* canonical text: formatting is stable and re-parses to the same text */
	n = pricing_format_text(spec, NULL, 0);
	text = malloc(n + 1);
	if (pricing_format_text(spec, text, n + 1) != n || strlen(text) != n)
		abort();
	if (!pricing_parse_text(text, n, again, detail))
		abort();
	text2 = malloc(n + 1);
	if (pricing_format_text(again, text2, n + 1) != n || strcmp(text, text2) != 0)
		abort();

	/* storage encoding round trip */
	m = pricing_encode(spec, NULL, 0);
	enc = malloc(m);
	if (pricing_encode(spec, enc, m) != m)
		abort();
	if (!pricing_decode(enc, m, again))
		abort();
	if (!pricing_validate(again, detail))
		abort();
	if (pricing_format_text(again, text2, n + 1) != n || strcmp(text, text2) != 0)
		abort();
	/* a truncated encoding is refused, never over-read */
	if (m > 0 && pricing_decode(enc, m - 1, again))
		abort();

	free(enc);
	free(text2);
	free(text);
	free(spec);
	free(again);
	return 0;
}
