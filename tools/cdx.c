/*  cdx: the command line of a cdx node: main and the command table.

    One cmd_<verb> function per subcommand, in one file per group of verbs
    (cmd_node.c, cmd_peers.c, cmd_data.c, cmd_wait.c, cmd_agreement.c,
    cmd_audit.c, cmd_authority.c, cmd_users.c), dispatched from
    s_commands[], whose help strings also make `cdx --help`. What the
    commands share is cli.h; everything else is the node library's
    (node/node.h). Human output by default, --json for scripts, errors on
    stderr naming the fix. Exit codes are listed in s_exit_help (cli.h).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>

#include "cdx_version.h"
#include "cli.h"
#include "cx.h"
#include "manpage.h"
#include "show.h"

static const char *s_exit_help =
    "Exit codes:\n"
    "  0  success\n"
    "  1  the operation failed (the reason is on stderr), e.g. a home this account may not read\n"
    "  2  bad command line: an option missing (--purpose on export), a stray argument, or a value\n"
    "     out of its grammar, vocabulary or range (--org 0df, --class pseudonymized, --role CCG);\n"
    "     nothing is done or audited (see cdx VERB --help)\n"
    "  3  no node at the home directory (run cdx init)\n"
    "  4  refused by a rule (a signature, a key, a policy, a role): the audit log records it\n"
    "  5  timed out\n"
    "  6  cdx audit reconcile found mismatches\n"
    "  7  cdx status, cdx report: the node needs attention (the reason is on stderr, in one line);\n"
    "     cdx drill: no sibling took over\n";

static const cli_command_t s_commands[] = {
    {"init", cmd_init, "init --org CODE [--node LABEL] --role csu|ccg --name NAME --endpoint tcp://HOST:PORT",
     "Create a node: its keys (0600 files) and its store, in --home.",
     "  --org CODE        the organisation's ODS code, e.g. 0DF (a CSU) or 04V (a CCG)\n"
     "  --node LABEL      one of several nodes of the organisation: 1 to 8 of a-z, 0-9, a letter\n"
     "                    first (e.g. a, b); the node's address is then CODE/LABEL (0DF/b). Each\n"
     "                    node has its own keys and its own certificate (cdx authority certify)\n"
     "  --role ROLE       csu or ccg\n"
     "  --name NAME       display name, e.g. \"NHS Arden and GEM CSU\"\n"
     "  --endpoint URL    where peers reach this node, tcp://HOST:PORT\n"
     "Refuses to overwrite an existing node.\n"
     "Example: cdx init --home /srv/cdx --org 0DF --role csu --name \"Example CSU\" --endpoint tcp://10.0.0.5:7101\n"},
    {"card", cmd_card, "card", "Print this node's signed identity card.",
     "The card names the node and carries its public keys, signed by the node.\n"
     "Give it to each peer (cdx peer add on their side), and check its fingerprint with them by phone.\n"},
    {"peer", cmd_peer, "peer add FILE", "Verify another node's card (pinning) or certificate and trust it.",
     "  FILE   a card printed by cdx card on the other node, or its certificate from the authority\n"
     "         (- for stdin)\n"
     "A card's self-signature is verified and the peer is pinned by hand (recorded as trust.pinned);\n"
     "a certificate is verified with the trusted authority's key (cdx trust) and the peer is\n"
     "certified. The peer may then connect (CURVE + ZAP) and exchange data.\n"
     "Exit code 4 if the card or certificate is altered, malformed, expired or revoked, or if a card\n"
     "claims an organisation the authority certified with other keys (trust.wrong-key).\n"},
    {"peers", cmd_peers, "peers [--json]", "List the peers this node trusts.",
     "One line per peer: org, role, name, endpoint, signing-key fingerprint, how it is trusted\n"
     "(pinned by hand, or certified by the authority), its DSPT status and year, and when its\n"
     "certificate ends (EXPIRED or REVOKED when it is barred), and whether the running node is\n"
     "connected to it now or when it last saw it (connected, lost the connection, or was seen\n"
     "connected: refreshed every minute); \"?\" when no node runs on this home to know.\n"
     "  --json   a JSON array: org, role, name, endpoint, fingerprint, trust, added, dspt,\n"
     "           dspt_year, not_after, revoked, status, connected (true, false, or null when no\n"
     "           node runs), last_seen (UTC, or null if never)\n"},
    {"trust", cmd_trust, "trust --authority FILE",
     "Trust a national authority (its authority.pub file).",
     "The authority's signed directory then certifies peers (cdx directory import). A node trusts\n"
     "one authority; check the file's key fingerprint with the authority by another channel.\n"
     "Exit code 4 if the file is altered or another authority is already trusted.\n"},
    {"directory", cmd_directory, "directory import FILE | directory [show] [--json]",
     "Import the authority's signed directory, or show the one held.",
     "import FILE   verify FILE with the trusted authority's key and apply it: its certified nodes\n"
     "              become peers (trust certified, DSPT and expiry filled), revoked keys are barred\n"
     "              (sessions closed, deliveries to them held). Refused (exit code 4, audited) if\n"
     "              forged or altered (trust.directory-forged), not newer than the one held\n"
     "              (trust.directory-old), or expired for more than 7 days\n"
     "              (trust.directory-expired).\n"
     "show          the serial and expiry of the directory held.\n"},
    {"keys", cmd_keys, "keys rotate", "Replace this node's keys (the node must be stopped).",
     "New signing, box and CURVE keys and a new signed card (printed). The old keys are kept in\n"
     "HOME/keys/old: datasets received or queued before stay readable, transfers in progress\n"
     "resume, and older audit checkpoints still verify. Peers learn the new keys from the\n"
     "authority's next directory once it certifies the new card (or by pinning the new card).\n"},
    {"authority", cmd_authority,
     "authority init --name NAME | certify CARD --dspt STATUS --dspt-year YYYY/YY [--days N] [-o FILE]\n"
     "                 | revoke (--node ADDRESS | --org CODE | --key FINGERPRINT) [--reason TEXT]\n"
     "                 | directory [--days N] -o FILE | list [--json]",
     "Run the national authority: certify nodes, revoke keys, sign the directory.",
     "Every authority command needs --home DIR (the authority's home, not a node's), or\n"
     "CDX_AUTHORITY_HOME.\n"
     "init --name NAME        create the authority's Ed25519 key (0600) and DIR/authority.pub, the file\n"
     "                        every node trusts (cdx trust --authority)\n"
     "certify CARD            issue a certificate for a node's card (its self-signature verified):\n"
     "  --dspt STATUS         standards-exceeded | standards-met | approaching-standards |\n"
     "                        standards-not-met\n"
     "  --dspt-year YYYY/YY   the DSPT assessment year, e.g. 2025/26\n"
     "  --days N              valid for N days from now (default 365); or --not-before and\n"
     "                        --not-after YYYY-MM-DDTHH:MM:SSZ\n"
     "  -o, --output FILE     write it there (default: stdout)\n"
     "                        A card whose key is certified for another node, or revoked, is\n"
     "                        refused (exit code 4). An organisation may have several nodes, each\n"
     "                        with its label (cdx init --node LABEL): a card of a known org and\n"
     "                        label replaces that node's certificate, a new label adds a sibling.\n"
     "revoke --node ADDRESS   revoke one node (ORG, or ORG/LABEL such as 0DF/b); its siblings stay\n"
     "                        certified. --org CODE revokes every node of an organisation,\n"
     "                        --key FINGERPRINT one signing key\n"
     "  --reason TEXT         recorded in DIR/authority.log\n"
     "directory -o FILE       sign a directory of every current certificate and every revocation, with\n"
     "                        the next serial; it expires in --days N (default 7) or at --expires TIME\n"
     "list [--json]           every certificate issued, by serial: the node's address, its signing\n"
     "                        key, and whether it is current, replaced by a newer one of the same\n"
     "                        node, revoked or expired\n"},
    {"user", cmd_user,
     "user add LOGIN --role ROLE[,ROLE]\n       cdx user remove LOGIN [--role ROLE[,ROLE]]\n"
     "       cdx user list [--json]",
     "Manage local users (operating-system logins) and their roles.",
     "Roles:\n"
     "  admin        peers, users and subscriptions (changes to what this node trusts)\n"
     "  publisher    cdx publish\n"
     "  analyst      cdx export, with --purpose the dataset was published for\n"
     "  ig-officer   cdx audit (review, verify, export, reconcile) and cdx retention\n"
     "cdx init makes the account that ran it admin and nothing else: data roles are granted\n"
     "explicitly, and every grant, removal and refusal is in the audit log.\n"
     "  add LOGIN --role R      give LOGIN the roles R (adds to those it holds)\n"
     "  remove LOGIN            remove LOGIN and all its roles\n"
     "  remove LOGIN --role R   take the roles R away\n"
     "  list [--json]           the users and their roles (admin or ig-officer)\n"
     "add and remove need admin; the last admin cannot be removed.\n"
     "Who acts is the login running the command: the running node learns it from the kernel\n"
     "(the control socket's peer credentials); no environment variable changes it.\n"
     "Exit code 4 when refused for want of a role.\n"},
    {"backup", cmd_backup, "backup -o DIR [--json]\n       cdx backup verify DIR [--json]",
     "Copy this node's home into DIR, while it runs; or check such a copy.",
     "  -o, --output DIR  a new directory, made 0700 by the login running the command, with\n"
     "                    its files (0600): the store (a consistent copy, SQLite's online backup\n"
     "                    API), the key files as they are (keys/ and\n"
     "                    keys/old/, protected by a passphrase or not), the sealed file of every\n"
     "                    dataset the copied store names, and MANIFEST: every file's size and\n"
     "                    BLAKE2b hash, the store's schema, the audit log's last seq and hash,\n"
     "                    the org, the time, signed with the node's signing key. Needs the admin\n"
     "                    role: a backup holds the keys (keep it where only the node's operators\n"
     "                    can read it). Audited (action backup). Progress on a terminal.\n"
     "verify DIR          checks a backup without a node: the manifest's signature (with --home,\n"
     "                    also that the key is this node's, current or old: \"old\" means its keys\n"
     "                    were rotated after the backup), every file's size and hash, the store's\n"
     "                    integrity and its audit chain up to the manifest's seq. Exit code 4\n"
     "                    with the first problem named.\n"
     "  --json            {ok, problem, file, key, org, fingerprint, created, schema, audit_seq,\n"
     "                    audit_hash, files, bytes, datasets}\n"
     "Restore with cdx restore DIR --home NEW.\n"},
    {"restore", cmd_restore, "restore DIR --home NEW [--json]",
     "Make a new home from a backup (cdx backup), checked first.",
     "  DIR          a backup made by cdx backup -o DIR\n"
     "  --home NEW   the home to make: it must not exist, or be an empty directory; nothing is\n"
     "               ever overwritten\n"
     "The backup is verified first (as cdx backup verify: exit code 4, nothing created, if it\n"
     "fails). The home is made as cdx init makes one (directories 0700, files 0600), the store\n"
     "is migrated to this version's schema, and the audit log records the restore: the backup's\n"
     "time, seq and hash, and that entries written after that seq are not in this store; cdx\n"
     "audit verify passes. When the restored node runs, it asks each publisher it subscribes\n"
     "to for the versions it received after the backup (they are sent again; what it holds is\n"
     "not). Run it at the old node's endpoint (stop the old node first), or its peers cannot\n"
     "reach it. Its keys are the backup's: if the node's keys were rotated after the backup,\n"
     "peers know only the newer ones and refuse it; restore a backup made after the rotation.\n"},
    {"run", cmd_run, "run [--bind ENDPOINT] [--socket-group GROUP] [--log-level LEVEL] [--metrics ADDR:PORT]\n"
     "           [--takeover SECONDS]",
     "Run the node in the foreground until SIGTERM, SIGINT or SIGHUP.",
     "Listens on the node's endpoint, admits only added peers, sends queued datasets, receives\n"
     "and verifies incoming ones. Commands run meanwhile (publish, subscribe, peer add) take\n"
     "effect at once, so there is nothing to reload: SIGHUP stops the node like SIGTERM and\n"
     "SIGINT, cleanly (transfers made durable, a stop entry naming the signal and a signed audit\n"
     "checkpoint written), and a service manager restarts it if it should run on.\n"
     "Logs to stderr, a line per event: UTC time, cdx[ORG], level, message. When stderr is the\n"
     "journal (JOURNAL_STREAM), each line starts with its syslog priority (<3> error, <4>\n"
     "warning, <6> info, <7> debug) instead of the time. Under systemd (NOTIFY_SOCKET) it reports\n"
     "READY=1 once listening, a STATUS= line (peers connected, deliveries queued, transfers),\n"
     "WATCHDOG=1 at half of WatchdogSec, and STOPPING=1 (dist/systemd/cdx@.service, cdx(1)).\n"
     "  --bind ENDPOINT     listen here instead of the card's endpoint (behind a proxy or NAT)\n"
     "  --socket-group GROUP  the group whose members may connect to the control socket\n"
     "                      (default: the node's own group)\n"
     "  --log-level LEVEL   error, warning, info (the default) or debug: lines below it are not\n"
     "                      written\n"
     "  --metrics ADDR:PORT serve Prometheus metrics on http://ADDR:PORT/metrics (ADDR numeric:\n"
     "                      127.0.0.1, 0.0.0.0 or [::1]; nothing is served elsewhere, and a port in\n"
     "                      use stops cdx run with the reason). It asks no login and names peers,\n"
     "                      topics and agreements: bind it to loopback or a management network.\n"
     "                      docs/OPERATIONS.md names the metrics.\n"
     "  --takeover SECONDS  a sibling node (another node of this organisation) unreachable this\n"
     "                      long has the deliveries of what was published at it taken over by\n"
     "                      this node, if it is the first reachable holder by address (default\n"
     "                      15, protocol/SPEC.md 11.5; every node of an organisation should use\n"
     "                      the same value)\n"
     "The node alone holds the keys and the store while it runs: every other command, run by any\n"
     "login, reaches it through its control socket (mode 0660; cdx --help says where it is), which\n"
     "learns the caller's login from the kernel, checks its roles and audits under it. Files the\n"
     "caller names are opened by the caller and handed over. Refuses to start if a node already\n"
     "answers there; a socket nobody answers at is replaced.\n"},
    {"publish", cmd_publish, "publish --topic TOPIC --class CLASS --purpose PURPOSE FILE",
     "Seal, sign and store a new version of a dataset; queue it for every subscriber.",
     "  --topic TOPIC      e.g. sus/apc/monthly (letters, digits, . _ / -)\n"
     "  --class CLASS      aggregate | pseudonymised | identifiable\n"
     "  --purpose PURPOSE  commissioning | invoice-validation | risk-stratification\n"
     "  --supersedes       this version replaces older ones: subscribers that have not started\n"
     "                     receiving an older version get only this one\n"
     "  --correction       this version corrects an earlier one (recorded with it)\n"
     "  --retention TIME   keep trying to deliver for TIME: days, or 36h, 90m, 30s (default 14\n"
     "                     days, at most 3650); then undelivered copies expire and are reported\n"
     "  --legal-basis TEXT the legal basis (Article 6, Article 9, common-law duty); required for\n"
     "                     identifiable data\n"
     "  --opt-out STATUS   National Data Opt-outs: yes (applied) | statutory-exemption |\n"
     "                     not-identifiable (the default, refused for identifiable data)\n"
     "  --agreement REF    onward sharing: the data was received under agreement REF, which must\n"
     "                     allow it\n"
     "  --copies N         at a node with siblings (other nodes of its organisation): succeed only\n"
     "                     once N of them hold a copy (default 1 with siblings, 0 without; at most\n"
     "                     the number of siblings)\n"
     "  --copy-timeout SECONDS\n"
     "                     how long to wait for those copies (default 120)\n"
     "A copy to each sibling is queued with the dataset (no agreement asked: the data stays in\n"
     "the organisation; rule sibling.copy), so that the dataset survives the loss of this node.\n"
     "If fewer than N siblings hold it in time, cdx publish names those that lack it and exits 7:\n"
     "the dataset is published here all the same and its copies stay queued (cdx deliveries).\n"
     "Each delivery needs a signed agreement in force with the subscriber covering the topic,\n"
     "class and purpose (cdx agreement); the policy decides at send time (docs/IG-RULES.md).\n"
     "Prints the dataset id. Works whether or not cdx run is running. Each publish to a topic\n"
     "makes its next version. Exit code 4 if a rule refuses it (role.missing, policy.legal-basis,\n"
     "policy.opt-out, policy.onward: audited with the file and the purpose claimed); 2 if a value\n"
     "is not in its vocabulary (--class, --purpose, --opt-out); 7 if the copies asked for are not\n"
     "held in time. --json: {id, topic, version, copies_wanted, copies_held, copies_missing}.\n"},
    {"subscribe", cmd_subscribe, "subscribe --from ORG --topic TOPIC [--history VERSION]",
     "Ask a publisher for a topic.",
     "  --from ORG          the publisher's ODS code (an added peer)\n"
     "  --topic TOPIC       the topic to receive\n"
     "  --history VERSION   also receive every version from VERSION (1 or more) on (default: the\n"
     "                      latest only)\n"},
    {"unsubscribe", cmd_unsubscribe, "unsubscribe (--from PUBLISHER | --subscriber ORG) --topic TOPIC",
     "End a subscription.",
     "  --from PUBLISHER   as subscriber: stop receiving TOPIC from PUBLISHER (the node tells it)\n"
     "  --subscriber ORG   as publisher: stop sending TOPIC to ORG\n"
     "Deliveries of TOPIC that have not completed are cancelled at the publisher.\n"},
    {"wait", cmd_wait, "wait (ID | --topic TOPIC [--from ORG]) [--timeout SECONDS]",
     "Wait until a dataset is available here (subscriber) or delivered to every subscriber (publisher).",
     "ID is a dataset id, or the first 4 or more digits of one held here (unique).\n"
     "Subscriber: shows bytes, rate and ETA on a terminal. Publisher: shows, for each\n"
     "subscriber, its bytes, rate and ETA, or why it waits (offline, waiting for earlier\n"
     "versions, retrying, refused: RULE; as in cdx deliveries), on stderr: redrawn on a\n"
     "terminal, otherwise a line when that changes and every 5 s while a transfer moves.\n"
     "Rates count only what moved while waiting (or in the attempt under way).\n"
     "  --topic TOPIC       wait for the next version of TOPIC (after the newest held now) to\n"
     "                      be available, and print its id: ID=$(cdx wait --topic T)\n"
     "  --from ORG          with --topic: from this publisher only\n"
     "  --timeout SECONDS   give up after this long (exit code 5), fractions allowed, at most a\n"
     "                      year; default: wait for ever\n"
     "Exit code 0 when done, 1 if the dataset or a delivery failed or expired.\n"},
    {"retention", cmd_retention,
     "retention set --from ORG --topic TOPIC PERIOD\n"
     "       cdx retention set --published --topic TOPIC (PERIOD | --delivered [PERIOD])\n"
     "       cdx retention list [--json]",
     "Set how long the content of datasets, received or published here, is kept.",
     "  set --from ORG --topic TOPIC PERIOD\n"
     "        content of TOPIC received from ORG is destroyed PERIOD after it began to arrive:\n"
     "        DAYS, or a number with s, m, h or d (90d, 36h, 30s), at most 36500 days.\n"
     "        ORG is an ODS code, TOPIC a topic (A-Za-z0-9._/-). Applies to what is held\n"
     "        already. Needs the ig-officer role.\n"
     "  set --published --topic TOPIC PERIOD\n"
     "        the sealed copy of each version of TOPIC this node published is destroyed PERIOD\n"
     "        after publication; deliveries not completed by then expire (one under way\n"
     "        finishes first)\n"
     "  set --published --topic TOPIC --delivered [PERIOD]\n"
     "        ... destroyed as soon as every delivery of the version has ended (delivered,\n"
     "        expired, superseded, cancelled or failed) and a newer version exists; PERIOD,\n"
     "        if given, is the longest it is kept. A subscriber asking for history later gets\n"
     "        the versions still held.\n"
     "  list [--json]   the rules set (JSON: publisher, topic, seconds, published, delivered,\n"
     "                  set_by, updated, origin: the sibling where it was set, null here)\n"
     "The running node (cdx run) destroys the content (the sealed file and this node's wrapped\n"
     "content key) and keeps the metadata with state erased (cdx datasets); each erasure is\n"
     "audited (action erase, rule retention.expired or retention.delivered). Without a rule,\n"
     "content is kept.\n"},
    {"subscriptions", cmd_subscriptions, "subscriptions [--json]",
     "List subscriptions, as subscriber and as publisher.",
     "States: requested (asked for, no answer yet: sent again every 15 s while the publisher is\n"
     "connected), active, refused (the publisher answered DENIED: its rule and reason are shown with\n"
     "the command that fixes it, e.g. cdx agreement propose ...; it is asked for again 5 minutes after\n"
     "the refusal, and at once when cdx run connects to the publisher or an agreement changes),\n"
     "ending, ended.\n"
     "  --json   a JSON array of {publisher, subscriber, topic, state, from_version, updated, rule,\n"
     "           reason, fix, retry, origin}: rule, reason, fix and retry (UTC) are null unless\n"
     "           refused; origin is the sibling where it was last set, null for this node\n"
     "A subscription made at any node of the organisation reaches its siblings (SETTING).\n"},
    {"datasets", cmd_datasets, "datasets [--json]", "List the datasets this node holds.",
     "One line per dataset: id, topic, version, publisher, bytes, class, state.\n"
     "state is available once a received dataset is complete and verified (and for what this\n"
     "node published), erased once its retention has ended (content destroyed, metadata kept:\n"
     "cdx retention); a retention rule that applies is shown after the state.\n"
     "  --json   a JSON array of objects: id, topic, version, publisher, bytes, class, purpose,\n"
     "           state, origin (published | received), chunks, chunks_held, blake2b, filename,\n"
     "           agreement (the agreement it was received under), retention (the rule that\n"
     "           destroys its content, or null), erase_by (when at the latest, or null), erased\n"
     "           (when it was, or null), created\n"},
    {"status", cmd_status, "status [--json] [--days N]",
     "Show how the node is; exit 7 when something needs attention (a monitoring check).",
     "Running since (or when it stopped), version, endpoint; this node's certificate and the\n"
     "directory held; each peer: connected now, last seen, DSPT, its queue (queued, sending, the\n"
     "oldest waiting); the transfers in progress (bytes, rate and ETA as the running node\n"
     "recorded them, at most a second old; a transfer arriving shows what is durable so far);\n"
     "the agreements in force that end within 30 days; the audit log's last signed checkpoint;\n"
     "the free space of the home's file system.\n"
     "Any local user holding a role on the node may read it; a login with none is refused (exit 4,\n"
     "audited as status-read).\n\n"
     "Exit code 7, with the first reason on stderr in one line, when one of these holds:\n"
     "  not-running          no node runs on the home\n"
     "  certificate          this node's certificate has ended, or ends within --days (14)\n"
     "  directory            the directory held has expired, or expires within 48 hours\n"
     "  disk                 under 5% or under 1 GiB free on the home's file system\n"
     "  peer-offline         a peer with deliveries waiting has been unreachable for 24 hours\n"
     "  deliveries-failing   deliveries whose last attempt failed, after 5 attempts or more\n"
     "  checkpoint           audit entries not covered by a signed checkpoint for 24 hours\n"
     "  --days N   warn of the certificate's end N days before it (default 14)\n"
     "  --json     one JSON object (docs/JSON.md), with attention: [{kind, reason}] and ok\n"
     "Example (a check every minute): cdx status --home /var/lib/cdx/csu >/dev/null || alert\n"},
    {"report", cmd_report, "report resilience [--since 90d|DATE] [--until DATE] (-o FILE.html | --json [-o FILE])",
     "Write the evidence of this node's resilience over a period: one HTML page, or JSON.",
     "What the node recorded, over the period: time in service and every outage (from its start\n"
     "and stop entries; a start with no stop before it is an unclean stop, its outage counted from\n"
     "the last entry before that start); datasets received per publisher and the time from\n"
     "publication to available (median, p95, worst); deliveries failed or expired, by reason;\n"
     "transfers resumed and restarts survived; failovers between sibling nodes and drills (the\n"
     "last drill's date and duration); backups taken and the last restore; the audit chain\n"
     "verified (as cdx audit verify) and the last entry a signed checkpoint covers; this node's\n"
     "certificate and DSPT status (the directory held); agreements in force and those ending\n"
     "within 30 days; the bytes received and delivered over the time spent transferring them.\n"
     "The page is self-contained (no script, no external style, font or image), its charts inline\n"
     "SVG, printable on A4; every figure it shows that the JSON holds carries the JSON key\n"
     "(data-k). Needs the admin or ig-officer role (a refusal is audited: report-read); the\n"
     "report itself writes nothing into the audit log.\n"
     "  --since WHEN     the period's start: a duration back from now (90d, 12h, 30m) or a date\n"
     "                   (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ); default 90d\n"
     "  --until DATE     the period's end (a bare date: its last second); default now\n"
     "  -o, --output FILE   write the page (or with --json, the JSON) to FILE, a new file\n"
     "  --json           JSON instead of the page (stdout unless -o): the same figures, same keys\n"
     "Exit code 7, with the reason on stderr in one line, when the report finds something that\n"
     "needs attention: an audit chain that does not verify, this node's certificate ended, or a\n"
     "DSPT status that does not meet the standards (the file is written all the same).\n"
     "Example: cdx report resilience --since 90d -o resilience.html\n"
     "Example: cdx report resilience --since 2026-01-01 --until 2026-03-31 --json > q1.json\n"},
    {"drill", cmd_drill, "drill failover [--seconds N] [--json]",
     "Prove that a sibling node takes over: this node goes dark on purpose, then reports the takeover.",
     "For an organisation with several nodes (siblings, SPEC.md 11.5). The running node makes itself\n"
     "unreachable for N seconds: it closes the socket peers reach it on and its connections to them\n"
     "and sends nothing (a transfer under way stops, to be resumed later, as after a lost\n"
     "connection). A sibling that finds it unreachable for its takeover time (cdx run --takeover,\n"
     "default 15 s) takes over its deliveries. Then the node listens and connects again, as at its\n"
     "start, and waits up to 30 s for the sibling to report the takeover (FAILOVER). The outcome is\n"
     "audited by the node (action drill, rule sibling.drill: allow \"MS ms: ADDR took over N\n"
     "deliveries\", or refuse \"MS ms: no sibling took over within S s\") and counted in cdx report\n"
     "resilience. A drill with no deliveries waiting passes too: each sibling that saw this node\n"
     "unreachable for longer than its takeover time reports a takeover of 0 deliveries.\n"
     "Peers other than the siblings see an outage of N seconds: run a drill when one is acceptable.\n"
     "Needs the admin role (a refusal is audited, exit 4), the node running (cdx run) and a\n"
     "sibling connected (cdx peers); one drill at a time. Progress on a terminal (dark, back,\n"
     "waiting for the sibling).\n"
     "  --seconds N   dark for N seconds, 1 to 3600, longer than the node's takeover time\n"
     "                (default: the takeover time + 15 s)\n"
     "  --json        {passed, took_ms, by, deliveries, dark_s} (docs/JSON.md); took_ms, by and\n"
     "                deliveries are null when it failed\n"
     "Exit code 0 if a sibling took over, 7 if none did, 5 if the node did not report in time.\n"
     "Example: cdx drill failover --home /var/lib/cdx/csu-a\n"
     "Example: cdx drill failover --seconds 60 --json\n"},
    {"deliveries", cmd_deliveries, "deliveries [--json]",
     "List deliveries to subscribers: queued, sending, delivered (with a signed receipt), failed, expired.",
     "Oldest first. Queued: why it waits, as the running node knows it: offline (the subscriber\n"
     "is not connected), waiting for earlier versions (one transfer per subscriber, in order),\n"
     "retrying (after the last attempt's error, e.g. the subscriber's disk is full, with\n"
     "back-off), held (the subscriber is barred), node not running. Sending: MiB acknowledged,\n"
     "the rate of this attempt alone (bytes a resumed transfer already had are not counted) and\n"
     "the ETA at that rate, or \"stalled\" when nothing moved for 5 s. Delivered: with the\n"
     "subscriber's signed receipt. Failed (\"refused: RULE\" for a policy refusal), expired,\n"
     "superseded, cancelled: why. A copy to a sibling (another node of this organisation, its\n"
     "address as subscriber, SPEC.md 11.5) is marked \"(copy to a sibling)\".\n\n"
     "  --json   a JSON array: dataset, topic, version, subscriber, state, status (the words\n"
     "           above), next_chunk, bytes_done, bytes, session_bytes (this attempt), rate\n"
     "           (bytes/s, this attempt), eta (seconds, or null), stalled (seconds since it\n"
     "           last moved while sending, or null), copy (a copy to a sibling), attempts,\n"
     "           receipt, error, updated\n"},
    {"export", cmd_export, "export (ID | --topic TOPIC [--version N] [--from ORG]) --purpose PURPOSE -o FILE",
     "Decrypt a dataset this node holds into FILE.",
     "  ID                  a dataset id from cdx datasets, or its first 4 or more digits if no\n"
     "                      other dataset's id starts with them\n"
     "  --topic TOPIC       or: the newest version of TOPIC (--version N for another)\n"
     "  --from ORG          the publisher, where several publish the same topic\n"
     "  -o, --output FILE   where to write the plaintext (must not exist; mode 0600)\n"
     "  --purpose PURPOSE   required: what the data is used for; it must be the purpose the\n"
     "                      dataset was published for (commissioning, invoice-validation,\n"
     "                      risk-stratification)\n"
     "Needs the analyst role (cdx user add LOGIN --role analyst, run by an admin).\n"
     "The content is verified against the publisher's signed hash; the export is audited,\n"
     "allowed or refused, with the dataset and the purpose claimed. Exit code 4 if refused (role,\n"
     "purpose, agreement); 2 if --purpose is missing or not one of the purposes.\n"},
    {"agreement", cmd_agreement,
     "agreement propose --ref REF --recipient ORG ... [-o FILE] | sign (REF | FILE) [-o FILE]\n"
     "                 | list [--json] | show REF [--json] | revoke REF [--reason TEXT]",
     "Data sharing agreements: propose, sign, list, show, revoke.",
     "Nothing is sent or accepted without a signed agreement in force between the two organisations\n"
     "covering the topic, class and purpose (deny by default). An agreement is in force from --start\n"
     "to --end once both parties' nodes have signed it; either party may revoke it, which takes effect\n"
     "at both ends. Running nodes exchange agreements and revocations themselves; -o FILE and\n"
     "sign FILE carry one by hand instead.\n"
     "propose:\n"
     "  --ref REF             reference id, e.g. DSA-0DF-04V-2026-01: 1 to 64 of A-Za-z0-9._/-\n"
     "  --provider ORG        the organisation sending the data (default: this node)\n"
     "  --recipient ORG       the organisation receiving it (one of the two is this node)\n"
     "  --provider-ig TEXT    the provider's IG lead;  --recipient-ig TEXT  the recipient's\n"
     "  --controller ORG      the data controller where it is not the provider; --controller-ig TEXT\n"
     "  --topics LIST         comma-separated topics covered; a trailing * matches any rest\n"
     "  --class CLASS         the highest class allowed: aggregate < pseudonymised < identifiable\n"
     "  --purposes LIST       comma-separated: commissioning, invoice-validation, risk-stratification\n"
     "  --art6 TEXT           UK GDPR Article 6 basis, e.g. \"6(1)(e) public task\"\n"
     "  --art9 TEXT           Article 9 condition (required unless aggregate), e.g. \"9(2)(h)\"\n"
     "  --duty TEXT           common-law duty of confidentiality basis (required for identifiable),\n"
     "                        e.g. \"s251 CAG 7-07(a)/2013\"\n"
     "  --opt-out required|not-required   must National Data Opt-outs have been applied\n"
     "  --start WHEN --end WHEN   YYYY-MM-DD (an end date covers that day), YYYY-MM-DDTHH:MM:SSZ, now,\n"
     "                        now+N or now-N with s, m, h or d (start default: now)\n"
     "  --retention DAYS      retention at the recipient, 1 to 36500 days (default 365)\n"
     "  --onward yes|no       may the recipient share the data onward (default no)\n"
     "  --conditions TEXT     special conditions\n"
     "  -o, --output FILE     also write the signed agreement to FILE (- for stdout)\n"
     "States: proposed (a signature missing), pending (not started), in-force, expired, revoked.\n"
     "Exit code 4 if an agreement's signature does not verify or this node is not a party.\n"},
    {"audit", cmd_audit,
     "audit [--since DATE] [--until DATE] [--org ORG] [--dataset TEXT] [--user USER] [--action ACTION]\n"
     "                 [--decision allow|refuse] [--agreement REF] [--wide | --json | --csv]\n"
     "       cdx audit verify [--checkpoint] [--json]\n"
     "       cdx audit export -o FILE\n"
     "       cdx audit reconcile FILE [--json]",
     "Review the audit log, or verify that it is whole.",
     "Every publish, send, receive, refusal and export: seq, UTC time, decision, action, actor\n"
     "(local user, or peer org and key fingerprint), peer, object (a dataset as its id, topic and\n"
     "version), the rule that decided, and the detail: the purpose claimed and the reason.\n"
     "A table under a header row, each column as wide as its widest cell, fitted to the terminal\n"
     "($COLUMNS, else the terminal's width): long cells are cut with an ellipsis and dataset ids\n"
     "shortened to 8 digits (cdx takes a unique prefix of an id). Not on a terminal, or with\n"
     "--wide, every cell is whole. \"no entries\" when nothing matches.\n"
     "Filters combine (all must match):\n"
     "  --since DATE        entries at or after DATE: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC\n"
     "  --until DATE        entries at or before DATE (a bare date: up to the end of that day)\n"
     "  --org ORG           entries about organisation ORG (the peer, or a peer actor of ORG)\n"
     "  --dataset TEXT      entries whose object contains TEXT (a dataset id, topic or version)\n"
     "  --user USER         entries by local user USER\n"
     "  --action ACTION     e.g. publish, offer, receive, deliver, export, connect, peer-add\n"
     "  --decision D        allow or refuse\n"
     "  --agreement REF     entries about agreement REF: its proposal, signatures and revocation,\n"
     "                      and the decisions taken under it or refused by it\n"
     "  --wide              every cell whole, whatever the terminal's width\n"
     "  --json              a JSON array of entries\n"
     "  --csv               CSV (RFC 4180) with a header line: seq, at, actor, action, object,\n"
     "                      peer, purpose, decision, rule, detail, hash\n"
     "cdx audit verify checks the hash chain and the node's signed checkpoints; it names the\n"
     "first entry edited, deleted, inserted or reordered, with its seq, and exits 4 (see\n"
     "cdx audit verify --help).\n"
     "  --checkpoint        with verify: if the log is whole, sign a checkpoint of its last entry\n"
     "cdx audit export -o FILE writes the log as signed JSON for a peer; cdx audit reconcile FILE\n"
     "checks a peer's export and lists every dataset sent but not received, received but not\n"
     "sent, or with another hash (exit 6 if any; see cdx audit reconcile --help).\n"
     "All of cdx audit needs the ig-officer role. A refused read is audited; an allowed review\n"
     "or verification is not written into the log it reads (exports and reconciliations are).\n"},
};

const cli_command_t *cli_find (const char *name)
{
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
        if (strcmp (s_commands[i].name, name) == 0)
            return &s_commands[i];
    return NULL;
}

/* The edit distance between A and B (insertions, deletions, changes), up
   to 64 characters of each. */
