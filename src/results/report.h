/* `ballot report` (runs side by side, table or CSV) and `ballot info FILE`. */
#ifndef BL_RESULTS_REPORT_H
#define BL_RESULTS_REPORT_H

#include <stdio.h>

#include "common/err.h"

/* The CSV header of `ballot report --csv`; more columns may follow it. */
#define BL_REPORT_CSV_HEADER                                                                       \
        "name,kernel,ranks,shards,replicas,workload,ops_per_s,p50_us,p99_us,p999_us,rtt_us,"       \
        "p50_rtt,msg_rate,msgs_per_op,bytes_per_op,verdict"

/*
 * ballot report [--csv] [--sort [-]KEY] FILE_OR_DIR...
 * argv[0] is the command name (ignored); options and paths follow. A
 * directory contributes every *.h5 inside it (not recursive, sorted by
 * name, skipping temporary "*.tmp.*" files of unfinished writes). Rows go to
 * out; each unreadable file gets one message on err naming it, and the
 * others are still reported. Serial: MPI need not be initialized.
 * Returns the exit status: 0, 1 if any file could not be read, 2 on a
 * usage error (message and usage on err).
 */
int bl_report_main(int argc, char **argv, FILE *out, FILE *err);

/*
 * Print one result file readably: provenance, config, per-rank host and
 * binding, baseline, summary table, verdicts and what else it holds.
 * Serial. Returns 0 or the reader's error codes (see bl_results_read_row)
 * with a message naming the file; output may be partial then.
 */
int bl_info_file(const char *path, FILE *out, struct bl_errbuf *eb);

/*
 * `ballot check FILE`: judge a result file again from what it stores:
 * replica digests, and linearizability of the client history when the file
 * has one (time limit limit_s). Prints one line per verdict and the overall
 * one. Returns 0 when nothing failed or was inconclusive, BL_ECHECK when a
 * verdict failed, BL_EINCONCLUSIVE when none failed but a check could not
 * finish, or another error (file unreadable; a malformed row, named) with a
 * message; nothing is judged from a file with a malformed row.
 */
int bl_check_file(const char *path, double limit_s, FILE *out, struct bl_errbuf *eb);

#endif
