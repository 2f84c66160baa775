/*
 * ballot: the command line. A thin layer over the library:
 *   ballot run CONFIG.ini [-o section.key=value ...] [--out FILE] [--force] [--quiet]
 *   ballot run --from FILE.h5 [-o section.key=value ...] [--out FILE] [--force] [--quiet]
 *   ballot sweep CONFIG.ini --vary section.key=v1,v2,... [--repeat N] [...]
 *   ballot report [--csv] [--sort KEY] FILE_OR_DIR ...
 *   ballot info [FILE.h5 ...]
 *   ballot --help | --version
 * Exit status: 0 success, 1 run-time error, 2 usage or configuration error,
 * 3 the run completed but a correctness verdict failed, 4 no verdict failed
 * but a check could not finish (inconclusive: nothing was proven).
 * Only this file exits or aborts MPI.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/version.h"
#include "config/config.h"
#include "kernels/kernel.h"
#include "results/dest.h"
#include "results/report.h"
#include "run/rerun.h"
#include "run/run.h"
#include "run/sweep.h"
#include "sim/sim.h"

#define EXIT_RUNTIME      1
#define EXIT_USAGE        2
#define EXIT_VERDICT      3
#define EXIT_INCONCLUSIVE 4

static void usage(FILE *out)
{
        fprintf(out,
                "usage: ballot run CONFIG.ini [-o section.key=value ...] [--out FILE] [--force]\n"
                "                  [--quiet]\n"
                "       ballot run --from FILE.h5 [-o section.key=value ...] [--out FILE] ...\n"
                "       ballot sweep CONFIG.ini --vary section.key=v1,v2,... [--vary ...]\n"
                "                    [--repeat N] [-o ...] [--out DIR] [--force] [--quiet]\n"
                "       ballot report [--csv] [--sort KEY] FILE_OR_DIR ...\n"
                "       ballot info [FILE.h5 ...]\n"
                "       ballot check [--time-limit SECONDS] FILE.h5 ...\n"
                "       ballot sim CONFIG.ini [options]   (ballot sim --help)\n"
                "       ballot --help | --version\n"
                "\n"
                "run     run an experiment on the ranks of this MPI job (mpirun or srun);\n"
                "        --from FILE.h5 reruns the configuration and seed stored in a result\n"
                "sweep   run every combination of the --vary values, each --repeat times, in\n"
                "        this MPI job; one result file per run and an index in one folder\n"
                "report  one row per result file: throughput, latency, round trips, verdict;\n"
                "        --group merges repetitions (median, confidence interval), --compare\n"
                "        KEY puts the values of one option side by side\n"
                "info    list kernels, workloads and every option; or a result file's provenance\n"
                "check   judge result files again: replica digests, linearizable history\n"
                "sim     run a kernel in the deterministic simulator (no MPI), with faults\n"
                "\n"
                "Exit status: 0 ok, 1 run-time error, 2 usage/configuration error, 3 a\n"
                "correctness verdict failed, 4 a correctness check was inconclusive.\n");
}

static char *join_args(int argc, char **argv)
{
        size_t n = 1;
        char *s;

        for (int i = 0; i < argc; i++)
                n += strlen(argv[i]) + 1;
        s = bl_malloc(n);
        if (s == NULL)
                return NULL;
        s[0] = '\0';
        for (int i = 0; i < argc; i++) {
                strcat(s, argv[i]);
                if (i + 1 < argc)
                        strcat(s, " ");
        }
        return s;
}

/*
 * The value of option argv[*i] ("-o", "--out"), taken from the next argument
 * and advancing *i; NULL when there is none or when the next argument looks
 * like an option ("--out --quiet" must not write a file named --quiet: write
 * --out=./-name for such a name).
 */
static const char *option_value(int argc, char **argv, int *i)
{
        const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;

        if (v == NULL || (v[0] == '-' && v[1] != '\0'))
                return NULL;
        ++*i;
        return v;
}

/* Rank 0 checks where the result file will go; every rank learns the
 * answer (the message goes to rank 0's stderr only). */
