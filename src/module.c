/*
 * module.c — the shared library's module magic block
 *
 * Every other source file of the library defines the SQL-callable functions of one
 * concern; the magic block that PostgreSQL checks when it loads the library lives
 * here, once.
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
