/* dataplanes.c — the dataplanes built into this binary. Each engineer adds the
 * line for their dataplane once it works (ipvs: &dataplane_ipvs, proxy:
 * &dataplane_proxy). Order matters only for `director run --help`. */
#include "director/director.h"

#include <string.h>

const struct dataplane *const director_dataplanes[] = {
    &dataplane_nft,
    &dataplane_ipvs,
    &dataplane_proxy,
    NULL,
};

const struct dataplane *director_dataplane_find(const char *name)
{
	for (const struct dataplane *const *p = director_dataplanes; *p; p++)
		if (strcmp((*p)->name, name) == 0)
			return *p;
	return NULL;
}
