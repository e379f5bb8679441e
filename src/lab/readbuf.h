/* readbuf.h — the lab's readers of the files it wrote (summary.csv, the
 * monitor's and bench's CSV files) on a buffer in memory instead of a path:
 * the same parse as lab_csv_load / lab_summary_read (lab.h) byte for byte, for
 * the fuzz targets (tests/fuzz/fuzz_lab_*.c), since `lab report` reads any
 * folder a user names. The file readers are these after reading the file. */
#ifndef MQLB_LAB_READBUF_H
#define MQLB_LAB_READBUF_H

#include <stddef.h>

#include "lab/lab.h"

/* lab_csv_load on buf[0..len) (copied; data ends at the first NUL, as in a
 * file read by lab_read_file). 0 or -ENOMEM; on success *c owns memory freed
 * by lab_csv_free. */
int lab_csv_parse(const char *buf, size_t len, struct lab_csv *c);
/* lab_summary_read on buf[0..len): the row count with *rows malloc'd (owned by
 * the caller), or -EINVAL / -ENOMEM with *rows NULL. */
int lab_summary_parse(const char *buf, size_t len, struct lab_row **rows);

#endif
