#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "routes.h"

json_t *
routes_build(const struct app *apps, size_t napps,
    const struct domain *const *domains, const size_t *ndomains,
    const struct routes_backend *be, size_t nbe)
{
	json_t	*root, *all;
	size_t	 i, j;

	all = json_object();
	for (i = 0; i < napps; i++) {
		json_t *app, *names, *inst;
		int	crashed = 0;

		names = json_array();
		for (j = 0; j < ndomains[i]; j++)
			json_array_append_new(names,
			    json_string(domains[i][j].hostname));
		inst = json_array();
		for (j = 0; j < nbe; j++) {
			if (strcmp(be[j].app, apps[i].name) != 0)
				continue;
			if (be[j].crashed)
				crashed = 1;
			else
				json_array_append_new(inst, json_pack(
				    "{s:s, s:s}", "dyno", be[j].dyno,
				    "address", be[j].address));
		}
		app = json_pack("{s:o, s:b, s:n, s:I, s:o, s:b}", "domains",
		    names, "maintenance", apps[i].maintenance,
		    "maintenance_page",
		    "body_max", (json_int_t)ROUTES_BODY_MAX_DEFAULT,
		    "instances", inst,
		    "crashed", crashed && json_array_size(inst) == 0);
		json_object_set_new(all, apps[i].name, app);
	}
	root = json_pack("{s:i, s:o}", "version", 1, "apps", all);
	return root;
}

static int
write_atomic(const char *path, const char *text, struct perr *err)
{
	char	tmp[600];
	size_t	len = strlen(text);
	int	fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd < 0)
		return perr_set(err, -errno, "write %s: %s", tmp,
		    strerror(errno));
	/* the router reads it as nobody; paasd's umask is 077 */
	if (fchmod(fd, 0644) != 0 || write(fd, text, len) != (ssize_t)len ||
	    fsync(fd) != 0) {
		int rc = -errno;

		close(fd);
		unlink(tmp);
		return perr_set(err, rc ? rc : -EIO, "write %s: %s", tmp,
		    strerror(errno));
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		int rc = -errno;

		unlink(tmp);
		return perr_set(err, rc, "rename %s: %s", tmp, strerror(-rc));
	}
	return 0;
}

int
routes_write(struct store *st, const char *path,
    const struct routes_backend *be, size_t nbe, struct perr *err)
{
	struct app	 *apps = NULL;
	struct domain	**doms = NULL;
	size_t		 *ndoms = NULL, napps = 0, i;
	json_t		 *table = NULL;
	char		 *text = NULL;
	int		  rc;

	if ((rc = store_app_list(st, &apps, &napps, err)) != 0)
		return rc;
	doms = calloc(napps + 1, sizeof(*doms));
	ndoms = calloc(napps + 1, sizeof(*ndoms));
	if (doms == NULL || ndoms == NULL)
		abort();
	for (i = 0; i < napps && rc == 0; i++)
		rc = store_domain_list(st, apps[i].name, &doms[i], &ndoms[i],
		    err);
	if (rc == 0) {
		table = routes_build(apps, napps,
		    (const struct domain *const *)doms, ndoms, be, nbe);
		text = json_dumps(table, JSON_INDENT(1) | JSON_SORT_KEYS);
		rc = text ? write_atomic(path, text, err) :
		    perr_set(err, -ENOMEM, "encode route table");
	}
	for (i = 0; i < napps; i++)
		free(doms[i]);
	free(doms);
	free(ndoms);
	free(apps);
	free(text);
	json_decref(table);
	return rc;
}
