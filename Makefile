# Kooperacje — build, run, test, bench.
#   make            build/kooperd
#   make run        private PostgreSQL under ./var, migrations, demo data, serve :8080
#   make test       the whole suite (unit, integration, HTTP through Prism, spec lint, upgrade
#                   of every released version's database; KOOP_SKIP_UPGRADE=1 skips that)
#   make asan       the suite with the daemon and tests under AddressSanitizer+UBSan
#   make valgrind   the HTTP suite with the daemon under valgrind memcheck
#   make bench      wrk against the daemon beside pgbench on the same SQL
#   make bench-scaleout  one daemon against two behind HAProxy, over a primary and a standby
#   make chaos      faults under load, measured: PostgreSQL restarted, SIGKILL, SIGTERM
#   make fuzz       libFuzzer targets (clang, ASan+UBSan) in build/fuzz/, each run FUZZ_SECONDS
#                   (default 60) on fuzz/corpus/<target>/; make test runs each for 3 s
#   make format     clang-format every C file
#   make clean

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2 -g
SAN     ?=
# Deferred (=): pkg-config runs when a compile needs the flags, which is after the entry targets
# below have had scripts/deps.sh install the -dev packages (a fresh machine has none at first).
PKGS    = libmicrohttpd jansson libpq pangocairo cjose
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CFLAGS  = $(OPT) $(SAN) -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-missing-field-initializers \
           -MMD -MP $(PKG_CFLAGS)
LDLIBS  = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcrypto -lcurl -lpthread
TEST_LDLIBS = $(shell pkg-config --libs check 2>/dev/null) -lcurl

# libkoop.a: server/ (machinery) and api/ (resources); cli/ is the composition root (main)
LIBSRC  := $(wildcard server/*.c api/*.c)
OBJ     := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIBSRC)) $(BUILD)/obj/migrations.o
CLI_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard cli/*.c))
MIGRATIONS := $(sort $(wildcard sql/schema/[0-9][0-9][0-9]_*.sql)) sql/functions.list \
              $(wildcard sql/functions/*.sql)
UNIT_SRC := $(wildcard tests/unit/*.c)
HTTP_SRC := $(wildcard tests/http/*.c)

.PHONY: all deps run test unit http lint asan valgrind bench bench-scaleout chaos format clean node fuzz fuzz-build

# Entry targets first install what is missing (scripts/deps.sh), then build in a fresh make so that
# nothing computed from the packages (pkg-config flags, dependency files) predates them.
all: deps
	@$(MAKE) --no-print-directory $(BUILD)/kooperd

deps:
	@bash scripts/deps.sh build

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/migrations.c: $(MIGRATIONS) scripts/embed-sql.sh
	@mkdir -p $(BUILD)
	bash scripts/embed-sql.sh sql/schema sql/functions.list > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/migrations.o: $(BUILD)/migrations.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iserver -c $< -o $@

$(BUILD)/libkoop.a: $(OBJ)
	ar rcs $@ $^

$(BUILD)/kooperd: $(CLI_OBJ) $(BUILD)/libkoop.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit_tests: $(UNIT_SRC) $(BUILD)/libkoop.a
	$(CC) $(CFLAGS) -Iserver -Iapi -o $@ $(UNIT_SRC) $(BUILD)/libkoop.a $(LDLIBS) $(TEST_LDLIBS)

$(BUILD)/http_tests: $(HTTP_SRC) $(BUILD)/libkoop.a
	$(CC) $(CFLAGS) -Iserver -Itests/http -o $@ $(HTTP_SRC) $(BUILD)/libkoop.a $(LDLIBS) $(TEST_LDLIBS)

node_modules/.installed: package.json package-lock.json
	@bash scripts/deps.sh node
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

node: node_modules/.installed

run:
	@bash scripts/deps.sh run
	@$(MAKE) --no-print-directory $(BUILD)/kooperd node
	bash scripts/run.sh

unit: deps
	@$(MAKE) --no-print-directory $(BUILD)/unit_tests
	$(BUILD)/unit_tests

test:
	@bash scripts/deps.sh test
	$(MAKE) --no-print-directory $(BUILD)/kooperd $(BUILD)/unit_tests $(BUILD)/http_tests node
	bash scripts/sql-callers.sh $(BUILD)
	bash tests/run.sh $(BUILD)
	@$(MAKE) --no-print-directory fuzz-build
	bash scripts/fuzz.sh $(FUZZ_BUILD) 3 $(FUZZ_TARGETS)
	@if [ "$${KOOP_SKIP_UPGRADE:-0}" != 1 ]; then bash tests/upgrade.sh $(BUILD); fi

lint: node
	bash scripts/lint-openapi.sh

asan:
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	$(MAKE) --no-print-directory BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -Wno-format-truncation" test
# (-O1 changes GCC's value-range guesses behind -Wformat-truncation: false alarms only)

valgrind:
	@bash scripts/deps.sh test valgrind
	$(MAKE) --no-print-directory $(BUILD)/kooperd $(BUILD)/unit_tests $(BUILD)/http_tests node
	KOOP_VALGRIND=1 bash tests/run.sh $(BUILD)

bench:
	@bash scripts/deps.sh bench
	@$(MAKE) --no-print-directory $(BUILD)/kooperd
	bash bench/run.sh $(BUILD)

# one daemon against two behind HAProxy, over a primary and a streaming standby (bench/scaleout.sh)
bench-scaleout:
	@bash scripts/deps.sh bench
	@$(MAKE) --no-print-directory $(BUILD)/kooperd
	bash bench/scaleout.sh $(BUILD)

$(BUILD)/chaos_load: bench/chaos_load.c
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -o $@ $< -lcurl -lpthread

chaos:
	@bash scripts/deps.sh test
	@$(MAKE) --no-print-directory $(BUILD)/kooperd $(BUILD)/chaos_load
	bash bench/chaos.sh $(BUILD)

# ---- fuzzing: libFuzzer targets in fuzz/, built with clang against every library source
# rebuilt with clang (build/fuzz/obj/; build/libkoop.a is gcc's), ASan + UBSan, no database
FUZZ_CC      ?= clang
FUZZ_BUILD   := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   = -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) -std=c17 -D_GNU_SOURCE -Wall -Wextra \
                -Werror -Wno-missing-field-initializers -MMD -MP $(PKG_CFLAGS)
FUZZ_TARGETS := $(patsubst fuzz/%.c,%,$(wildcard fuzz/*.c))
FUZZ_OBJ     := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(LIBSRC)) $(FUZZ_BUILD)/obj/migrations.o

# the objects are not intermediate files to delete after a link (make's default for pattern chains)
.SECONDARY: $(FUZZ_OBJ)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/obj/migrations.o: $(BUILD)/migrations.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Iserver -c $< -o $@

$(FUZZ_BUILD)/%: fuzz/%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Iserver -Iapi -o $@ $< $(FUZZ_OBJ) $(LDLIBS)

fuzz-build:
	@bash scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory $(addprefix $(FUZZ_BUILD)/,$(FUZZ_TARGETS))

fuzz: fuzz-build
	bash scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

format:
	clang-format -i bench/*.c cli/*.c cli/*.h server/*.c server/*.h api/*.c api/*.h tests/unit/*.c tests/http/*.c tests/http/*.h fuzz/*.c

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