static size_t s_distance (const char *a, const char *b)
{
    size_t la = strnlen (a, 64), lb = strnlen (b, 64), row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The command NAME was most likely meant to be: one it starts, or the
   nearest within a third of its length (at least 2 edits); NULL if none. */
static const char *s_nearest (const char *name)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX, len = strlen (name);
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++) {
        const char *c = s_commands[i].name;
        size_t d = len > 0 && strncmp (c, name, len) == 0 ? 0 : s_distance (name, c);
        if (d < best_d)
            best_d = d, best = c;
    }
    return best_d <= (len / 3 > 2 ? len / 3 : 2) ? best : NULL;
}

/* An unknown command or option: one line, naming NEAR if not NULL. Exit 2. */
static int s_unknown (const char *what, const char *name, const char *near)
{
    if (near)
        show_printf (stderr, "cdx: unknown %s '%s': did you mean '%s'? (cdx --help lists them)\n", what, name, near);
    else
        show_printf (stderr, "cdx: unknown %s '%s' (cdx --help lists the commands)\n", what, name);
    return CLI_EXIT_USAGE;
}

/* What cdx --help says after its list of commands (cdx(1)'s description too). */
static const char *s_general =
    "Each command takes --home DIR (default: $CDX_HOME, else $XDG_DATA_HOME/cdx or\n"
    "~/.local/share/cdx) and --help. Listings take --json: docs/JSON.md names every key, and an\n"
    "absent value is null. A dataset id may be shortened to its first 4 or more digits where no\n"
    "other id starts with them. cdx help COMMAND is cdx COMMAND --help; cdx help --man writes\n"
    "the manual page cdx(1) and cdx help --completion bash a bash completion script, both from\n"
    "this help (the build makes them, make install installs them). cdx --version: the version.\n\n"
    "While cdx run runs, every command but init, run, authority, restore, help and backup\n"
    "verify goes to it through its control socket: --socket PATH (before the command) if\n"
    "given; else, for a home /var/lib/cdx/NAME (a service), /run/cdx/NAME.sock; else\n"
    "HOME/control.sock. The node acts as the login that runs the command, with that login's\n"
    "roles, and the files named are opened and created with that login's rights. With no node\n"
    "running, only the home's owner (or root) can act on it directly (docs/CONTROL.md).\n\n"
    "Key files: with CDX_PASSPHRASE_FILE (a 0600 file whose first line is the passphrase) or\n"
    "CDX_PASSPHRASE set, cdx init, cdx keys rotate and cdx authority init write key files\n"
    "protected by it (Argon2id), and every command opens them with it: the unattended mode for\n"
    "cdx run under a service manager.\n\n"
    "Listings for people show control characters and invisible or direction-changing\n"
    "characters escaped (\\e, \\n, \\xHH, \\u{HHHH}; a backslash as \\\\): a name, path or\n"
    "a peer's log cannot move the cursor or forge a line. --json and --csv carry them exactly.\n\n"
    "A first exchange, two nodes on this machine pinned by hand (paste it into a shell\n"
    "with cdx and cdx-gen-apc in PATH; it uses the ports 7101 and 7102, and its last line\n"
    "stops the nodes and removes what it made):\n"
    "  W=$(mktemp -d) && cd \"$W\"\n"
    "  cdx init --home csu --org 0DF --role csu --name \"Example CSU\" --endpoint tcp://127.0.0.1:7101\n"
    "  cdx init --home ccg --org 04V --role ccg --name \"Example CCG\" --endpoint tcp://127.0.0.1:7102\n"
    "  cdx user add --home csu \"$(id -un)\" --role publisher\n"
    "  cdx user add --home ccg \"$(id -un)\" --role analyst\n"
    "  cdx card --home csu > 0DF.card; cdx card --home ccg > 04V.card\n"
    "  cdx peer add --home csu 04V.card; cdx peer add --home ccg 0DF.card\n"
    "  cdx agreement propose --home csu --ref DSA-1 --recipient 04V --provider-ig \"CSU IG lead\" \\\n"
    "      --recipient-ig \"CCG IG lead\" --topics sus/apc --class aggregate --purposes commissioning \\\n"
    "      --art6 \"6(1)(e) public task\" --opt-out not-required --end now+365d -o dsa.bin\n"
    "  cdx agreement sign --home ccg dsa.bin -o dsa-signed.bin; cdx agreement sign --home csu dsa-signed.bin\n"
    "  cdx run --home csu 2>csu.log & csu=$!; cdx run --home ccg 2>ccg.log & ccg=$!\n"
    "  cdx subscribe --home ccg --from 0DF --topic sus/apc\n"
    "  cdx-gen-apc --class aggregate -o apc.csv\n"
    "  ID=$(cdx publish --home csu --topic sus/apc --class aggregate --purpose commissioning apc.csv)\n"
    "  cdx wait --home ccg \"$ID\" --timeout 60 && cdx datasets --home ccg\n"
    "  cdx export --home ccg \"$ID\" --purpose commissioning -o received.csv && cmp apc.csv received.csv\n"
    "  kill $csu $ccg; wait; cd; rm -rf \"$W\"\n"
    "A card pinned by hand carries no DSPT status: only aggregate data may go to it\n"
    "(README.md walks through certification by the national authority).\n";