static int check_destination(const struct bl_run_opts *opts, const struct bl_config *cfg, int force,
                             int rank, struct bl_errbuf *eb)
{
        int rc = 0;

        if (rank == 0)
                rc = bl_result_dest_check(opts->out_path, cfg->experiment.output_dir, force, eb);
        MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
        return rc;
}

static int cmd_run(int argc, char **argv)
{
        const char *config = NULL;
        const char **ov = bl_calloc((size_t)argc + 1, sizeof(char *));
        struct bl_run_opts opts = {0};
        struct bl_config cfg;
        struct bl_fault_plan plan = {0};
        struct bl_errbuf eb = {{0}};
        struct bl_rerun rr = {0};
        const char *from = NULL;
        int nov = 0, rank, size, rc, collective = 1, status = 0, force = 0;
        char *cmdline;

        MPI_Init(&argc, &argv);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        cmdline = join_args(argc, argv);
        if (ov == NULL || cmdline == NULL) {
                fprintf(stderr, "ballot: out of memory\n");
                MPI_Abort(MPI_COMM_WORLD, EXIT_RUNTIME);
        }
        for (int i = 2; i < argc; i++) {
                const char *a = argv[i];

                if (strcmp(a, "--from") == 0 && from == NULL) {
                        if ((from = option_value(argc, argv, &i)) == NULL) {
                                if (rank == 0) {
                                        fprintf(stderr, "ballot run: --from needs a result file\n");
                                        usage(stderr);
                                }
                                status = EXIT_USAGE;
                                goto out_finalize;
                        }
                } else if (strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0) {
                        const char *v = option_value(argc, argv, &i);

                        if (v == NULL) {
                                if (rank == 0) {
                                        fprintf(stderr, "ballot run: %s needs a value%s\n", a,
                                                a[1] == 'o' ? " (section.key=value)"
                                                            : " (FILE; --out=FILE if it starts "
                                                              "with '-')");
                                        usage(stderr);
                                }
                                status = EXIT_USAGE;
                                goto out_finalize;
                        }
                        if (a[1] == 'o')
                                ov[nov++] = v;
                        else
                                opts.out_path = v;
                } else if (strncmp(a, "-o", 2) == 0 && a[2] != '\0') {
                        ov[nov++] = a + 2;
                } else if (strncmp(a, "--out=", 6) == 0) {
                        opts.out_path = a + 6;
                } else if (strcmp(a, "--force") == 0) {
                        force = 1;
                } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
                        opts.quiet = 1;
                } else if (a[0] == '-' || config != NULL) {
                        if (rank == 0) {
                                char arg[256];

                                bl_escape(argv[i], arg, sizeof(arg));
                                fprintf(stderr, "ballot run: unexpected argument '%s'\n", arg);
                                usage(stderr);
                        }
                        status = EXIT_USAGE;
                        goto out_finalize;
                } else {
                        config = argv[i];
                }
        }
        if ((config == NULL) == (from == NULL)) {
                if (rank == 0) {
                        fprintf(stderr, "ballot run: %s\n",
                                from == NULL ? "missing CONFIG.ini"
                                             : "give CONFIG.ini or --from FILE.h5, not both");
                        usage(stderr);
                }
                status = EXIT_USAGE;
                goto out_finalize;
        }
        /* --from: the stored options (seed included) become overrides of
         * the defaults, the user's -o after them. */
        if (from != NULL && (rc = bl_rerun_load(from, ov, nov, &rr, &eb)) != 0) {
                if (rank == 0)
                        fprintf(stderr, "ballot run --from: %s\n", eb.msg);
                status = EXIT_USAGE;
                goto out_finalize;
        }
        /* Every rank parses the same file and gets the same answer, so an
         * error needs no communication: each rank exits with status 2. */
        if (from != NULL)
                rc = bl_config_load(&cfg, NULL, rr.ov, rr.n, size, &eb);
        else
                rc = bl_config_load(&cfg, config, ov, nov, size, &eb);
        if (rc != 0) {
                if (rank == 0)
                        fprintf(stderr, "ballot: %s\n", eb.msg);
                status = EXIT_USAGE;
                goto out_finalize;
        }
        if (cfg.faults.schedule[0] != '\0') {
                char fpath[2 * BL_PATH_MAX];
                rc = bl_faults_resolve_path(config, cfg.faults.schedule, fpath, sizeof(fpath), &eb);
                if (rc == 0)
                        rc = bl_faults_parse_file(fpath, size, cfg.cluster.shards, &plan, &eb);
                if (rc == 0)
                        rc =
                            bl_faults_check_run(fpath, &plan, &cfg, rank == 0 ? stderr : NULL, &eb);
                if (rc != 0) {
                        if (rank == 0)
                                fprintf(stderr, "ballot: %s\n", eb.msg);
                        status = EXIT_USAGE;
                        goto out_finalize;
                }
                opts.faults = &plan;
        }
        if (check_destination(&opts, &cfg, force, rank, &eb) != 0) {
                if (rank == 0)
                        fprintf(stderr, "ballot: %s\n", eb.msg);
                status = EXIT_USAGE;
                goto out_finalize;
        }
        opts.command_line = cmdline;
        rc = bl_run(MPI_COMM_WORLD, &cfg, &opts, &collective, &eb);
        if (rc != 0 && !collective) {
                fprintf(stderr, "ballot: %s; aborting the job\n", eb.msg);
                fflush(stderr);
                MPI_Abort(MPI_COMM_WORLD, EXIT_RUNTIME);
        }
        if (rc == BL_ECHECK) {
                status = EXIT_VERDICT;
        } else if (rc == BL_EINCONCLUSIVE) {
                status = EXIT_INCONCLUSIVE;
        } else if (rc != 0) {
                if (rank == 0)
                        fprintf(stderr, "ballot: %s\n", eb.msg);
                status = rc == BL_ECONFIG ? EXIT_USAGE : EXIT_RUNTIME;
        }
