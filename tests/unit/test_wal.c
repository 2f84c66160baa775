/* Unit tests for the write-ahead log (src/storage): CRC32C, modes, group commit, recovery,
 * compaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "storage/baseline.h"
#include "storage/crc32c.h"
#include "storage/wal.h"

/* ---- fixture: a fresh folder per test ---- */

struct fx {
        char dir[PATH_MAX];
        struct bl_wal *w;
};

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));
        const char *tmp = getenv("TMPDIR");

        snprintf(f->dir, sizeof(f->dir), "%s/ballot-test-wal-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (mkdtemp(f->dir) == NULL)
                return -1;
        *state = f;
        return 0;
}

static void rm_dir(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        char p[PATH_MAX + 300];

        if (d == NULL)
                return;
        while ((de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
                unlink(p);
        }
        closedir(d);
        rmdir(dir);
}

static int teardown(void **state)
{
        struct fx *f = *state;

        bl_wal_close(f->w);
        rm_dir(f->dir);
        free(f);
        return 0;
}

static struct bl_wal *open_wal(struct fx *f, int mode, uint64_t segment_bytes)
{
        struct bl_wal_options o = {mode, f->dir, segment_bytes};
        struct bl_errbuf eb = {{0}};
        struct bl_wal *w = NULL;

        if (bl_wal_open(&w, &o, &eb) != 0)
                fail_msg("open: %s", eb.msg);
        return w;
}

/* Poll until every record <= seq is durable; a timeout fails the test. */
static void wait_durable(struct bl_wal *w, uint64_t seq)
{
        struct timespec ms = {0, 1000000};

        for (int i = 0; i < 20000; i++) {
                if (bl_wal_durable(w) >= seq)
                        return;
                nanosleep(&ms, NULL);
        }
        fail_msg("record %llu not durable after 20 s (durable: %llu)", (unsigned long long)seq,
                 (unsigned long long)bl_wal_durable(w));
}

static int count_segments(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;

        while ((de = readdir(d)) != NULL)
                n += strlen(de->d_name) == 20 && strstr(de->d_name, ".wal") != NULL;
        closedir(d);
        return n;
}

/* The path of the newest segment. */
static void last_segment(const char *dir, char *out, size_t size)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        char best[64] = "";

        while ((de = readdir(d)) != NULL)
                if (strlen(de->d_name) == 20 && strcmp(de->d_name, best) > 0)
                        snprintf(best, sizeof(best), "%s", de->d_name);
        closedir(d);
        assert_true(best[0] != '\0');
        snprintf(out, size, "%s/%s", dir, best);
}

static long file_size(const char *path)
{
        struct stat sb;

        if (stat(path, &sb) != 0)
                return -1;
        return (long)sb.st_size;
}

/* Records appended by these tests: "g<group>-s<n>" padded to a length that
 * depends on n, so sizes vary. */
static size_t payload(char *buf, uint32_t group, int n)
{
        size_t len = (size_t)snprintf(buf, 64, "g%u-s%d", group, n);

        memset(buf + len, 'a' + n % 26, (size_t)(n % 40));
        return len + (size_t)(n % 40);
}

/* What a replay saw, for one group. */
struct seen {
        int n;
        uint64_t seq[512];
        int type[512];
        char data[512][64];
        size_t len[512];
};

static int collect(void *arg, uint64_t seq, int type, const void *buf, size_t len)
{
        struct seen *s = arg;

        assert_true(s->n < 512);
        assert_true(len < 64);
        s->seq[s->n] = seq;
        s->type[s->n] = type;
        memcpy(s->data[s->n], buf, len);
        s->len[s->n] = len;
        s->n++;
        return 0;
}

static void recover_ok(struct bl_wal *w, struct bl_wal_recovery *info)
{
        struct bl_errbuf eb = {{0}};

        if (bl_wal_recover(w, info, &eb) != 0)
                fail_msg("recover: %s", eb.msg);
}

/* Append n records of group g with payload numbers from..from+n-1. */
static uint64_t append_n(struct bl_wal *w, uint32_t g, int from, int n)
{
        char buf[64];
        uint64_t seq = 0;

        for (int i = from; i < from + n; i++) {
                size_t len = payload(buf, g, i);

                seq = bl_wal_append(w, g, 1 + i % 3, buf, len);
                assert_true(seq > 0);
        }
        return seq;
}

