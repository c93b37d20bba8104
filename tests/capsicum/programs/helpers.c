/* SPDX-License-Identifier: BSD-2-Clause */
/* A program written for FreeBSD's <capsicum_helpers.h>: limits the standard descriptors and
 * enters capability mode with the caph_* helpers, which stockade's copy makes fail closed.
 * Outside a sandbox it must stop at the first helper (EOPNOTSUPP), where FreeBSD's helpers
 * would treat a missing Capsicum (ENOSYS) as success. */

#include <sys/capsicum.h>

#include <capsicum_helpers.h>
#include <err.h>
#include <stdio.h>

int
main(void)
{
	caph_cache_catpages();
	caph_cache_tzdata();
	if (caph_limit_stdio() < 0)
		err(1, "caph_limit_stdio");
	if (caph_enter() < 0)
		err(1, "caph_enter");
	printf("sandboxed: %d\n", cap_sandboxed());
	return (0);
}