out_finalize:
        bl_faults_free(&plan);
        bl_rerun_free(&rr);
        bl_free(ov);
        bl_free(cmdline);
        MPI_Finalize();
        return status;
}

static int cmd_sweep(int argc, char **argv)
{
        struct bl_errbuf eb = {{0}};
        int rank, rc, collective = 1, status = 0;
        char *cmdline;

        MPI_Init(&argc, &argv);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        cmdline = join_args(argc, argv);
        if (cmdline == NULL) {
                fprintf(stderr, "ballot: out of memory\n");
                MPI_Abort(MPI_COMM_WORLD, EXIT_RUNTIME);
        }
        rc = bl_sweep_main(MPI_COMM_WORLD, argc - 1, argv + 1, cmdline, &collective, &eb);
        if (rc != 0 && !collective) {
                fprintf(stderr, "ballot sweep: %s; aborting the job\n", eb.msg);
                fflush(stderr);
                MPI_Abort(MPI_COMM_WORLD, EXIT_RUNTIME);
        }
        if (rc != 0 && rank == 0)
                fprintf(stderr, "ballot sweep: %s\n", eb.msg);
        if (rc == BL_ECHECK)
                status = EXIT_VERDICT;
        else if (rc == BL_EINCONCLUSIVE)
                status = EXIT_INCONCLUSIVE;
        else if (rc == BL_EINVAL || rc == BL_ECONFIG)
                status = EXIT_USAGE;
        else if (rc != 0)
                status = EXIT_RUNTIME;
        bl_free(cmdline);
        MPI_Finalize();
        return status;
}