/* Replay group g and check it holds exactly payloads from..from+n-1, in order. */
static void assert_group_holds(struct bl_wal *w, uint32_t g, int from, int n)
{
        struct seen *s = calloc(1, sizeof(*s));
        char buf[64];

        assert_int_equal(bl_wal_replay(w, g, collect, s), 0);
        if (s->n != n)
                fail_msg("group %u: replayed %d records, want %d", g, s->n, n);
        for (int i = 0; i < n; i++) {
                size_t len = payload(buf, g, from + i);

                assert_int_equal(s->len[i], len);
                assert_memory_equal(s->data[i], buf, len);
                assert_int_equal(s->type[i], 1 + (from + i) % 3);
                if (i > 0)
                        assert_true(s->seq[i] > s->seq[i - 1]);
        }
        free(s);
}

/* ---- CRC32C ---- */

static void test_crc32c_vectors(void **state)
{
        uint8_t b[32];

        /* The check value of the CRC catalogue, and RFC 3720 (iSCSI) B.4. */
        assert_int_equal(bl_crc32c(0, "123456789", 9), 0xE3069283u);
        memset(b, 0, sizeof(b));
        assert_int_equal(bl_crc32c(0, b, 32), 0x8A9136AAu);
        memset(b, 0xff, sizeof(b));
        assert_int_equal(bl_crc32c(0, b, 32), 0x62A8AB43u);
        for (int i = 0; i < 32; i++)
                b[i] = (uint8_t)i;
        assert_int_equal(bl_crc32c(0, b, 32), 0x46DD794Eu);
        for (int i = 0; i < 32; i++)
                b[i] = (uint8_t)(31 - i);
        assert_int_equal(bl_crc32c(0, b, 32), 0x113FDB5Cu);
        assert_int_equal(bl_crc32c(0, "", 0), 0u);
        /* Chaining equals one pass. */
        assert_int_equal(bl_crc32c(bl_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
}

/* ---- modes ---- */

static void test_mode_names(void **state)
{
        int m = -1;

        assert_int_equal(bl_wal_mode_parse("fsync", &m), 0);
        assert_int_equal(m, BL_WAL_FSYNC);
        assert_int_equal(bl_wal_mode_parse("write", &m), 0);
        assert_int_equal(m, BL_WAL_WRITE);
        assert_int_equal(bl_wal_mode_parse("memory", &m), 0);
        assert_int_equal(m, BL_WAL_MEMORY);
        assert_int_equal(bl_wal_mode_parse("disk", &m), BL_EINVAL);
        assert_string_equal(bl_wal_mode_name(BL_WAL_WRITE), "write");
}

static void test_memory_round_trip(void **state)
{
        struct fx *f = *state;
        struct bl_wal_recovery info;
        struct bl_wal_stats st;
        uint64_t last;

        f->w = open_wal(f, BL_WAL_MEMORY, 0);
        append_n(f->w, 1, 0, 10);
        last = append_n(f->w, 2, 0, 5);
        /* Durable at once, no I/O. */
        assert_int_equal(bl_wal_durable(f->w), last);
        assert_int_equal(last, 15);
        bl_wal_crash(f->w);
        assert_int_equal(bl_wal_append(f->w, 1, 1, "x", 1), 0); /* refused until recovery */
        recover_ok(f->w, &info);
        assert_int_equal(info.records, 15);
        assert_int_equal(info.torn, 0);
        assert_group_holds(f->w, 1, 0, 10);
        assert_group_holds(f->w, 2, 0, 5);
        /* Compaction drops group 1 up to its 4th record only. */
        bl_wal_compact(f->w, 1, 4);
        assert_group_holds(f->w, 1, 4, 6);
        assert_group_holds(f->w, 2, 0, 5);
        bl_wal_stats(f->w, &st);
        assert_int_equal(st.appends, 15);
        assert_int_equal(st.syncs, 0);
        assert_int_equal(st.disk_bytes, 0);
        assert_int_equal(count_segments(f->dir), 0);
}

/* Write and fsync mode: what was durable comes back from the files, after a
 * close and a new open as after a crash. */
static void round_trip(struct fx *f, int mode)
{
        struct bl_wal_recovery info;
        struct bl_wal_stats st;
        uint64_t last;

        f->w = open_wal(f, mode, 0);
        append_n(f->w, 7, 0, 20);
        last = append_n(f->w, 8, 0, 3);
        wait_durable(f->w, last);
        bl_wal_stats(f->w, &st);
        assert_int_equal(st.appends, 23);
        assert_true(st.disk_bytes >= 23 * BL_WAL_HEADER);
        if (mode == BL_WAL_FSYNC)
                assert_true(st.syncs >= 1 && st.syncs <= 23);
        else
                assert_int_equal(st.syncs, 0);
        bl_wal_close(f->w);
        f->w = open_wal(f, mode, 0);
        recover_ok(f->w, &info);
        assert_int_equal(info.records, 23);
        assert_int_equal(info.last_seq, last);
        assert_int_equal(info.torn, 0);
        assert_group_holds(f->w, 7, 0, 20);
        assert_group_holds(f->w, 8, 0, 3);
        assert_group_holds(f->w, 9, 0, 0);
        bl_wal_replay_done(f->w);
        assert_group_holds(f->w, 7, 0, 0);
        /* Appends continue after the last record. */
        assert_int_equal(bl_wal_append(f->w, 7, 1, "y", 1), last + 1);
}

static void test_write_round_trip(void **state)
{
        round_trip(*state, BL_WAL_WRITE);
}

static void test_fsync_round_trip(void **state)
{
        round_trip(*state, BL_WAL_FSYNC);
}

/* One fdatasync covers every record appended since the last one, from every group. */
static void test_group_commit(void **state)
{
        struct fx *f = *state;
        struct bl_wal_stats before, after;
        uint64_t last = 0;

        f->w = open_wal(f, BL_WAL_FSYNC, 0);
        wait_durable(f->w, append_n(f->w, 1, 0, 1));
        bl_wal_stats(f->w, &before);
        assert_int_equal(before.syncs, 1);
        bl_wal_hold(f->w, 1);
        for (int i = 0; i < 30; i++)
                last = append_n(f->w, (uint32_t)(i % 3), 100 + i, 1);
        /* Held: nothing of it may be reported durable. */
        assert_int_equal(bl_wal_durable(f->w), 1);
        bl_wal_hold(f->w, 0);
        wait_durable(f->w, last);
        assert_int_equal(bl_wal_durable(f->w), last);
        bl_wal_stats(f->w, &after);
        assert_int_equal(after.syncs - before.syncs, 1);
        assert_int_equal(after.writes - before.writes, 1);
}

/* A crash loses what was appended but not durable, and nothing else. */
static void crash_discards(struct fx *f, int mode)
{
        struct bl_wal_recovery info;

        f->w = open_wal(f, mode, 0);
        wait_durable(f->w, append_n(f->w, 3, 0, 5));
        bl_wal_hold(f->w, 1);
        append_n(f->w, 3, 5, 4);
        append_n(f->w, 4, 0, 2);
        bl_wal_crash(f->w);
        assert_int_equal(bl_wal_append(f->w, 3, 1, "z", 1), 0);
        bl_wal_hold(f->w, 0);
        recover_ok(f->w, &info);
        assert_int_equal(info.records, 5);
        assert_int_equal(info.last_seq, 5);
        assert_int_equal(info.torn, 0);
        assert_group_holds(f->w, 3, 0, 5);
        assert_group_holds(f->w, 4, 0, 0);
        bl_wal_replay_done(f->w);
        /* The log goes on from the last durable record, in a new segment. */
        assert_int_equal(append_n(f->w, 3, 5, 1), 6);
        wait_durable(f->w, 6);
        bl_wal_crash(f->w);
        recover_ok(f->w, &info);
        assert_int_equal(info.records, 6);
        assert_group_holds(f->w, 3, 0, 6);
}

static void test_crash_discards_unsynced_fsync(void **state)
{
        crash_discards(*state, BL_WAL_FSYNC);
}

static void test_crash_discards_unwritten_write(void **state)
{
        crash_discards(*state, BL_WAL_WRITE);
}

static void test_memory_crash_keeps_everything(void **state)
{
        struct fx *f = *state;
        struct bl_wal_recovery info;

        f->w = open_wal(f, BL_WAL_MEMORY, 0);
        append_n(f->w, 3, 0, 9);
        bl_wal_crash(f->w);
        recover_ok(f->w, &info);
        assert_int_equal(info.records, 9);
        assert_group_holds(f->w, 3, 0, 9);
}

/* ---- torn tails ---- */

enum damage { CUT_HEADER, CUT_PAYLOAD, BAD_CRC_LAST, ZEROS_AFTER, CORRUPT_TAIL_HOOK };

/* Write 10 durable records of group 5, crash, damage the end, recover. */
static void torn_tail(struct fx *f, enum damage d, int want_records, const char *want_why)
{
        struct bl_wal_recovery info;
        char path[PATH_MAX];
        struct bl_errbuf eb = {{0}};
        long size, want_size;
        int fd;

        f->w = open_wal(f, BL_WAL_FSYNC, 0);
        /* One record per batch, so the last record is the last write. */
        for (int i = 0; i < 10; i++)
                wait_durable(f->w, append_n(f->w, 5, i, 1));
        bl_wal_crash(f->w);
        last_segment(f->dir, path, sizeof(path));
        size = file_size(path);
        /* The 10th record: payload(5, 9) = "g5-s9" + 9 bytes = 14 bytes. */
        want_size = size - (long)(BL_WAL_HEADER + 14);
        switch (d) {
        case CUT_HEADER:
                assert_int_equal(truncate(path, want_size + 10), 0);
                break;
        case CUT_PAYLOAD:
                assert_int_equal(truncate(path, size - 3), 0);
                break;
        case BAD_CRC_LAST:
                fd = open(path, O_WRONLY);
                assert_true(fd >= 0);
                assert_int_equal(pwrite(fd, "X", 1, size - 1), 1);
                close(fd);
                break;
        case ZEROS_AFTER: {
                char z[100] = {0};

                fd = open(path, O_WRONLY | O_APPEND);
                assert_int_equal(write(fd, z, sizeof(z)), (ssize_t)sizeof(z));
                close(fd);
                want_size = size;
                break;
        }
        case CORRUPT_TAIL_HOOK:
                assert_int_equal(bl_wal_corrupt_tail(f->dir, &eb), 0);
                assert_true(file_size(path) < size);
                break;
        }
        recover_ok(f->w, &info);
        assert_int_equal(info.torn, 1);
        assert_string_equal(info.torn_file, path);
        assert_int_equal(info.torn_offset, want_size);
        assert_string_equal(info.torn_why, want_why);
        assert_int_equal(info.records, want_records);
        assert_int_equal(file_size(path), want_size);
        assert_group_holds(f->w, 5, 0, want_records);
        bl_wal_replay_done(f->w);
        /* The log continues and a second recovery finds it clean. */
        wait_durable(f->w, append_n(f->w, 5, want_records, 1));
        bl_wal_crash(f->w);
        recover_ok(f->w, &info);
        assert_int_equal(info.torn, 0);
        assert_int_equal(info.records, want_records + 1);
        assert_group_holds(f->w, 5, 0, want_records + 1);
}

static void test_torn_cut_header(void **state)
{
        torn_tail(*state, CUT_HEADER, 9, "truncated header");
}

static void test_torn_cut_payload(void **state)
{
        torn_tail(*state, CUT_PAYLOAD, 9, "truncated record");
}

static void test_torn_bad_crc_at_end(void **state)
{
        torn_tail(*state, BAD_CRC_LAST, 9, "bad CRC");
}

static void test_torn_zeros_at_end(void **state)
{
        torn_tail(*state, ZEROS_AFTER, 10, "zeros instead of a record");
}

static void test_torn_by_corrupt_tail_hook(void **state)
{
        torn_tail(*state, CORRUPT_TAIL_HOOK, 9, "truncated record");
}

/* The only record of the last segment is torn: the segment goes. */
static void test_torn_whole_segment(void **state)
{
        struct fx *f = *state;
        struct bl_wal_recovery info;
        char path[PATH_MAX];

        f->w = open_wal(f, BL_WAL_FSYNC, 0);
        wait_durable(f->w, append_n(f->w, 5, 0, 3));
        bl_wal_crash(f->w);
        recover_ok(f->w, &info); /* the next append opens a new segment */
        bl_wal_replay_done(f->w);
        wait_durable(f->w, append_n(f->w, 5, 3, 1));
        assert_int_equal(count_segments(f->dir), 2);
        bl_wal_crash(f->w);
        last_segment(f->dir, path, sizeof(path));
        assert_int_equal(truncate(path, 7), 0);
        recover_ok(f->w, &info);
        assert_int_equal(info.torn, 1);
        assert_int_equal(info.torn_offset, 0);
        assert_int_equal(count_segments(f->dir), 1);
        assert_int_equal(info.records, 3);
        assert_group_holds(f->w, 5, 0, 3);
}

/* ---- corruption that a crash does not explain ---- */

static void test_corrupt_middle_refused(void **state)
{
        struct fx *f = *state;
        struct bl_wal_recovery info;
        struct bl_errbuf eb = {{0}};
        char path[PATH_MAX], want[PATH_MAX + 128];
        long size, off = 0;
        char buf[64];
        int fd;

        f->w = open_wal(f, BL_WAL_WRITE, 0);
        wait_durable(f->w, append_n(f->w, 5, 0, 10));
        bl_wal_crash(f->w);
        last_segment(f->dir, path, sizeof(path));
        size = file_size(path);
        /* Flip a byte inside the 4th record's payload. */
        for (int i = 0; i < 3; i++)
                off += BL_WAL_HEADER + (long)payload(buf, 5, i);
        fd = open(path, O_RDWR);
        assert_int_equal(pread(fd, buf, 1, off + BL_WAL_HEADER + 2), 1);
        buf[0] ^= 0x20;
        assert_int_equal(pwrite(fd, buf, 1, off + BL_WAL_HEADER + 2), 1);
        close(fd);
        assert_int_equal(bl_wal_recover(f->w, &info, &eb), BL_EIO);
        snprintf(want, sizeof(want), "%s: offset %ld: bad CRC", path, off);
        if (strstr(eb.msg, want) == NULL)
                fail_msg("message \"%s\" lacks \"%s\"", eb.msg, want);
        assert_non_null(strstr(eb.msg, "recovery refused"));
        /* Nothing is served, nothing is cut. */
        assert_int_equal(file_size(path), size);
        assert_group_holds(f->w, 5, 0, 0);
        assert_int_equal(bl_wal_append(f->w, 5, 1, "x", 1), 0);
}

/* The fault hook: a byte flipped in the first record, with more after it. */
static void test_corrupt_middle_hook(void **state)
{
        struct fx *f = *state;
        struct bl_wal_recovery info;
        struct bl_errbuf eb = {{0}};

        f->w = open_wal(f, BL_WAL_FSYNC, 0);
        wait_durable(f->w, append_n(f->w, 5, 0, 1));
        bl_wal_crash(f->w);
        /* One record: nothing to corrupt in the middle of. */
        assert_int_equal(bl_wal_corrupt_middle(f->dir, &eb), BL_ENOTFOUND);
        recover_ok(f->w, &info);
        bl_wal_replay_done(f->w);
        wait_durable(f->w, append_n(f->w, 5, 1, 3));
        bl_wal_crash(f->w);
        assert_int_equal(bl_wal_corrupt_middle(f->dir, &eb), 0);
        assert_int_equal(bl_wal_recover(f->w, &info, &eb), BL_EIO);
        assert_non_null(strstr(eb.msg, "offset 0: bad CRC"));
        assert_non_null(strstr(eb.msg, "recovery refused"));
}

/* A damaged record in an older segment is never a torn tail. */
static void test_corrupt_older_segment_refused(void **state)
{
        struct fx *f = *state;
        struct bl_wal_recovery info;
        struct bl_errbuf eb = {{0}};
        char first[PATH_MAX + 64];
        DIR *d;
        struct dirent *de;
        char best[64] = "~";

        f->w = open_wal(f, BL_WAL_FSYNC, 64);
        for (int i = 0; i < 6; i++)
                wait_durable(f->w, append_n(f->w, 5, i, 1));
        assert_true(count_segments(f->dir) >= 3);
        bl_wal_crash(f->w);
        d = opendir(f->dir);
        while ((de = readdir(d)) != NULL)
                if (strlen(de->d_name) == 20 && strcmp(de->d_name, best) < 0)
                        snprintf(best, sizeof(best), "%s", de->d_name);
        closedir(d);
        snprintf(first, sizeof(first), "%s/%s", f->dir, best);
        /* Cut the oldest segment's last record short. */
        assert_int_equal(truncate(first, file_size(first) - 2), 0);
        assert_int_equal(bl_wal_recover(f->w, &info, &eb), BL_EIO);
        assert_non_null(strstr(eb.msg, first));
        assert_non_null(strstr(eb.msg, "truncated record"));
}

/* The sorted segment names of dir, into names[0..n-1]; returns n. */
static int list_segments(const char *dir, char names[][32], int max)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;

        while ((de = readdir(d)) != NULL && n < max)
                if (strlen(de->d_name) == 20)
                        snprintf(names[n++], 32, "%s", de->d_name);
        closedir(d);
        qsort(names, (size_t)n, 32, (int (*)(const void *, const void *))strcmp);
        return n;
}

/* A lost segment in the middle is a hole in the sequence numbers. */
static void test_missing_segment_refused(void **state)
{
        struct fx *f = *state;
        struct bl_wal_recovery info;
        struct bl_errbuf eb = {{0}};
        char path[PATH_MAX + 64], names[16][32];
        int n;

        f->w = open_wal(f, BL_WAL_FSYNC, 64);
        for (int i = 0; i < 6; i++)
                wait_durable(f->w, append_n(f->w, 5, i, 1));
        bl_wal_crash(f->w);
        n = list_segments(f->dir, names, 16);
        assert_true(n >= 3);
        snprintf(path, sizeof(path), "%s/%s", f->dir, names[1]);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(bl_wal_recover(f->w, &info, &eb), BL_EIO);
        assert_non_null(strstr(eb.msg, "records are missing"));
        assert_non_null(strstr(eb.msg, names[2]));
}

/* ---- compaction ---- */

static void test_compaction_deletes_segments(void **state)
{
        struct fx *f = *state;
        struct bl_wal_recovery info;
        struct bl_wal_stats st;
        uint64_t seq10 = 0, last;
        int before;

        /* Tiny segments: every batch (one record here) starts a new one. */
        f->w = open_wal(f, BL_WAL_FSYNC, 1);
        wait_durable(f->w, append_n(f->w, 2, 0, 1)); /* group 2 pins segment 1 */
        for (int i = 0; i < 20; i++) {
                last = append_n(f->w, 1, i, 1);
                if (i == 9)
                        seq10 = last;
                wait_durable(f->w, last);
        }
        before = count_segments(f->dir);
        assert_int_equal(before, 21);
        /* Group 1 drops its first 10 records; group 2 still needs segment 1,
         * and segments go in order, so nothing may be deleted yet. */
        bl_wal_compact(f->w, 1, seq10);
        wait_durable(f->w, append_n(f->w, 1, 20, 1));
        bl_wal_stats(f->w, &st);
        assert_int_equal(st.segments_deleted, 0);
        assert_true(count_segments(f->dir) > before);
        assert_int_equal(count_segments(f->dir), st.segments_created);
        /* Group 2 moves on: segments 1..11 are now unneeded. */
        last = append_n(f->w, 2, 1, 1);
        bl_wal_compact(f->w, 2, 1);
        wait_durable(f->w, last + 1);
        wait_durable(f->w, append_n(f->w, 2, 2, 1));
        bl_wal_stats(f->w, &st);
        assert_int_equal(st.segments_deleted, 11);
        assert_int_equal(count_segments(f->dir), st.segments_created - 11);
        /* Recovery replays only what was not compacted. */
        bl_wal_crash(f->w);
        recover_ok(f->w, &info);
        assert_int_equal(info.torn, 0);
        assert_group_holds(f->w, 1, 10, 11);
        assert_group_holds(f->w, 2, 1, 2);
}

/* A marker hides records that still sit in a segment that is kept. */
static void test_compaction_within_segment(void **state)
{
        struct fx *f = *state;
        struct bl_wal_recovery info;

        f->w = open_wal(f, BL_WAL_WRITE, 0);
        append_n(f->w, 1, 0, 10);
        append_n(f->w, 2, 0, 10);
        bl_wal_compact(f->w, 1, 6);
        wait_durable(f->w, append_n(f->w, 1, 10, 1));
        assert_int_equal(count_segments(f->dir), 1);
        bl_wal_close(f->w);
        f->w = open_wal(f, BL_WAL_WRITE, 0);
        recover_ok(f->w, &info);
        assert_group_holds(f->w, 1, 6, 5);
        assert_group_holds(f->w, 2, 0, 10);
        assert_int_equal(info.records, 15);
}

/* ---- many groups ---- */

static void test_multi_group_interleaving(void **state)
{
        struct fx *f = *state;
        struct bl_wal_recovery info;
        int count[5] = {0};
        uint64_t last = 0, x = 12345;

        f->w = open_wal(f, BL_WAL_FSYNC, 512);
        for (int i = 0; i < 300; i++) {
                uint32_t g;

                x = x * 6364136223846793005ull + 1442695040888963407ull;
                g = (uint32_t)(x >> 60) % 5;
                last = append_n(f->w, g * 1000, count[g], 1);
                count[g]++;
                if (i % 37 == 0)
                        wait_durable(f->w, last);
        }
        wait_durable(f->w, last);
        assert_true(count_segments(f->dir) > 2);
        bl_wal_crash(f->w);
        recover_ok(f->w, &info);
        assert_int_equal(info.records, 300);
        for (uint32_t g = 0; g < 5; g++)
                assert_group_holds(f->w, g * 1000, 0, count[g]);
}

static void test_bad_arguments(void **state)
{
        struct fx *f = *state;
        struct bl_wal_options o = {BL_WAL_FSYNC, NULL, 0};
        struct bl_errbuf eb = {{0}};
        struct bl_wal *w = NULL;

        assert_int_equal(bl_wal_open(&w, &o, &eb), BL_EINVAL);
        assert_null(w);
        assert_non_null(strstr(eb.msg, "fsync"));
        f->w = open_wal(f, BL_WAL_MEMORY, 0);
        assert_int_equal(bl_wal_append(f->w, 1, 0, "x", 1), 0);   /* type 0 is the log's */
        assert_int_equal(bl_wal_append(f->w, 1, 256, "x", 1), 0); /* types are one byte */
        assert_int_equal(bl_wal_append(f->w, 1, 255, "x", 1), 1);
        assert_int_equal(bl_wal_error(f->w, &eb), 0);
}

/* A write that fails (a segment name already taken) stops the log loudly. */
static void test_io_error_is_sticky(void **state)
{
        struct fx *f = *state;
        struct bl_errbuf eb = {{0}};
        char path[PATH_MAX + 64];
        struct timespec ms = {0, 1000000};
        int fd;

        snprintf(path, sizeof(path), "%s/%016x.wal", f->dir, 1);
        fd = open(path, O_CREAT | O_WRONLY, 0644);
        close(fd);
        f->w = open_wal(f, BL_WAL_FSYNC, 0);
        assert_int_equal(bl_wal_append(f->w, 1, 1, "x", 1), 1);
        for (int i = 0; i < 20000 && bl_wal_error(f->w, NULL) == 0; i++)
                nanosleep(&ms, NULL);
        assert_int_equal(bl_wal_error(f->w, &eb), BL_EIO);
        assert_non_null(strstr(eb.msg, path));
        assert_int_equal(bl_wal_durable(f->w), 0);
        assert_int_equal(bl_wal_append(f->w, 1, 1, "x", 1), 0);
}

static void test_storage_baseline(void **state)
{
        struct fx *f = *state;
        struct bl_storage_baseline b;
        struct bl_errbuf eb = {{0}};

        assert_int_equal(bl_storage_baseline(f->dir, 20, 4u << 20, &b, &eb), 0);
        assert_int_equal(b.samples, 20);
        assert_true(b.fsync_p50_us > 0.0);
        assert_true(b.fsync_p99_us >= b.fsync_p50_us);
        assert_true(b.write_mbps > 0.0);
        assert_int_equal(b.bw_bytes, 4u << 20);
        /* The temporary file is gone. */
        assert_int_equal(count_segments(f->dir), 0);
        assert_int_equal(rmdir(f->dir), 0);
        assert_int_equal(mkdir(f->dir, 0755), 0);
        assert_int_equal(bl_storage_baseline("/nonexistent/x", 5, 0, &b, &eb), BL_EIO);
        assert_non_null(strstr(eb.msg, "/nonexistent/x"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(test_crc32c_vectors),
            T(test_mode_names),
            T(test_memory_round_trip),
            T(test_write_round_trip),
            T(test_fsync_round_trip),
            T(test_group_commit),
            T(test_crash_discards_unsynced_fsync),
            T(test_crash_discards_unwritten_write),
            T(test_memory_crash_keeps_everything),
            T(test_torn_cut_header),
            T(test_torn_cut_payload),
            T(test_torn_bad_crc_at_end),
            T(test_torn_zeros_at_end),
            T(test_torn_by_corrupt_tail_hook),
            T(test_torn_whole_segment),
            T(test_corrupt_middle_refused),
            T(test_corrupt_middle_hook),
            T(test_corrupt_older_segment_refused),
            T(test_missing_segment_refused),
            T(test_compaction_deletes_segments),
            T(test_compaction_within_segment),
            T(test_multi_group_interleaving),
            T(test_bad_arguments),
            T(test_io_error_is_sticky),
            T(test_storage_baseline),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
