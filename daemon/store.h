#ifndef PAASD_STORE_H
#define PAASD_STORE_H

#include <stddef.h>

#include <jansson.h>

#include "perr.h"

/*
 * store: the daemon's state in sqlite3 (WAL, synchronous=FULL, foreign
 * keys, busy timeout). The only file with SQL in it. Every change is one
 * BEGIN IMMEDIATE transaction; a function that returns 0 has committed.
 * Errors: -ENOENT (no such thing), -EEXIST (name taken), -EINVAL or
 * -E2BIG (a limit), -EPERM (not allowed), -EIO (database).
 * Names passed in are already validated by the caller (lib/valid.h).
 */
struct store;

#define STORE_ID_LEN	36
#define STORE_TIME_LEN	20	/* 2026-11-25T17:00:00Z */

struct app {
	char		 id[STORE_ID_LEN + 1];
	char		 name[32];
	char		 created_at[STORE_TIME_LEN + 1];
	char		 updated_at[STORE_TIME_LEN + 1];
	int		 maintenance;
	int		 uid;		/* unprivileged uid for its processes */
	long long	 release_version;	/* current, 0 if none */
	int		 boot_timeout_s; /* web must bind $PORT within */
	int		 grace_s;	/* SIGTERM -> SIGKILL on stop */
	char		 deploy_branch[64];	/* a push to it deploys */
};

struct release {
	char		 id[STORE_ID_LEN + 1];
	long long	 version;
	char		 description[256];
	char		 status[16];	/* pending, succeeded, failed */
	char		 created_at[STORE_TIME_LEN + 1];
	int		 current;
	json_t		*config;	/* owned; object of strings */
	json_t		*process_types;	/* owned; object of strings */
	char		*image;		/* owned; NULL if none */
	char		*commit;	/* owned; NULL if none */
};

struct formation {
	char		 type[64];
	int		 quantity;
	char		 size[16];
	char		 updated_at[STORE_TIME_LEN + 1];
};

/* A formation change; quantity or size may be left unset (-1 / ""). */
struct formation_update {
	char		 type[64];
	int		 quantity;
	char		 size[16];
};

struct domain {
	char		 id[STORE_ID_LEN + 1];
	char		 hostname[256];
	char		 kind[8];	/* default, custom */
	char		 created_at[STORE_TIME_LEN + 1];
};

/*
 * A migration is one SQL script taking the schema from version i to
 * i + 1. store_migrations[] is the list; store_open() applies the
 * missing ones, each in its own transaction.
 */
extern const char *const store_migrations[];
extern const int store_schema_latest;

int	store_open(const char *path, struct store **, struct perr *);
void	store_close(struct store *);
int	store_schema_version(struct store *, int *version, struct perr *);
/* store_open_version() is for tests: migrate up to version only. */
int	store_open_version(const char *path, int version, struct store **,
	    struct perr *);
int	store_migrate_to(struct store *, int version, struct perr *);
int	store_integrity_ok(struct store *);

int	store_app_create(struct store *, const char *name,
	    const char *default_host, struct app *, struct perr *);
int	store_app_get(struct store *, const char *name, struct app *,
	    struct perr *);
/* *apps is malloc'd, sorted by name; free() it. */
int	store_app_list(struct store *, struct app **apps, size_t *n,
	    struct perr *);
int	store_app_delete(struct store *, const char *name, struct perr *);
int	store_app_set_maintenance(struct store *, const char *name, int on,
	    struct perr *);

/* Set the boot timeout and stop grace (a negative value keeps one). */
/* Set the deploy branch (validated by the caller). */
int	store_app_set_branch(struct store *, const char *name,
	    const char *branch, struct perr *);
int	store_app_set_timeouts(struct store *, const char *name, int boot_s,
	    int grace_s, struct perr *);

/* *config is a new reference to an object of strings. */
int	store_config_get(struct store *, const char *app, json_t **config,
	    struct perr *);
/*
 * store_config_patch() applies patch (object: string sets, null
 * deletes) and records release vN+1 in one transaction. A patch that
 * changes nothing makes no release and sets rel->version to 0. The
 * config must stay within max_bytes (keys + values).
 */
int	store_config_patch(struct store *, const char *app, json_t *patch,
	    size_t max_bytes, struct release *rel, struct perr *);

void	release_release(struct release *);
/* *rels is malloc'd, newest first; release_release() each, free(). */
int	store_release_list(struct store *, const char *app,
	    struct release **rels, size_t *n, struct perr *);
int	store_release_get(struct store *, const char *app, long long version,
	    struct release *, struct perr *);
/* version 0: the current release */
int	store_release_rollback(struct store *, const char *app,
	    long long version, struct release *, struct perr *);