static int cmd_info(int argc, char **argv)
{
        struct bl_errbuf eb = {{0}};
        int status = 0;

        /* Several files (a shell pattern): each in turn, a blank line
         * between them; one that cannot be read is named and skipped. */
        if (argc >= 3) {
                for (int i = 2; i < argc; i++) {
                        if (i > 2)
                                printf("\n");
                        fflush(stdout);
                        if (bl_info_file(argv[i], stdout, &eb) != 0) {
                                fprintf(stderr, "ballot info: %s\n", eb.msg);
                                status = EXIT_RUNTIME;
                        }
                }
                return status;
        }
        printf("ballot %s (git %s)\n\n# kernels\n", bl_version(), bl_git_revision());
        for (int i = 0; bl_kernels[i] != NULL; i++) {
                const struct bl_kernel *k = bl_kernels[i];
                printf("  %-8s %-5s %-11s %s\n", k->name, k->version,
                       k->kind == BL_KERNEL_REPLICATION ? "replication" : "commit", k->summary);
        }
        printf("\n# workloads ([workload] type)\n"
               "  ycsb-a   50%% read, 50%% update, zipfian\n"
               "  ycsb-b   95%% read, 5%% update, zipfian\n"
               "  ycsb-c   100%% read, zipfian\n"
               "  ycsb-d   95%% read, 5%% insert, latest\n"
               "  ycsb-f   50%% read, 50%% read-modify-write, zipfian\n"
               "  counter  increments of a few shared counters, checked at the end\n"
               "  bank         transactions (kernel 2pc/...): transfers between accounts, audits\n"
               "  ycsb-t       transactions of txn.keys read-modify-writes, zipfian\n"
               "  list-append  transactions of list appends and reads (serializability)\n"
               "\n# options (INI section.key; override with -o section.key=value)\n");
        bl_config_print_options(stdout);
        return 0;
}

static int cmd_check(int argc, char **argv)
{
        struct bl_errbuf eb = {{0}};
        int status = 0, first = 2, failed = 0, inconclusive = 0;
        double limit_s = 300.0;

        if (argc >= 4 && strcmp(argv[2], "--time-limit") == 0) {
                char *end = NULL;
                limit_s = strtod(argv[3], &end);
                if (end == argv[3] || *end != '\0' || !(limit_s > 0) || limit_s > 1e6) {
                        fprintf(stderr,
                                "ballot check: --time-limit '%s': expected seconds in (0, 1e6]\n",
                                argv[3]);
                        return EXIT_USAGE;
                }
                first = 4;
        }
        if (argc <= first) {
                usage(stderr);
                return EXIT_USAGE;
        }
        for (int i = first; i < argc; i++) {
                int rc = bl_check_file(argv[i], limit_s, stdout, &eb);
                if (rc == BL_ECHECK) {
                        failed = 1;
                } else if (rc == BL_EINCONCLUSIVE) {
                        inconclusive = 1;
                } else if (rc != 0) {
                        fprintf(stderr, "ballot check: %s\n", eb.msg);
                        status = EXIT_RUNTIME;
                }
        }
        /* A file that could not be judged outranks a verdict; a failure
         * outranks an inconclusive check, as in `ballot run`. */
        if (status == 0 && failed)
                status = EXIT_VERDICT;
        else if (status == 0 && inconclusive)
                status = EXIT_INCONCLUSIVE;
        return status;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
            strcmp(argv[1], "help") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
                printf("ballot %s (git %s)\n", bl_version(), bl_git_revision());
                return 0;
        }
        if (strcmp(argv[1], "run") == 0)
                return cmd_run(argc, argv);
        if (strcmp(argv[1], "sweep") == 0)
                return cmd_sweep(argc, argv);
        if (strcmp(argv[1], "report") == 0)
                return bl_report_main(argc - 1, argv + 1, stdout, stderr);
        if (strcmp(argv[1], "info") == 0)
                return cmd_info(argc, argv);
        if (strcmp(argv[1], "check") == 0)
                return cmd_check(argc, argv);
        if (strcmp(argv[1], "sim") == 0)
                return bl_sim_main(argc - 1, argv + 1);
        char cmd[256];

        bl_escape(argv[1], cmd, sizeof(cmd));
        fprintf(stderr, "ballot: unknown command '%s'\n", cmd);
        usage(stderr);
        return EXIT_USAGE;
}
