# compass-agent build. `make` builds the program, `make check` installs what
# the tests need and runs every suite, `make demo` runs the main job on a
# throwaway SoftHSM token against the local test Connector.

PROGRAM := compass-agent
VERSION := 0.1.0
BUILD ?= build
PREFIX ?= /usr/local

PKGS := p11-kit-1 libcrypto libssl libcurl libcjson inih libsystemd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CC ?= cc
# The warning set and the hardening options of the OpenSSF compiler options
# guide (2024) that GCC 12 supports. -fstrict-flex-arrays needs GCC 13.
WARNINGS := -Wall -Wextra -Wformat=2 -Wformat-security -Wshadow \
	-Wpointer-arith -Wcast-qual -Wstrict-prototypes -Wmissing-prototypes \
	-Wvla -Wnull-dereference -Wimplicit-fallthrough -Wundef -Wconversion \
	-Wno-sign-conversion -Wtrampolines -Wbidi-chars=any \
	-Werror=format-security -Werror=implicit \
	-Werror=incompatible-pointer-types -Werror=int-conversion
HARDENING := -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3 -fstack-protector-strong \
	-fstack-clash-protection -fcf-protection=full -fPIE \
	-ftrivial-auto-var-init=zero -fno-strict-overflow \
	-fno-strict-aliasing -fno-delete-null-pointer-checks -fexceptions
HARDENING_LDFLAGS := -pie -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack \
	-Wl,-z,nodlopen -Wl,--as-needed -Wl,--no-copy-dt-needed-entries
OPTIMIZE ?= -O2 -g
CFLAGS ?=
EXTRA_CFLAGS ?=
P11_DIRS := -DP11_MODULE_PATH='"$(shell pkg-config --variable=p11_module_path p11-kit-1 2>/dev/null)"' \
	-DP11_MODULE_CONFIGS='"$(shell pkg-config --variable=p11_module_configs p11-kit-1 2>/dev/null)"'
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -DCA_VERSION='"$(VERSION)"' $(P11_DIRS) \
	$(OPTIMIZE) $(WARNINGS) $(HARDENING) $(PKG_CFLAGS) $(CFLAGS) \
	$(EXTRA_CFLAGS) -MMD -MP
ALL_LDFLAGS := $(HARDENING_LDFLAGS) $(LDFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRCS := $(wildcard common/*.c) $(wildcard pkcs11/*.c) \
	$(wildcard graphql/*.c) $(filter-out agent/main.c,$(wildcard agent/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(EXTRA_OBJS)
MAIN_OBJ := $(BUILD)/agent/main.o

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

# Every fuzz target also builds with the normal compiler into a program
# that replays its corpus, so that the corpora run in "make check".
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
REPLAY_BINS := $(FUZZ_NAMES:%=$(BUILD)/fuzz-replay/replay_%)
FUZZ_BINS := $(FUZZ_NAMES:%=build-fuzz/fuzz_%)
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 \
	-D_GNU_SOURCE -DCA_VERSION='"$(VERSION)"' $(PKG_CFLAGS)

.PHONY: all setup check demo bench install clean fuzz sanitize-build \
	crash-build soak-build soak

all: $(PROGRAM)

$(PROGRAM): $(BUILD)/$(PROGRAM)
	$(Q)cp $< $@

$(BUILD)/$(PROGRAM): $(LIB_OBJS) $(MAIN_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) \
		$(shell pkg-config --libs cmocka)

$(BUILD)/fuzz-replay/replay_%: tests/fuzz/replay.c tests/fuzz/fuzz_%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# libFuzzer builds: "make fuzz", then run build-fuzz/fuzz_NAME CORPUS_DIR.
fuzz: $(FUZZ_BINS)

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRCS)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ $(PKG_LIBS)

# The same program and unit tests built with AddressSanitizer and
# UndefinedBehaviorSanitizer, for "make check".
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
sanitize-build:
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan OPTIMIZE="-O1 -g" \
		EXTRA_CFLAGS="$(EXTRA_CFLAGS) $(SANITIZE_FLAGS)" \
		EXTRA_OBJS=build-asan/tests/sanitize/dlopen_without_deepbind.o \
		LDFLAGS="-Wl,--export-dynamic-symbol=dlopen" \
		build-asan/$(PROGRAM) $(UNIT_BINS:$(BUILD)/%=build-asan/%)

# The program with the named crash points and the test time scale compiled
# in, for the crash matrix and the daemon tests (tests/integration/
# test_daemon.sh). Never install it.
TEST_BUILD_FLAGS := -DCA_CRASH_POINTS -DCA_TEST_TIME_SCALE
crash-build:
	$(Q)$(MAKE) --no-print-directory BUILD=build-crash \
		EXTRA_CFLAGS="$(EXTRA_CFLAGS) $(TEST_BUILD_FLAGS)" \
		build-crash/$(PROGRAM)

# "make soak": 50 renewals in one daemon, in the test build (descriptors,
# RSS and token objects must not grow) and in the test build with
# AddressSanitizer and LeakSanitizer (no error, no leak). About 3 minutes.
soak-build:
	$(Q)$(MAKE) --no-print-directory BUILD=build-soak OPTIMIZE="-O1 -g" \
		EXTRA_CFLAGS="$(EXTRA_CFLAGS) $(SANITIZE_FLAGS) $(TEST_BUILD_FLAGS)" \
		EXTRA_OBJS=build-soak/tests/sanitize/dlopen_without_deepbind.o \
		LDFLAGS="-Wl,--export-dynamic-symbol=dlopen" \
		build-soak/$(PROGRAM)

soak: setup crash-build soak-build
	$(Q)sh tests/soak/soak.sh $(CURDIR)

setup:
	$(Q)sh scripts/setup.sh

check: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory $(UNIT_BINS) $(REPLAY_BINS)
	$(Q)$(MAKE) --no-print-directory sanitize-build
	$(Q)$(MAKE) --no-print-directory crash-build soak-build
	$(Q)sh tests/run.sh $(BUILD) build-asan

demo: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh scripts/demo.sh

bench: setup all
	$(Q)sh tests/bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(PROGRAM) $(DESTDIR)$(PREFIX)/bin/$(PROGRAM)
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 docs/compass-agent.1 $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf $(BUILD) build-asan build-crash build-soak build-fuzz $(PROGRAM)

-include $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d)
