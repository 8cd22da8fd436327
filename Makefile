# recurring_revenue — PGXS build.
#
# The version comes from the control file only; the install script is assembled from
# src/sql/<layer>/*.sql in path order: one folder per layer, numbered by dependency, and
# a file uses only what its layer and the layers before it define (docs/decisions.md,
# "Layers"; checked by the layers tier of scripts/test).
#
# Releases and upgrades (docs/decisions.md, "Releases and upgrades"): the install and
# update scripts of released versions are kept as shipped in src/release/.  The update
# script to the version in development, $(EXTENSION)--FROM--$(EXTVERSION).sql, is made from
# the hand-written schema migration src/update/FROM--$(EXTVERSION).sql followed by the code
# of this version's install script (functions, views, triggers, policies, comments and
# privileges, re-run as CREATE OR REPLACE by scripts/update-code).

EXTENSION  = recurring_revenue
EXTVERSION = $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" $(EXTENSION).control)

MODULE_big = recurring_revenue
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

SQL_SOURCES = $(sort $(wildcard src/sql/*/*.sql))
UPDATES     = $(patsubst src/update/%.sql,$(EXTENSION)--%.sql,$(wildcard src/update/*--$(EXTVERSION).sql))
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql $(UPDATES)
DATA        = $(wildcard src/release/$(EXTENSION)--*.sql)

# PostgreSQL's own headers trip -Wextra's unused-parameter, sign-compare and
# missing-field-initializers checks; everything else is an error.
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
            -Wno-missing-field-initializers
PG_CPPFLAGS = -I$(srcdir)/src

EXTRA_CLEAN = build results regression.diffs regression.out

# `make installcheck` runs the pg_regress tier (sql/ + expected/, in the order of
# sql/schedule) against the server PG_CONFIG belongs to, with the extension installed
# there (`make install`). Later tests rely on the rows of earlier ones, so run the whole
# schedule (`scripts/test NAME` runs one test after the ones it relies on). The security
# test needs max_locks_per_transaction = 256; `scripts/test` runs every tier on a
# throwaway cluster with the settings the tests need.
REGRESS      ?= $(shell grep -v '^\#' sql/schedule)
REGRESS_OPTS  = --load-extension=recurring_revenue

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) $(EXTENSION).control Makefile
	@{ echo "-- $(EXTENSION) $(EXTVERSION): generated from src/sql/*/*.sql by the Makefile; do not edit."; \
	   printf '%s\n' '\echo Use "CREATE EXTENSION $(EXTENSION)" to load this file. \quit'; \
	   for f in $(SQL_SOURCES); do echo; echo "-- ---- $$f"; cat $$f; done; } > $@.tmp && mv $@.tmp $@

$(EXTENSION)--%--$(EXTVERSION).sql: src/update/%--$(EXTVERSION).sql $(EXTENSION)--$(EXTVERSION).sql scripts/update-code
	@{ echo "-- $(EXTENSION) $*--$(EXTVERSION): generated from $< and the code of $(EXTVERSION) by the Makefile; do not edit."; \
	   printf '%s\n' '\echo Use "ALTER EXTENSION $(EXTENSION) UPDATE" to load this file. \quit'; \
	   echo; echo "-- ---- $<"; cat $<; \
	   echo; echo "-- ---- the code of $(EXTVERSION) (scripts/update-code $(EXTENSION)--$(EXTVERSION).sql)"; \
	   ./scripts/update-code $(EXTENSION)--$(EXTVERSION).sql; } > $@.tmp && mv $@.tmp $@

# The README's two commands (they install what is missing, build, install and run a
# throwaway cluster); see scripts/.
.PHONY: demo test-all bench
demo:
	./scripts/demo
test-all:
	./scripts/test
bench:
	./bench/run