/*
 * store_release_describe() is pure: Heroku's wording for a config
 * patch, e.g. "Set A, B config vars", "Unset C config vars", or
 * "Set A and unset C config vars".
 */
void	store_release_describe(json_t *patch, char *out, size_t outlen);

int	store_formation_list(struct store *, const char *app,
	    struct formation **, size_t *n, struct perr *);
/* all updates or none; a new type needs a quantity */
int	store_formation_update(struct store *, const char *app,
	    const struct formation_update *, size_t n, struct perr *);

int	store_domain_list(struct store *, const char *app, struct domain **,
	    size_t *n, struct perr *);
int	store_domain_add(struct store *, const char *app, const char *host,
	    struct domain *, struct perr *);
int	store_domain_remove(struct store *, const char *app, const char *host,
	    struct domain *, struct perr *);

struct store_key {
	char		 id[STORE_ID_LEN + 1];
	char		 fingerprint[64];
	char		 type[48];
	char		*blob;		/* owned; NULL when not loaded */
	char		 comment[256];
	char		 created_at[STORE_TIME_LEN + 1];
};

int	store_key_add(struct store *, const char *fingerprint,
	    const char *type, const char *blob, const char *comment,
	    struct store_key *, struct perr *);
/* *keys is malloc'd, oldest first; store_key_release() each, free(). */
int	store_key_list(struct store *, struct store_key **keys, size_t *n,
	    struct perr *);
int	store_key_remove(struct store *, const char *id, struct store_key *,
	    struct perr *);
void	store_key_release(struct store_key *);

/*
 * Deploy tokens: each lets git push and fetch one app over smart HTTP,
 * nothing else. Only the SHA-256 of a token is stored (hex), with a
 * hint (its last 4 characters) to tell them apart.
 */
struct store_token {
	char	id[STORE_ID_LEN + 1];
	char	app[32];
	char	hint[8];
	char	created_at[STORE_TIME_LEN + 1];
};

int	store_token_add(struct store *, const char *app, const char *hash,
	    const char *hint, struct store_token *, struct perr *);
/* *tokens is malloc'd, oldest first; free() it. */
int	store_token_list(struct store *, const char *app,
	    struct store_token **tokens, size_t *n, struct perr *);
int	store_token_remove(struct store *, const char *app, const char *id,
	    struct perr *);
/* The token whose hash this is: 0, -ENOENT, or -EIO. */
int	store_token_find(struct store *, const char *hash,
	    struct store_token *);

struct store_build {
	char		 id[STORE_ID_LEN + 1];
	char		 commit[41];
	char		 status[16];	/* pending, succeeded, failed */
	long long	 release_version;	/* 0 if none */
	char		 created_at[STORE_TIME_LEN + 1];
	char		 updated_at[STORE_TIME_LEN + 1];
};

int	store_build_add(struct store *, const char *app, const char *commit,
	    struct store_build *, struct perr *);
int	store_build_finish(struct store *, const char *id, int ok,
	    long long release_version, struct perr *);
int	store_build_fail_pending(struct store *, struct perr *);
/* newest first; free() */
int	store_build_list(struct store *, const char *app,
	    struct store_build **, size_t *n, struct perr *);

/* What a successful build deploys. */
struct store_deploy {
	const char	*image;			/* manifest digest */
	const char	*commit;
	json_t		*process_types;		/* object of strings */
	json_t		*config_defaults;	/* set only where unset */
	int		 pending;	/* goes live once its dynos boot */
};

/*
 * store_release_deploy() records release vN+1 "Deploy abc1234" in one
 * transaction: the build's config defaults added where the app has no
 * value, process types and image set, and a formation entry for each
 * new process type (web at 1, the others at 0).
 */
int	store_release_deploy(struct store *, const char *app,
	    const struct store_deploy *, struct release *, struct perr *);

/*
 * The release the supervisor runs: the newest pending one (a deploy
 * going live), else the current one.
 */
int	store_release_target(struct store *, const char *app,
	    struct release *, struct perr *);
/* status: succeeded (goes live) or failed (never will) */
int	store_release_set_status(struct store *, const char *app,
	    long long version, const char *status, struct perr *);
int	store_release_fail_pending(struct store *, struct perr *);

/* The app's buildpack list (strings, in order; empty: detect). */
int	store_buildpacks_get(struct store *, const char *app, json_t **,
	    struct perr *);
int	store_buildpacks_set(struct store *, const char *app, json_t *list,
	    struct perr *);

/* Image digests of each app's newest per_app releases (GC keeps them). */
int	store_images_kept(struct store *, int per_app, json_t **,
	    struct perr *);

/* store_now() writes the current UTC time in our format. */
void	store_now(char out[STORE_TIME_LEN + 1]);
/* store_uuid() writes a random version 4 UUID. */
void	store_uuid(char out[STORE_ID_LEN + 1]);

#endif
