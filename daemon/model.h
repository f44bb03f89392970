#ifndef PAASD_MODEL_H
#define PAASD_MODEL_H

#include <stddef.h>

#include <jansson.h>

#include "perr.h"
#include "store.h"

/*
 * model: JSON <-> struct for the API, pure. Parsers take the raw body and
 * return -EBADMSG for a body that is not the expected JSON shape (bad
 * JSON, wrong types, unknown fields: 400) and -EINVAL for a value that
 * fails validation (422), with the reason in err.
 */
struct model_urls {
	const char	*domain;	/* base domain */
	int		 http_port;	/* router port */
	const char	*git_base;	/* "http://127.0.0.1:7070" or "" */
};

json_t	*model_app_json(const struct app *, const struct model_urls *);
json_t	*model_release_json(const struct release *, int with_config);
json_t	*model_formation_json(const struct formation *,
	    const struct release *current);
json_t	*model_domain_json(const struct domain *);
json_t	*model_error_json(const char *id, const char *message);

/* {} (a body that must say nothing); "" is the caller's business */
int	model_parse_empty_object(const char *body, size_t len, struct perr *);
/* {"name": "hello"} */
int	model_parse_app_create(const char *body, size_t len, char *name,
	    size_t namelen, struct perr *);
/*
 * {"maintenance": true, "boot_timeout": 120, "grace": 10,
 * "deploy_branch": "master"}, each optional (one needed); what is absent
 * comes back as -1 (numbers) or "" (the branch).
 */
struct model_app_patch {
	int	maintenance;
	int	boot_s;
	int	grace_s;
	char	deploy_branch[64];
};

int	model_parse_app_patch(const char *body, size_t len,
	    struct model_app_patch *, struct perr *);
/* {"KEY": "value", "OLD": null}; *patch is a new reference */
int	model_parse_config_patch(const char *body, size_t len,
	    json_t **patch, struct perr *);
/* {"updates": [{"type", "quantity", "size"}]}; *u is malloc'd */
int	model_parse_formation_updates(const char *body, size_t len,
	    struct formation_update **u, size_t *n, struct perr *);
/* {"quantity", "size"} for one type named in the path */
int	model_parse_formation_one(const char *body, size_t len,
	    const char *type, struct formation_update *u, struct perr *);
/* {"hostname": "www.example.com"}, lowercased into host */
int	model_parse_domain(const char *body, size_t len, char *host,
	    size_t hostlen, struct perr *);
/* {"rollback": 3} or {"rollback": "v3"} */
int	model_parse_rollback(const char *body, size_t len, long long *version,
	    struct perr *);
/*
 * {"buildpacks": ["nodejs", "https://host/x.git#v1", "/opt/pack"]}: at
 * most 16 specs, each a built-in name, an absolute path or a git URL.
 */
#define MODEL_BUILDPACKS_MAX	16
int	model_parse_buildpacks(const char *body, size_t len, json_t **list,
	    struct perr *);
/* model_buildpack_valid() is the check for one spec. */
int	model_buildpack_valid(const char *spec, struct perr *);
/* "v3" or "3" -> 3 */
int	model_parse_version(const char *s, long long *version, struct perr *);

#endif