static void s_help (FILE *f)
{
    fprintf (f, "cdx: exchange encrypted, signed datasets between NHS organisations.\n\n"
                "usage: cdx [--home DIR] [--socket PATH] COMMAND [OPTIONS]\n\nCommands:\n");
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
        fprintf (f, "  %-14s %s\n", s_commands[i].name, s_commands[i].summary);
    fprintf (f, "\n%s\n%s", s_general, s_exit_help);
}

/* cdx help --man, cdx help --completion bash: cdx(1) and the completion
   script from the table above (manpage.c); the build writes both. */
static int s_generate (const char *what, const char *shell)
{
    size_t n = sizeof s_commands / sizeof s_commands[0];
    if (strcmp (what, "--man") == 0 && !shell) {
        man_text_t text = {CDX_VERSION, s_general, s_exit_help};
        return man_page (stdout, s_commands, n, &text) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
    }
    if (strcmp (what, "--completion") == 0 && shell && strcmp (shell, "bash") == 0)
        return man_completion_bash (stdout, s_commands, n) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
    fprintf (stderr, "usage: cdx help [COMMAND] | cdx help --man | cdx help --completion bash\n");
    return CLI_EXIT_USAGE;
}

static char s_default_home[4096];

static const char *s_home_default (void)
{
    const char *env = getenv ("CDX_HOME");
    if (env && *env)
        return env;
    const char *xdg = getenv ("XDG_DATA_HOME");
    if (xdg && *xdg) {
        snprintf (s_default_home, sizeof s_default_home, "%s/cdx", xdg);
        return s_default_home;
    }
    const char *home = getenv ("HOME");
    if (!home || !*home)
        return NULL;
    char base[4096];
    snprintf (base, sizeof base, "%s/.local/share", home);
    snprintf (s_default_home, sizeof s_default_home, "%s/cdx", base);
    return s_default_home;
}

