/*  cmd_backup.c: cdx backup -o DIR, cdx backup verify DIR, cdx restore
    DIR --home NEW.

    The node makes the backup and checks and restores it (node/backup.h);
    here the backup's directory and files are created, as the user running
    the command (through a running node: by the caller, handed over as
    descriptors), and the outcome printed.
    Not for: what a backup holds or how it is checked (node/backup.c,
    node/restore.c).
*/
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "cli.h"
#include "show.h"

/* ---- where the files go: made by whoever runs the command ------------------ */

/* Through a running node these are made by the caller, with the caller's
   rights, and handed over as descriptors (cli_out_dir, cli_out_new). */
typedef struct {
    cli_t *cli;
    const char *dir;
} s_out_t;

/* Makes the backup's directory, 0700: a new one. */
static int s_out_dir (void *arg, char *err, size_t errlen)
{
    const s_out_t *o = arg;
    char abs[CLI_PATH_MAX];
    int fd = cli_out_dir (o->cli, o->dir, abs, sizeof abs, err, errlen);
    if (fd < 0) {
        if (errno == EEXIST)
            snprintf (err, errlen, "%s exists: a backup goes into a new directory (choose another name)",
                      o->dir);
        return -1;
    }
    close (fd);
    return 0;
}

/* A new file NAME in the backup's directory, 0600, never taken back once
   named (the manifest, written last, is what makes the backup whole). */
static node_outfile_t *s_out_file (void *arg, const char *name, char *err, size_t errlen)
{
    const s_out_t *o = arg;
    char path[4096];
    if (snprintf (path, sizeof path, "%s/%s", o->dir, name) >= (int) sizeof path) {
        snprintf (err, errlen, "the backup's path is too long");
        return NULL;
    }
    return cli_out_new (o->cli, path, 0600 | CLI_OUT_FINAL, err, errlen);
}

/* ---- the commands ------------------------------------------------------------ */

static void s_json_info (const node_backup_info_t *i)
{
    printf ("\"org\":");
    show_json (stdout, i->org);
    printf (",\"fingerprint\":\"%s\",\"created\":\"%s\",\"schema\":%d,\"audit_seq\":%" PRId64
            ",\"audit_hash\":\"%s\",\"files\":%" PRId64 ",\"bytes\":%" PRId64 ",\"datasets\":%" PRId64,
            i->fingerprint, i->created, i->schema, i->audit_seq, i->audit_hash, i->files, i->bytes, i->datasets);
}

static int s_verify (cli_t *cli, const char *dir)
{
    node_t *live = NULL;
    int rc;
    if (cli->home_set && (rc = cli_open (cli, &live)) != 0)
        return rc;
    node_backup_report_t r;
    char err[NODE_ERR_MAX];
    rc = node_backup_verify (dir, live, &r, err, sizeof err);
    node_close (&live);
    if (rc != 0)
        return cli_fail ("%s", err);
    if (cli->json) {
        printf ("{\"ok\":%s,\"problem\":", r.ok ? "true" : "false");
        show_json_opt (stdout, r.ok ? NULL : r.problem);
        printf (",\"file\":");
        show_json_opt (stdout, r.ok ? NULL : r.file);
        printf (",\"key\":\"%s\",", r.key);
        s_json_info (&r.info);
        printf ("}\n");
    } else if (r.ok) {
        show_printf (stdout, "backup %s verified: node %s, made %s, %" PRId64 " files (%" PRId64 " sealed datasets, "
                     "%" PRId64 " bytes), store schema %d, audit log to seq %" PRId64 ", signed by key %s (%s)\n",
                     dir, r.info.org, r.info.created, r.info.files, r.info.datasets, r.info.bytes, r.info.schema,
                     r.info.audit_seq, r.info.fingerprint,
                     strcmp (r.key, "old") == 0 ? "an old key of this node: its keys were rotated after the backup"
                     : strcmp (r.key, "current") == 0 ? "this node's current key" : "the key in the backup");
    }
    if (!r.ok)
        show_printf (stderr, "cdx: backup %s refused%s%s%s: %s\n", dir, r.file[0] ? " (" : "", r.file,
                     r.file[0] ? ")" : "", r.problem);
    return r.ok ? CLI_EXIT_OK : CLI_EXIT_REFUSED;
}

