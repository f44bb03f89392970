#ifndef PAAS_CMD_H
#define PAAS_CMD_H

#include "cli.h"

/*
 * Every command, as listed in main.c's table. Arguments are the
 * command's positional arguments; counts are checked by main() against
 * the table before the call.
 */
cli_cmd_fn	cmd_apps;
cli_cmd_fn	cmd_apps_create;
cli_cmd_fn	cmd_apps_destroy;
cli_cmd_fn	cmd_apps_info;
cli_cmd_fn	cmd_maintenance;
cli_cmd_fn	cmd_maintenance_on;
cli_cmd_fn	cmd_maintenance_off;
cli_cmd_fn	cmd_config;
cli_cmd_fn	cmd_config_get;
cli_cmd_fn	cmd_config_set;
cli_cmd_fn	cmd_config_unset;
cli_cmd_fn	cmd_releases;
cli_cmd_fn	cmd_releases_info;
cli_cmd_fn	cmd_rollback;
cli_cmd_fn	cmd_domains;
cli_cmd_fn	cmd_domains_add;
cli_cmd_fn	cmd_domains_remove;
cli_cmd_fn	cmd_ps_scale;
cli_cmd_fn	cmd_ps_resize;
cli_cmd_fn	cmd_git_remote;
cli_cmd_fn	cmd_logs;
cli_cmd_fn	cmd_keys;
cli_cmd_fn	cmd_buildpacks;
cli_cmd_fn	cmd_buildpacks_set;
cli_cmd_fn	cmd_buildpacks_add;
cli_cmd_fn	cmd_buildpacks_clear;
cli_cmd_fn	cmd_ps;
cli_cmd_fn	cmd_apps_settings;
cli_cmd_fn	cmd_run;
cli_cmd_fn	cmd_run_detached;
cli_cmd_fn	cmd_ps_restart;
cli_cmd_fn	cmd_ps_stop;
cli_cmd_fn	cmd_builds;
cli_cmd_fn	cmd_builds_output;
cli_cmd_fn	cmd_keys_add;
cli_cmd_fn	cmd_keys_remove;
cli_cmd_fn	cmd_tokens;
cli_cmd_fn	cmd_tokens_create;
cli_cmd_fn	cmd_tokens_revoke;
cli_cmd_fn	cmd_git_credentials;

#endif