/* The --home given among a verb's options (ARGV[0] is the verb), where
   the command's own parsing will find it too: the node to ask. */
static void s_scan_home (cli_t *cli, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--") == 0)
            return;
        if (strcmp (argv[i], "--home") == 0 && i + 1 < argc)
            cli->home = argv[++i], cli->home_set = 1;
        else if (strncmp (argv[i], "--home=", 7) == 0)
            cli->home = argv[i] + 7, cli->home_set = 1;
    }
}

int main (int argc, char **argv)
{
    cli_t cli = {.home = s_home_default ()};
    int i = 1;
    /* Options before the verb: --home DIR, --help, --version. */
    while (i < argc && argv[i][0] == '-') {
        if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
            s_help (stdout);
            return CLI_EXIT_OK;
        } else if (strcmp (argv[i], "--version") == 0) {
            printf ("cdx %s%s%s%s\n", CDX_VERSION, *CDX_GIT ? " (" : "", CDX_GIT, *CDX_GIT ? ")" : "");
            return CLI_EXIT_OK;
        } else if (strcmp (argv[i], "--home") == 0 && i + 1 < argc) {
            cli.home = argv[i + 1];
            cli.home_set = 1;
            i += 2;
        } else if (strncmp (argv[i], "--home=", 7) == 0) {
            cli.home = argv[i] + 7;
            cli.home_set = 1;
            i++;
        } else if (strcmp (argv[i], "--socket") == 0 && i + 1 < argc) {
            cli.socket = argv[i + 1];
            i += 2;
        } else if (strncmp (argv[i], "--socket=", 9) == 0) {
            cli.socket = argv[i] + 9;
            i++;
        } else {
            return s_unknown ("option", argv[i], NULL);
        }
    }
    if (i >= argc) {
        s_help (stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp (argv[i], "help") == 0) {
        if (i + 1 < argc && argv[i + 1][0] == '-')
            return s_generate (argv[i + 1], i + 2 < argc ? argv[i + 2] : NULL);
        if (i + 1 < argc && cli_find (argv[i + 1])) {
            char *args[] = {argv[i + 1], "--help", NULL};
            optind = 1;
            return cli_find (argv[i + 1])->fn (&cli, 2, args);
        }
        s_help (stdout);
        return CLI_EXIT_OK;
    }
    const cli_command_t *c = cli_find (argv[i]);
    if (!c)
        return s_unknown ("command", argv[i], s_nearest (argv[i]));
    /* A node running on the home serves the command (it alone opens the
       keys and the store); none answering, the home's owner runs it here. */
    if (!cli_direct_verb (argc - i, argv + i)) {
        s_scan_home (&cli, argc - i, argv + i);
        int fw = cli_forward (&cli, argc - i, argv + i);
        if (fw >= 0)
            return fw;
    }
    if (cx_init () != 0) {
        fprintf (stderr, "cdx: cannot initialise libsodium\n");
        return CLI_EXIT_FAIL;
    }
    if (cli_passphrase () != 0)
        return CLI_EXIT_FAIL;
    optind = 1;
    int rc = c->fn (&cli, argc - i, argv + i);
    if (cli.not_running && rc != CLI_EXIT_OK)
        rc = CLI_EXIT_FAIL;
    if (rc == CLI_EXIT_FAIL && !cli.home)
        fprintf (stderr, "cdx: no home directory: set CDX_HOME or pass --home DIR\n");
    return rc;
}
