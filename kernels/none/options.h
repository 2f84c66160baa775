/* The none kernel's options: its sub-struct of struct bl_config and its rows of the option table.
 */
#ifndef BL_KERNELS_NONE_OPTIONS_H
#define BL_KERNELS_NONE_OPTIONS_H

/*
 * A kernel owns its options: the fields below are cfg->none, and
 * BL_NONE_OPTION_ROWS expands, inside src/config/config.c, to the [none]
 * rows of the one option table, so the INI parser, `-o none.KEY=V`,
 * `ballot info` and the config dump in the result file all follow from
 * here. Plain data only: config.h includes this.
 */

struct bl_none_options {
        int snapshot_entries; /* snapshot the store and compact the log after this many writes */
};

/* Rows; O_INT is config.c's row maker. */
#define BL_NONE_OPTION_ROWS(N)                                                                     \
        O_INT(N, "snapshot_entries", none.snapshot_entries, "10000", 1, 1000000000,                \
              "snapshot the store and compact the log after this many applied writes")

#endif
