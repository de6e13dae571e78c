/*
 * Feed every regular file of the given directories to
 * LLVMFuzzerTestOneInput, so that a fuzz corpus replays as an ordinary test
 * under any compiler. Link with one fuzz target, for example:
 *   gcc -g -D_GNU_SOURCE -o replay_revoke tests/fuzz/replay.c \
 *     tests/fuzz/fuzz_revoke.c graphql/connector_response.c \
 *     common/base64.c common/error.c common/secret.c -lcjson -lcrypto
 *   ./replay_revoke tests/fuzz/corpus/revoke
 * Exits 0 after the last file. A finding aborts inside the target.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Corpus files are small, so a larger file is a mistake in the corpus. */
#define REPLAY_FILE_MAX (16 * 1024 * 1024)

static int
replay_file(const char *path)
{
	struct stat st;
	uint8_t *data = NULL;
	FILE *file = NULL;
	size_t size;
	int r = -1;

	file = fopen(path, "rb");
	if (file == NULL || fstat(fileno(file), &st) != 0) {
		fprintf(stderr, "replay: cannot open %s: %s\n", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = 0;
		goto out;
	}
	if (st.st_size > REPLAY_FILE_MAX) {
		fprintf(stderr, "replay: %s is larger than %d bytes\n", path,
		    REPLAY_FILE_MAX);
		goto out;
	}
	size = (size_t)st.st_size;
	/* One spare byte so that an empty file still has a buffer. */
	data = malloc(size + 1);
	if (data == NULL || fread(data, 1, size, file) != size) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		goto out;
	}
	(void)LLVMFuzzerTestOneInput(data, size);
	r = 1;
out:
	free(data);
	if (file != NULL)
		fclose(file);
	return r;
}

int
main(int argc, char **argv)
{
	char path[4096];
	struct dirent *entry;
	DIR *dir;
	int i, n, files = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		dir = opendir(argv[i]);
		if (dir == NULL) {
			fprintf(stderr, "replay: cannot open directory "
			    "%s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		while ((entry = readdir(dir)) != NULL) {
			if (entry->d_name[0] == '.')
				continue;
			n = snprintf(path, sizeof(path), "%s/%s", argv[i],
			    entry->d_name);
			if (n < 0 || (size_t)n >= sizeof(path) ||
			    (n = replay_file(path)) < 0) {
				closedir(dir);
				return 1;
			}
			files += n;
		}
		closedir(dir);
	}
	printf("replay: %d files passed\n", files);
	return 0;
}