int cmd_backup (cli_t *cli, int argc, char **argv)
{
    enum { O_OUTPUT, O_JSON, O_COUNT };
    static const cli_opt_t opts[O_COUNT] = {{"output", 1, 'o', "make"}, {"json", 0, 0, NULL}};
    const char *got[O_COUNT];
    int rc = 0;
    if (cli_parse (cli, "backup", opts, O_COUNT, argc, argv, got, NULL, &rc) != 0)
        return rc;
    if (argc - optind == 2 && strcmp (argv[optind], "verify") == 0) {
        if ((rc = cli_forms ("backup", "verify", opts, O_COUNT, got)) != 0)
            return rc;
        if (cli->conn)      /* it reads the caller's files: never as the node */
            return cli_bad ("cdx backup verify DIR runs as you, without the node: give its options after "
                            "verify (cdx backup verify [--home HOME] [--json] DIR)");
        return s_verify (cli, argv[optind + 1]);
    }
    if (!got[O_OUTPUT] || argc - optind != 0)
        return cli_usage ("backup");
    node_t *n;
    if ((rc = cli_open (cli, &n)) != 0)
        return rc;
    s_out_t o = {cli, got[O_OUTPUT]};
    cli_progress_t prog;
    node_backup_out_t out = {s_out_dir, s_out_file, &o, cli_progress_fn (&prog, "backing up"), &prog};
    node_backup_info_t info;
    int done = node_backup (n, &out, &info) == 0;
    cli_progress_end (&prog);
    if (!done) {
        rc = cli_refused (n);
        node_close (&n);
        return rc;
    }
    node_close (&n);
    if (cli->json) {
        printf ("{\"dir\":");
        show_json (stdout, o.dir);
        printf (",");
        s_json_info (&info);
        printf ("}\n");
    } else
        show_printf (stdout, "backup of %s written to %s: %" PRId64 " files (%" PRId64 " sealed datasets, %" PRId64
                     " bytes), audit log to seq %" PRId64 "; check it with cdx backup verify %s\n",
                     info.org, o.dir, info.files, info.datasets, info.bytes, info.audit_seq, o.dir);
    return CLI_EXIT_OK;
}

int cmd_restore (cli_t *cli, int argc, char **argv)
{
    enum { O_JSON, O_COUNT };
    static const cli_opt_t opts[O_COUNT] = {{"json", 0, 0, NULL}};
    const char *got[O_COUNT];
    int rc = 0;
    if (cli_parse (cli, "restore", opts, O_COUNT, argc, argv, got, NULL, &rc) != 0)
        return rc;
    if (argc - optind != 1)
        return cli_usage ("restore");
    if (!cli->home_set)
        return cli_bad ("cdx restore needs --home NEW: the new home to restore into (it must not exist, or be "
                        "empty)");
    node_backup_report_t r;
    char err[NODE_ERR_MAX];
    if (node_restore (argv[optind], cli->home, &r, err, sizeof err) != 0) {
        cli_fail ("%s", err);
        return r.ok ? CLI_EXIT_FAIL : CLI_EXIT_REFUSED;
    }
    if (cli->json) {
        printf ("{\"home\":");
        show_json (stdout, cli->home);
        printf (",");
        s_json_info (&r.info);
        printf ("}\n");
    } else
        show_printf (stdout, "restored node %s into %s from the backup made %s (audit log to seq %" PRId64
                     "); cdx run --home %s asks its publishers for the versions received since\n",
                     r.info.org, cli->home, r.info.created, r.info.audit_seq, cli->home);
    return CLI_EXIT_OK;
}
